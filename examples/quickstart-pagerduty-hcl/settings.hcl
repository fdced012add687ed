# This config targets PagerDuty. Without --endpoint, plan and apply run against the embedded
# local emulation, seeded from pagerduty-seed.json (the account and its owner, whom PagerDuty's
# API cannot create). Against a real account, set --endpoint https://api.pagerduty.com, a REST API
# key in ALERTFORM_TOKEN and ALERTFORM_PAGERDUTY_FROM (see README).

settings {
  provider = "pagerduty"
  # PagerDuty escalation rules cannot page a team: page each group's users instead (the plan
  # lists them).
  expand_groups = true
}
