# Integrations owned by Mobile.

integration "sentry_mobile" {
  name              = "Sentry (mobile apps)"
  channel           = "api"
  template          = "sentry"
  escalation_policy = escalation_policy.mobile_default
}

integration "crashlytics" {
  name              = "Firebase Crashlytics"
  channel           = "api"
  template          = "custom"
  escalation_policy = escalation_policy.mobile_default
  enabled           = false
}

integration "app_store_email" {
  name              = "App Store Connect mail"
  channel           = "email"
  template          = "custom"
  escalation_policy = escalation_policy.business_hours
}
