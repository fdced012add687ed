# Where alerts come in and who they escalate to. Each integration is a PagerDuty service with one
# integration on it; its integration key never appears in a plan.

escalation_policy "sre_default" {
  name        = "SRE default"
  description = "Page whoever is on call, then the SRE group after 15 minutes"
  repeat      = 1

  step {
    notify = [schedule.sre_rotation]
  }

  step {
    delay_minutes = 15
    notify        = [group.sre]
  }
}

escalation_policy "backups" {
  name = "Backups"

  step {
    notify = [user.bob]
  }
}

integration "grafana_prod" {
  name              = "Grafana (prod)"
  channel           = "api"
  template          = "grafana"
  escalation_policy = escalation_policy.sre_default
}

integration "alertmanager" {
  name              = "Alertmanager (prod)"
  channel           = "api"
  template          = "prometheus_alertmanager"
  escalation_policy = escalation_policy.sre_default
}

integration "custom_events" {
  name              = "Deploy pipeline"
  channel           = "api"
  template          = "custom"
  escalation_policy = escalation_policy.sre_default
}

integration "backup_mail" {
  name              = "Backup reports"
  channel           = "email"
  template          = "custom"
  escalation_policy = escalation_policy.backups
}
