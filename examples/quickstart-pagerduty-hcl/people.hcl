# Who can be paged. Live users are matched by email. Alice is the account's owner: PagerDuty's API
# cannot make one, so she is declared as she is.

user "alice" {
  name      = "Alice Ng"
  email     = "alice@example.com"
  phone     = "+14155550100"
  role      = "owner"
  time_zone = "America/Los_Angeles"
}

user "bob" {
  name      = "Bob Okafor"
  email     = "bob@example.com"
  role      = "responder"
  time_zone = "Europe/London"
}

user "carol" {
  name      = "Carol Schmidt"
  email     = "carol@example.com"
  role      = "observer"
  time_zone = "Europe/Berlin"
}

group "sre" {
  name        = "SRE"
  description = "Site reliability engineering on-call rotation"
  members     = [user.alice, user.bob]
}

# A PagerDuty schedule: a weekly rotation, with a weekday business-hours layer on top.
schedule "sre_rotation" {
  name      = "SRE rotation"
  time_zone = "Europe/London"

  layer {
    name     = "Weekly"
    start    = "2026-11-30T09:00:00"
    rotation = "1w"
    members  = [user.alice, user.bob]
  }

  layer {
    name     = "Business hours"
    start    = "2026-11-30T09:00:00"
    rotation = "1d"
    members  = [user.bob, user.alice]

    restrict {
      days = ["mon", "tue", "wed", "thu", "fri"]
      from = "09:00"
      to   = "17:00"
    }
  }
}
