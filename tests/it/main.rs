//! The one integration-test binary: the real `alertform` executable, driven as a user would.

mod config_corpus;
mod examples;
mod plan;
mod schema;
mod server;
mod support;
mod validate;
