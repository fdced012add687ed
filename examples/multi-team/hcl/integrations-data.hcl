# Integrations owned by Data Platform.

integration "airflow" {
  name              = "Airflow task failures"
  channel           = "api"
  template          = "custom"
  escalation_policy = escalation_policy.data_default
  recipients        = [group.data]
}

integration "warehouse_loads" {
  name              = "Warehouse nightly load"
  channel           = "heartbeat"
  template          = "custom"
  escalation_policy = escalation_policy.data_default
  interval_minutes  = 1440
}

integration "dbt_email" {
  name              = "dbt Cloud notifications"
  channel           = "email"
  template          = "custom"
  escalation_policy = escalation_policy.data_default
}

integration "data_teams" {
  name              = "Data #data-incidents"
  channel           = "chat"
  template          = "custom"
  escalation_policy = escalation_policy.data_default
  chat_platform     = "teams"
  chat_channel      = "Data Incidents"
}
