//! Whose API the service speaks, as a value: each dialect module (alertform's own in
//! `native.rs`, a vendor's in `<vendor>.rs`) exports one [`Dialect`], and the shared layers
//! (faults, rate limits, error rendering, seeding, start-up) read it instead of naming vendors.

use std::path::Path;

use axum::Router;
use axum::response::Response;
use rusqlite::Transaction;

use super::{ApiError, App, ServerError};

/// Loads a seed file into the store.
pub type Seed = fn(&App, &Path) -> Result<(), ServerError>;

/// Opens what an account always has; the acting user's email.
pub type Open = fn(&Transaction) -> Result<Option<String>, ApiError>;

/// One API the service can speak: its routes and everything the shared layers need to know.
#[derive(Debug)]
pub struct Dialect {
    /// The whole HTTP surface, shared layers included (see `vendor_router`).
    pub router: fn(App) -> Router,
    /// An error a shared layer made (faults, rejections before a handler), in this API's shape.
    pub render_error: fn(ApiError) -> Response,
    /// `--rate-limit` counts requests per this many seconds (PagerDuty's and Uptinio's limits
    /// are per minute).
    pub rate_window_seconds: u64,
    /// Whether answers say where a client stands against `--rate-limit` (the `ratelimit-*`
    /// header fields); a vendor dialect sends them only where its vendor does.
    pub rate_limit_headers: bool,
    /// `--lock-rate`: the refusal a vendor gives a write while the account is locked by
    /// concurrent changes (PagerDuty's 400), if it has one.
    pub lock_refusal: Option<&'static str>,
    /// The seed file an embedded emulation reads from beside a config, if the dialect takes one.
    pub seed_file: Option<&'static str>,
    /// Loads `serve --seed FILE`, if the dialect takes one.
    pub seed: Option<Seed>,
    /// Run once at start, in a write transaction: what an account always has (PagerDuty's
    /// owner). Returns the email of the user the API acts as, if there is one.
    pub open: Option<Open>,
    /// Whether the service delivers alerts to webhook targets (the bundled service does; the
    /// emulations only store).
    pub delivers: bool,
}

impl Dialect {
    /// A vendor's API as most emulations speak it: limits per second with no rate-limit
    /// headers, no lock refusals, no seed, nothing opened at start, no deliveries, until the
    /// dialect says otherwise (`..Dialect::vendor(…)` after what differs).
    pub const fn vendor(
        router: fn(App) -> Router,
        render_error: fn(ApiError) -> Response,
    ) -> Dialect {
        Dialect {
            router,
            render_error,
            rate_window_seconds: 1,
            rate_limit_headers: false,
            lock_refusal: None,
            seed_file: None,
            seed: None,
            open: None,
            delivers: false,
        }
    }
}
