# Page the SRE group and call the ops webhook at once; then the duty phone and the mailbox; and
# restart the replica if nobody has acknowledged after half an hour.

escalation_policy "sre_default" {
  name        = "SRE default"
  description = "Page SRE and the ops webhook, then the duty phone, then restart the replica"

  step {
    notify = [group.sre, outbound.ops_webhook, outbound.alerts_channel]
  }

  step {
    delay_minutes = 10
    notify        = [user.alice, outbound.duty_phone, outbound.oncall_mailbox]
  }

  step {
    delay_minutes = 20
    notify        = [outbound.db_restart]
  }
}

integration "grafana_prod" {
  name              = "Grafana (prod)"
  channel           = "api"
  template          = "grafana"
  escalation_policy = escalation_policy.sre_default
}
