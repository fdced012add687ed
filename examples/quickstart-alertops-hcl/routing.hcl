# Where alerts come in and who they escalate to. AlertOps escalates through member roles: step 1
# pages the SRE group (Primary), step 2 Alice (Secondary) 15 minutes later.

escalation_policy "sre_default" {
  name        = "SRE default"
  description = "Page the SRE group, then Alice after 15 minutes"

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
}

integration "nightly_backup" {
  name              = "Nightly backup heartbeat"
  channel           = "heartbeat"
  template          = "custom"
  escalation_policy = escalation_policy.sre_default
  interval_minutes  = 1440
  recipients        = [user.carol]
}
