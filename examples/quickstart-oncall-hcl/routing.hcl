# Escalation chains and integrations: these alertform creates and keeps in step.

escalation_policy "sre_default" {
  name   = "SRE default"
  repeat = 5

  step {
    notify = [schedule.sre_rotation]
  }

  step {
    delay_minutes = 15
    notify        = [group.sre, user.carol]
  }
}

escalation_policy "backups" {
  name = "Backups"

  step {
    notify = [user.carol]
  }
}

integration "grafana_prod" {
  name              = "Grafana (prod)"
  channel           = "api"
  template          = "grafana"
  escalation_policy = escalation_policy.sre_default

  templates {
    grouping_key   = "{{ payload.groupKey }}"
    resolve_signal = "{{ payload.status == \"resolved\" }}"
    title          = "{{ payload.title }}"
  }
}

integration "alertmanager" {
  name              = "Alertmanager (prod)"
  channel           = "api"
  template          = "prometheus_alertmanager"
  escalation_policy = escalation_policy.sre_default
}

integration "backup_mail" {
  name              = "Backup reports"
  channel           = "email"
  template          = "custom"
  escalation_policy = escalation_policy.backups
}
