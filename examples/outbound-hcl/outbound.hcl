# Where alerts go on their way out. Secrets (webhook URLs carry tokens, SSH passwords) come from
# the environment, never from this file:
#   export OPS_WEBHOOK_URL=https://hooks.example.com/services/T000/B000/XXXX
#   export DB_RESTART_PASSWORD=...

outbound "ops_webhook" {
  name = "Ops incident webhook"
  type = "webhook"
  url  = env("OPS_WEBHOOK_URL")
}

outbound "oncall_mailbox" {
  name    = "On-call mailbox"
  type    = "email"
  address = "oncall@example.com"
}

outbound "db_restart" {
  name     = "Restart db-replica-2"
  type     = "ssh_restart"
  host     = "10.0.4.12"
  port     = 22
  username = "ops"
  password = env("DB_RESTART_PASSWORD")
}

outbound "duty_phone" {
  name  = "Duty phone"
  type  = "sms"
  phone = "+14155550199"
}

outbound "alerts_channel" {
  name    = "Slack #alerts"
  type    = "slack"
  channel = "#alerts"
}
