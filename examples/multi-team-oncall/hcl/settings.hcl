# This variant targets Grafana OnCall; objects made by hand there stay alone.

settings {
  provider           = "grafana_oncall"
  ignore             = ["integration:legacy-*", "user:*@contractors.example.com"]
  max_delete_percent = 20
}
