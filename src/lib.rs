//! alertform manages on-call alerting setup — integrations, escalation policies, schedules, users,
//! groups and outbound targets — as code.
//!
//! Data flows one way:
//!
//! ```text
//! files (.toml/.hcl) → config (parse, spans) → model (validated desired state)
//!                                                    ↓
//! live service → provider (HTTP client)   →  observed state
//!                                                    ↓
//!                           plan (pure: diff + dependency graph) → Plan
//!                                                    ↓
//!                           apply (ordered, concurrent calls through provider)
//! ```
//!
//! - [`config`]: reads TOML and HCL into one spanned tree, decodes it, locates every problem.
//! - [`model`]: the validated desired state, references resolved.
//! - [`provider`], [`plan`], [`apply`]: live state, the pure diff, and carrying it out. A
//!   provider per live service (alertform's own, Grafana OnCall, PagerDuty, AlertOps, Uptinio) behind one
//!   boundary, each declaring what it can hold.
//! - [`schedule`]: who is on call when, the rotation maths (pure).
//! - [`server`]: the bundled backing service, beside the flow (it delivers alerts to webhook
//!   targets), and local emulations of vendors' APIs (`serve --api`) over the same store.
//! - [`cli`] wires them together; [`printer`] owns the terminal; [`exit`] holds the exit codes.

pub mod api;
pub mod apply;
pub mod cli;
pub mod config;
pub mod digest;
pub mod exit;
pub mod export;
pub mod generate;
pub mod lint;
pub mod model;
pub mod observed;
pub mod ops;
pub mod plan;
pub mod printer;
pub mod provider;
pub mod registry;
pub mod schedule;
pub mod server;
pub mod words;
