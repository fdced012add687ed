//! The template gallery of the bundled service: which source systems it has presets for, and on
//! which channels.

use crate::api::Template;
use crate::model::Channel::{self, Api, Chat, Email, Heartbeat};

const GALLERY: &[(&str, &str, &[Channel])] = &[
    ("custom", "Custom", &[Api, Email, Chat, Heartbeat]),
    ("grafana", "Grafana Alerting", &[Api, Email]),
    ("prometheus_alertmanager", "Prometheus Alertmanager", &[Api]),
    ("datadog", "Datadog", &[Api, Email]),
    ("aws_cloudwatch", "Amazon CloudWatch", &[Api, Email]),
    ("azure_monitor", "Azure Monitor", &[Api]),
    ("google_cloud_monitoring", "Google Cloud Monitoring", &[Api]),
    ("new_relic", "New Relic", &[Api, Email]),
    ("sentry", "Sentry", &[Api, Email]),
    ("zabbix", "Zabbix", &[Api, Email]),
    ("nagios", "Nagios", &[Api, Email]),
    ("pingdom", "Pingdom", &[Api, Email]),
    ("uptime_robot", "UptimeRobot", &[Api, Email]),
    ("elastic", "Elastic Observability", &[Api]),
    ("jira", "Jira Service Management", &[Api, Email]),
    ("slack", "Slack", &[Chat]),
    ("microsoft_teams", "Microsoft Teams", &[Chat]),
    ("cron_heartbeat", "Cron job heartbeat", &[Heartbeat]),
];

pub fn templates() -> Vec<Template> {
    GALLERY
        .iter()
        .map(|(slug, name, channels)| Template {
            slug: (*slug).to_owned(),
            display_name: (*name).to_owned(),
            channels: channels.to_vec(),
        })
        .collect()
}

/// The channels a template supports, or `None` if the gallery has no such slug.
pub fn channels_of(slug: &str) -> Option<&'static [Channel]> {
    GALLERY
        .iter()
        .find(|(s, _, _)| *s == slug)
        .map(|(_, _, c)| *c)
}
