//! `SQLite` storage of the bundled service: WAL, `synchronous=FULL`, foreign keys on, schema
//! versioned by `user_version`. One writer connection (`SQLite` has one writer anyway) and a small
//! pool of readers, which WAL lets run beside it.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use super::error::ApiError;

/// Each entry migrates from `user_version` = index to index + 1.
const MIGRATIONS: &[&str] = &[
    r"
CREATE TABLE tokens (
    name TEXT PRIMARY KEY,
    digest TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE objects (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    -- What must be unique within a kind: the name, or a user's lowercased email.
    unique_key TEXT NOT NULL,
    body TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    -- Integrations with a key: the nonce it is derived from, and its digest for lookups. The key
    -- itself is never stored.
    key_nonce TEXT,
    key_digest TEXT UNIQUE,
    UNIQUE (kind, unique_key)
) STRICT;
CREATE INDEX objects_by_kind ON objects (kind, id);
CREATE INDEX objects_by_name ON objects (kind, name);

CREATE TABLE refs (
    from_id TEXT NOT NULL REFERENCES objects (id) ON DELETE CASCADE,
    to_id TEXT NOT NULL REFERENCES objects (id),
    PRIMARY KEY (from_id, to_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX refs_by_target ON refs (to_id);

CREATE TABLE idempotency (
    token_digest TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    object_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (token_digest, key)
) STRICT;

CREATE TABLE alerts (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    integration_id TEXT NOT NULL REFERENCES objects (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    received_at TEXT NOT NULL,
    payload TEXT NOT NULL,
    routing TEXT NOT NULL
) STRICT;
CREATE INDEX alerts_by_integration ON alerts (integration_id, seq);
",
    r"
-- Objects of an emulated vendor API (`serve --api VENDOR`), as that vendor's JSON. `lookup` is
-- the value the vendor filters by (a name, a lowercased email, a parent id), `rank` an order
-- within a parent (OnCall's step positions), `seq` the order of creation.
CREATE TABLE vendor_objects (
    api TEXT NOT NULL,
    collection TEXT NOT NULL,
    id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    lookup TEXT NOT NULL,
    rank INTEGER NOT NULL DEFAULT 0,
    body TEXT NOT NULL,
    PRIMARY KEY (api, collection, id)
) STRICT;
CREATE INDEX vendor_objects_by_seq ON vendor_objects (api, collection, seq);
CREATE INDEX vendor_objects_by_lookup ON vendor_objects (api, collection, lookup, rank);
",
    r"
-- Deliveries of alerts to outbound webhook targets: one row per (alert, step, target), due when
-- the step runs, retried with back-off until delivered or out of attempts. Rows outlive a
-- restart, so a delivery in flight when the service stopped is sent again, never lost.
CREATE TABLE deliveries (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    alert_id TEXT NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    outbound_id TEXT NOT NULL,
    outbound_name TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    -- Unix milliseconds; also a lease while an attempt is in flight.
    next_attempt_at INTEGER NOT NULL,
    last_status INTEGER,
    last_error TEXT,
    updated_at TEXT NOT NULL
) STRICT;
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_by_alert ON deliveries (alert_id, seq);
",
];

const READERS: usize = 4;

pub struct Store {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database `{path}`: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error(
        "the database `{path}` has schema version {found}, newer than this alertform knows ({known})"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: usize,
    },
}

impl Store {
    /// Opens (creating and migrating as needed) `dir/alertform.db`.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let path = dir.join("alertform.db");
        let open_err = |source| StoreError::Open {
            path: path.clone(),
            source,
        };
        let mut writer = Connection::open(&path).map_err(open_err)?;
        configure(&writer).map_err(open_err)?;
        migrate(&mut writer, &path)?;
        let readers = (0..READERS)
            .map(|_| {
                let conn = Connection::open_with_flags(
                    &path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                configure(&conn)?;
                Ok(conn)
            })
            .collect::<Result<Vec<_>, rusqlite::Error>>()
            .map_err(open_err)?;
        Ok(Store {
            path,
            writer: Mutex::new(writer),
            readers: Mutex::new(readers),
        })
    }

    /// Runs `f` in an immediate transaction, committed only when it returns `Ok`.
    pub fn write<T>(
        &self,
        f: impl FnOnce(&Transaction) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut conn = self
            .writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        in_transaction(&mut conn, TransactionBehavior::Immediate, f)
    }

    /// Runs `f` on a reader connection (one read transaction).
    pub fn read<T>(
        &self,
        f: impl FnOnce(&Transaction) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let pooled = self
            .readers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop();
        let mut conn = if let Some(conn) = pooled {
            conn
        } else {
            let conn = Connection::open_with_flags(
                &self.path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(ApiError::from_sqlite)?;
            configure(&conn).map_err(ApiError::from_sqlite)?;
            conn
        };
        let result = in_transaction(&mut conn, TransactionBehavior::Deferred, f);
        let mut readers = self
            .readers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if readers.len() < READERS {
            readers.push(conn);
        }
        result
    }
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    Ok(())
}

fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let open_err = |source| StoreError::Open {
        path: path.to_owned(),
        source,
    };
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(open_err)?;
    let current = usize::try_from(version).unwrap_or(usize::MAX);
    if current > MIGRATIONS.len() {
        return Err(StoreError::TooNew {
            path: path.to_owned(),
            found: version,
            known: MIGRATIONS.len(),
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        let tx = conn.transaction().map_err(open_err)?;
        tx.execute_batch(sql).map_err(open_err)?;
        tx.pragma_update(
            None,
            "user_version",
            i64::try_from(i + 1).unwrap_or(i64::MAX),
        )
        .map_err(open_err)?;
        tx.commit().map_err(open_err)?;
    }
    Ok(())
}

/// Runs `f` in one transaction of `conn`, ended (committed) only when it returns `Ok`; an
/// error drops the transaction, which rolls it back.
fn in_transaction<T>(
    conn: &mut Connection,
    behavior: TransactionBehavior,
    f: impl FnOnce(&Transaction) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let tx = conn
        .transaction_with_behavior(behavior)
        .map_err(ApiError::from_sqlite)?;
    let value = f(&tx)?;
    tx.commit().map_err(ApiError::from_sqlite)?;
    Ok(value)
}

/// The one value the first row of `sql` holds (`SELECT count(*) …`).
pub fn scalar<T: rusqlite::types::FromSql>(
    tx: &Transaction,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<T, ApiError> {
    tx.query_row(sql, params, |r| r.get(0))
        .map_err(ApiError::from_sqlite)
}

#[cfg(test)]
impl Store {
    /// A store in a new temporary folder (removed when the `TempDir` drops), for unit tests of
    /// an emulation's rules.
    pub fn temporary() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        (dir, store)
    }

    /// A temporary store that `open` seeds from `seed` (a dialect's seed file, as JSON),
    /// making `made` objects, and checking that seeding it again makes none.
    pub fn seeded<S: serde::de::DeserializeOwned>(
        seed: serde_json::Value,
        open: fn(&Transaction, &S) -> Result<usize, ApiError>,
        made: usize,
    ) -> (tempfile::TempDir, Store) {
        let seed: S = serde_json::from_value(seed).unwrap();
        let (dir, store) = Store::temporary();
        assert_eq!(store.write(|tx| open(tx, &seed)).unwrap(), made);
        let again = store.write(|tx| open(tx, &seed)).unwrap();
        assert_eq!(again, 0, "a second seed makes nothing");
        (dir, store)
    }
}
