# Team rotations: who is on call, week by week. Escalation steps page a rotation's current
# on-call instead of the whole team; `alertform oncall` shows who that is.

schedule "platform_rotation" {
  name      = "Platform SRE rotation"
  time_zone = "Europe/London"

  layer {
    name     = "Weekly"
    start    = "2026-11-30T09:00:00"
    rotation = "1w"
    members  = [user.amara_okoye, user.ben_hughes, user.chen_wei, user.dana_kowalski, user.elif_sahin]
  }
}

schedule "payments_rotation" {
  name      = "Payments rotation"
  time_zone = "America/New_York"

  layer {
    name     = "Weekly"
    start    = "2026-11-30T09:00:00"
    rotation = "1w"
    members  = [user.grace_lee, user.hector_ramos, user.isabel_costa, user.jamal_wright, user.kenji_sato]
  }

  layer {
    name     = "Business-hours cover"
    start    = "2026-11-30T09:00:00"
    rotation = "1d"
    members  = [user.grace_lee, user.hector_ramos]

    restrict {
      days = ["mon", "tue", "wed", "thu", "fri"]
      from = "09:00"
      to   = "17:00"
    }
  }
}

schedule "data_rotation" {
  name      = "Data Platform rotation"
  time_zone = "Europe/Berlin"

  layer {
    name     = "Weekly"
    start    = "2026-11-30T09:00:00"
    rotation = "1w"
    members  = [user.mateo_silva, user.nadia_haddad, user.oliver_brandt, user.priya_nair, user.quentin_roux]
  }
}

schedule "mobile_rotation" {
  name      = "Mobile rotation"
  time_zone = "America/Los_Angeles"

  layer {
    name     = "Weekly"
    start    = "2026-11-30T09:00:00"
    rotation = "1w"
    members  = [user.sam_taylor, user.tomoko_ito, user.umar_farouk, user.vera_novak, user.will_chen]
  }
}

schedule "security_rotation" {
  name      = "Security rotation"
  time_zone = "Asia/Singapore"

  layer {
    name     = "Weekly"
    start    = "2026-11-30T09:00:00"
    rotation = "1w"
    members  = [user.yusuf_demir, user.zoe_adams, user.arjun_mehta, user.bianca_rossi, user.carlos_vega]
  }
}
