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
//! - [`config`]: reads TOML and HCL into one spanned tree, decodes it, locates every problem, and
//!   lowers it into [`model`]: the validated desired state, references resolved.
//! - [`observed`]: live state as plain data, the floor under [`plan`] and every provider.
//! - [`provider`], [`plan`], [`apply`], [`ops`]: reading live state, the pure diff, carrying it
//!   out, and the operations commands share. A client per live service behind one [`provider::Vendor`]
//!   trait, each declaring what it can hold; [`registry`] lists them, one line a vendor.
//! - [`verify`] and [`migrate`]: who each vendor pages for two configs, compared; a config
//!   rewritten for another vendor, every change of who is paged said.
//! - [`words`]: English for messages, and [`json`]: reading JSON arrays, percent-encoding and
//!   schemas for both sides of the wire; leaves.
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
pub mod json;
pub mod lint;
pub mod migrate;
pub mod model;
pub mod observed;
pub mod ops;
pub mod plan;
pub mod printer;
pub mod provider;
pub mod registry;
pub mod schedule;
pub mod server;
pub mod verify;
pub mod words;
