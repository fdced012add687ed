# Integrations owned by Payments.

integration "datadog_payments" {
  name              = "Datadog (payments)"
  channel           = "api"
  template          = "custom"
  escalation_policy = escalation_policy.payments_default
}

integration "stripe_webhooks" {
  name              = "Stripe webhook failures"
  channel           = "api"
  template          = "custom"
  escalation_policy = escalation_policy.payments_critical
  prevent_destroy   = true

  templates {
    title       = "Stripe: {{ payload.type }}"
    source_link = "{{ payload.dashboard_url }}"
  }
}

integration "ledger_reconcile" {
  name              = "Ledger reconciliation heartbeat"
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
