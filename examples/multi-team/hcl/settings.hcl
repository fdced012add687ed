# Objects created by hand in the service that alertform must leave alone.

settings {
  ignore             = ["integration:legacy-*", "user:*@contractors.example.com"]
  max_delete_percent = 20
}
