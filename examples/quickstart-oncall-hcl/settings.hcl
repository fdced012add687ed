# This config targets Grafana OnCall. Without --endpoint, plan and apply run against the embedded
# local emulation, seeded from grafana-oncall-seed.json (the users and teams Grafana would sync).

settings {
  provider = "grafana_oncall"
}
