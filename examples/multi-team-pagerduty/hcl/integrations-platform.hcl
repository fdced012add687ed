# Integrations owned by Platform SRE.

integration "prometheus_prod" {
  name              = "Prometheus Alertmanager (prod)"
  channel           = "api"
  template          = "prometheus_alertmanager"
  escalation_policy = escalation_policy.platform_default
  prevent_destroy   = true
}

integration "grafana_prod" {
  name              = "Grafana (prod)"
  channel           = "api"
  template          = "grafana"
  escalation_policy = escalation_policy.platform_default
  renamed_from      = ["Grafana production"]
}

integration "cloudwatch_eu" {
  name              = "AWS CloudWatch (eu-west-1)"
  channel           = "api"
  template          = "aws_cloudwatch"
  escalation_policy = escalation_policy.platform_default
}

integration "k8s_cronjob_heartbeat" {
  name              = "Kubernetes cron failures"
  channel           = "api"
  template          = "custom"
  escalation_policy = escalation_policy.platform_default
}

integration "platform_slack" {
  name              = "Platform #ops-alerts"
  channel           = "api"
  template          = "custom"
  escalation_policy = escalation_policy.business_hours
}
