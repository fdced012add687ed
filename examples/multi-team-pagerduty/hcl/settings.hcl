# Objects created by hand in the service that alertform must leave alone.
# This variant targets PagerDuty: without --endpoint, plan and apply run against the embedded
# emulation, seeded from pagerduty-seed.json (the account and its owner). PagerDuty rules cannot
# page a team, so `expand_groups` pages each group's users (the plan lists them).

settings {
  ignore             = ["integration:legacy-*", "user:*@contractors.example.com"]
  max_delete_percent = 20
  provider           = "pagerduty"
  expand_groups      = true
}
