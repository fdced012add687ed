# Who can be paged. Live users are matched by username (the email). Alice owns the account:
# Opsgenie's API cannot make or unmake the owner, so she comes from the seed.

settings {
  provider = "opsgenie"
}

user "alice" {
  name      = "Alice Ng"
  email     = "alice@example.com"
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

user "dan" {
  name      = "Dan Reyes"
  email     = "dan@example.com"
  role      = "admin"
  time_zone = "Europe/London"
}

group "sre" {
  name        = "SRE"
  description = "Site reliability engineering"
  members     = [user.alice, user.bob]
}

group "platform" {
  name        = "Platform"
  description = "Platform engineering"
  members     = [user.dan, user.carol]
}
