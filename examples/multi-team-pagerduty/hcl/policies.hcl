# Escalation policies: steps run in order; `repeat` restarts them while unacknowledged.

escalation_policy "platform_default" {
  name        = "Platform default"
  description = "Platform on-call, then the incident commanders"
  repeat      = 2

  step {
    notify = [schedule.platform_rotation]
  }

  step {
    delay_minutes = 10
    notify        = [user.amara_okoye]
  }

  step {
    delay_minutes = 20
    notify        = [group.incident_commanders]
  }
}

escalation_policy "payments_default" {
  name   = "Payments default"
  repeat = 1

  step {
    notify = [schedule.payments_rotation]
  }

  step {
    delay_minutes = 15
    notify        = [user.grace_lee]
  }
}

escalation_policy "payments_critical" {
  name        = "Payments critical"
  description = "Money is not moving: page the payments on-call and commanders, then every team's on-call"
  repeat      = 3

  step {
    notify = [schedule.payments_rotation, group.incident_commanders]
  }

  step {
    delay_minutes = 5
    notify        = [schedule.platform_rotation, schedule.payments_rotation, schedule.data_rotation, schedule.mobile_rotation, schedule.security_rotation]
  }
}

escalation_policy "data_default" {
  name = "Data default"

  step {
    notify = [schedule.data_rotation]
  }

  step {
    delay_minutes = 30
    notify        = [user.oliver_brandt, user.mateo_silva]
  }
}

escalation_policy "mobile_default" {
  name   = "Mobile default"
  repeat = 1

  step {
    notify = [schedule.mobile_rotation]
  }

  step {
    delay_minutes = 15
    notify        = [user.sam_taylor]
  }
}

escalation_policy "security_urgent" {
  name        = "Security urgent"
  description = "Suspected breach"
  repeat      = 5

  step {
    notify = [schedule.security_rotation, user.yusuf_demir]
  }

  step {
    delay_minutes = 5
    notify        = [group.incident_commanders]
  }
}

escalation_policy "security_default" {
  name = "Security default"

  step {
    notify = [schedule.security_rotation]
  }
}

escalation_policy "business_hours" {
  name        = "Business hours (low urgency)"
  description = "Low-urgency alerts: the platform on-call, with the two stakeholders informed"

  step {
    notify = [schedule.platform_rotation, user.finn_murphy, user.lena_fischer]
  }
}
