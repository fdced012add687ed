# Integrations owned by Data Platform.

integration "airflow" {
  name              = "Airflow task failures"
  channel           = "api"
  template          = "custom"
  escalation_policy = escalation_policy.data_default
}

integration "warehouse_loads" {
  name              = "Warehouse nightly load"
  channel           = "api"
  template          = "custom"
  escalation_policy = escalation_policy.data_default
}

integration "dbt_email" {
  name              = "dbt Cloud notifications"
  channel           = "email"
  template          = "custom"
  escalation_policy = escalation_policy.data_default
}

integration "data_teams" {
  name              = "Data #data-incidents"
  channel           = "api"
  template          = "custom"
  escalation_policy = escalation_policy.data_default
}
