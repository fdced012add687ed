# Integrations owned by Security.

integration "guardduty" {
  name              = "AWS GuardDuty"
  channel           = "api"
  template          = "aws_cloudwatch"
  escalation_policy = escalation_policy.security_urgent
}

integration "siem" {
  name              = "SIEM correlation rules"
  channel           = "api"
  template          = "custom"
  escalation_policy = escalation_policy.security_default
}

integration "security_slack" {
  name              = "Security #sec-alerts"
  channel           = "api"
  template          = "custom"
  escalation_policy = escalation_policy.security_default
}

integration "cert_expiry" {
  name              = "Certificate expiry email"
  channel           = "email"
  template          = "custom"
  escalation_policy = escalation_policy.security_default
}
