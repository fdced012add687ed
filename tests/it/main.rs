//! The one integration-test binary: the real `alertform` executable, driven as a user would.

mod alertops;
mod apply;
mod browser;
mod cli;
mod config_corpus;
mod contract;
mod examples;
mod first_hour;
mod hostile;
mod lint;
mod oncall;
mod opsgenie;
mod opsgenie_contract;
mod outbound;
mod pagerduty;
mod pagerduty_contract;
mod plan;
mod reliability;
mod schedules;
mod schema;
mod security;
mod server;
mod support;
mod uptinio;
mod validate;
mod vendors;
