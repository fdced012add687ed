# Who can be paged. Live users are matched by email (AlertOps's user_name).

settings {
  provider = "alertops"
}

user "alice" {
  name      = "Alice Ng"
  email     = "alice@example.com"
  phone     = "+14155550100"
  role      = "admin"
  time_zone = "America/Los_Angeles"
}

user "bob" {
  name      = "Bob Okafor"
  email     = "bob@example.com"
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
