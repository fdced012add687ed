# Integrations owned by Payments.

integration "datadog_payments" {
  name              = "Datadog (payments)"
  channel           = "api"
  template          = "datadog"
  escalation_policy = escalation_policy.payments_default
  recipients        = [user.hector_ramos]
}

integration "stripe_webhooks" {
  name              = "Stripe webhook failures"
  channel           = "api"
  template          = "custom"
  escalation_policy = escalation_policy.payments_critical
  recipients        = [group.incident_commanders]
  prevent_destroy   = true

  templates {
    title       = "Stripe: {{ payload.type }}"
    source_link = "{{ payload.dashboard_url }}"
  }
}

integration "ledger_reconcile" {
  name              = "Ledger reconciliation heartbeat"
  channel           = "heartbeat"
  template          = "custom"
  escalation_policy = escalation_policy.payments_critical
  interval_minutes  = 60
}

integration "payments_email" {
  name              = "Payment provider notices"
  channel           = "email"
  template          = "custom"
  escalation_policy = escalation_policy.business_hours
  mailbox           = "payments-alerts@alerts.example.com"
}
