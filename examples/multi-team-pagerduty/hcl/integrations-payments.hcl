# Integrations owned by Payments.

integration "datadog_payments" {
  name              = "Datadog (payments)"
  channel           = "api"
  template          = "datadog"
  escalation_policy = escalation_policy.payments_default
}

integration "stripe_webhooks" {
  name              = "Stripe webhook failures"
  channel           = "api"
  template          = "custom"
  escalation_policy = escalation_policy.payments_critical
  prevent_destroy   = true
}

integration "ledger_reconcile" {
  name              = "Ledger reconciliation failures"
  channel           = "api"
  template          = "custom"
  escalation_policy = escalation_policy.payments_critical
}

integration "payments_email" {
  name              = "Payment provider notices"
  channel           = "email"
  template          = "custom"
  escalation_policy = escalation_policy.business_hours
}
