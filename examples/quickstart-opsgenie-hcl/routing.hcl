# Opsgenie pages every rotation with someone on call, so the two layers cover hours that never
# overlap: business hours on weekdays, and every other hour of the week.

schedule "sre_rotation" {
  name      = "SRE rotation"
  time_zone = "Europe/London"

  layer {
    name     = "Business hours"
    start    = "2027-01-04T09:00:00"
    rotation = "1d"
    members  = [user.bob, user.alice]
    restrict = [
      { days = ["mon", "tue", "wed", "thu", "fri"], from = "09:00", to = "17:00" },
    ]
  }

  layer {
    name     = "After hours"
    start    = "2027-01-04T17:00:00"
    rotation = "1w"
    members  = [user.alice, user.dan]
    restrict = [
      { days = ["mon", "tue", "wed", "thu", "fri"], from = "17:00", to = "09:00" },
      { days = ["sat", "sun"], from = "09:00", to = "21:00" },
      { days = ["sat", "sun"], from = "21:00", to = "09:00" },
    ]
  }
}

escalation_policy "sre_default" {
  name        = "SRE default"
  description = "Page whoever is on call, then the SRE team after 15 minutes"
  repeat      = 2

  step {
    notify = [schedule.sre_rotation]
  }

  step {
    delay_minutes = 15
    notify        = [group.sre]
  }
}

integration "grafana_prod" {
  name              = "Grafana (prod)"
  channel           = "api"
  template          = "grafana"
  escalation_policy = escalation_policy.sre_default
}

integration "deploys" {
  name              = "Deploy pipeline"
  channel           = "api"
  template          = "custom"
  escalation_policy = escalation_policy.sre_default
  recipients        = [group.platform]
}

integration "backup_mail" {
  name              = "Backup reports"
  channel           = "email"
  template          = "custom"
  escalation_policy = escalation_policy.sre_default
}

# An Opsgenie heartbeat: Opsgenie alerts when the nightly backup has not pinged for a day, and
# alertform's alert policy pages SRE's escalation and Carol with that alert.
integration "nightly_backup" {
  name              = "nightly-backup"
  channel           = "heartbeat"
  template          = "custom"
  interval_minutes  = 1440
  escalation_policy = escalation_policy.sre_default
  recipients        = [user.carol]
}
