# OnCall users and teams come from Grafana: alertform matches them (users by email, `name` is the
# Grafana login; teams by name) and never creates them.

user "alice" {
  name  = "alice"
  email = "alice@example.com"
}

user "bob" {
  name  = "bob"
  email = "bob@example.com"
}

user "carol" {
  name  = "carol"
  email = "carol@example.com"
}

group "sre" {
  name    = "SRE"
  members = [user.alice, user.bob]
}

schedule "sre_rotation" {
  name      = "SRE rotation"
  time_zone = "Europe/London"

  layer {
    name     = "Weekly"
    start    = "2026-11-30T09:00:00"
    rotation = "1w"
    members  = [user.alice, user.bob]
  }
}
