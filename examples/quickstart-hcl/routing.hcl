# Where alerts come in and who they escalate to.

escalation_policy "sre_default" {
  name        = "SRE default"
  description = "Page the SRE group, then Alice after 15 minutes"
  repeat      = 1

  step {
    notify = [group.sre]
  }

  step {
    delay_minutes = 15
    notify        = [user.alice]
  }
}

integration "grafana_prod" {
  name              = "Grafana (prod)"
  channel           = "api"
  template          = "grafana"
  escalation_policy = escalation_policy.sre_default
  recipients        = [group.sre]

  templates {
    grouping_key   = "{{ payload.groupKey }}"
    resolve_signal = "{{ payload.status == \"resolved\" }}"
  }
}

integration "nightly_backup" {
  name              = "Nightly backup heartbeat"
  channel           = "heartbeat"
  template          = "custom"
  escalation_policy = escalation_policy.sre_default
  interval_minutes  = 1440
  recipients        = [user.carol]
}
