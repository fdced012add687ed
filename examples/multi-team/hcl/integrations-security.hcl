# Integrations owned by Security.

integration "guardduty" {
  name              = "AWS GuardDuty"
  channel           = "api"
  template          = "aws_cloudwatch"
  escalation_policy = escalation_policy.security_urgent
  recipients        = [group.security]
}

integration "siem" {
  name              = "SIEM correlation rules"
  channel           = "api"
  template          = "custom"
  escalation_policy = escalation_policy.security_default

  templates {
    grouping_key = "{{ payload.rule_id }}"
  }
}

integration "security_slack" {
  name              = "Security #sec-alerts"
  channel           = "chat"
  template          = "custom"
  escalation_policy = escalation_policy.security_default
  recipients        = [user.zoe_adams]
  chat_platform     = "slack"
  chat_channel      = "#sec-alerts"
}

integration "cert_expiry" {
  name              = "Certificate expiry email"
  channel           = "email"
  template          = "custom"
  escalation_policy = escalation_policy.security_default
}
