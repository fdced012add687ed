//! The store of emulated vendor APIs: each vendor's objects as its own JSON, in one table, in
//! the same database and transactions as the bundled service (moto's backend: state here, wire
//! dialect in the vendor's module).

use std::collections::HashMap;

use rusqlite::{OptionalExtension, Transaction, params};
use serde_json::Value;

use super::error::ApiError;

/// One collection of one vendor API.
#[derive(Debug, Clone, Copy)]
pub struct Collection {
    pub api: &'static str,
    pub name: &'static str,
    /// Listed by (lookup, rank) — children ordered within their parent — instead of by creation.
    pub ranked: bool,
}

fn decode(text: &str) -> Result<Value, ApiError> {
    serde_json::from_str(text).map_err(|e| ApiError::internal(format!("stored object: {e}")))
}

impl Collection {
    /// How many objects match `lookup` (all without one).
    pub fn count(&self, tx: &Transaction, lookup: Option<&str>) -> Result<u64, ApiError> {
        let n: i64 = match lookup {
            Some(value) => tx.query_row(
                "SELECT count(*) FROM vendor_objects WHERE api = ?1 AND collection = ?2 AND lookup = ?3",
                params![self.api, self.name, value],
                |r| r.get(0),
            ),
            None => tx.query_row(
                "SELECT count(*) FROM vendor_objects WHERE api = ?1 AND collection = ?2",
                params![self.api, self.name],
                |r| r.get(0),
            ),
        }
        .map_err(ApiError::from_sqlite)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// One page of the objects matching `lookup`, in the collection's order.
    pub fn page(
        &self,
        tx: &Transaction,
        lookup: Option<&str>,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<Value>, ApiError> {
        // With a lookup, the lookup index gives the order (rank is 0 in unranked collections,
        // so creation order stays): ordering by `seq` alone would scan the collection.
        let order = if self.ranked || lookup.is_some() {
            "lookup, rank, seq"
        } else {
            "seq"
        };
        let filter = if lookup.is_some() {
            "AND lookup = ?5"
        } else {
            "AND ?5 IS NULL"
        };
        self.select(
            tx,
            &format!("{filter} ORDER BY {order}"),
            offset,
            limit,
            lookup,
        )
    }

    /// One page of the whole collection in the order of its lookups (names, for collections
    /// looked up by name), ascending or descending: a vendor list sorted by name, paged by the
    /// index.
    pub fn page_by_lookup(
        &self,
        tx: &Transaction,
        descending: bool,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<Value>, ApiError> {
        let direction = if descending { "DESC" } else { "ASC" };
        let order = format!(
            "AND ?5 IS NULL ORDER BY lookup {direction}, rank {direction}, seq {direction}"
        );
        self.select(tx, &order, offset, limit, None)
    }

    /// The page `[offset, offset + limit)` of the collection's objects that `filter_and_order`
    /// (SQL after the collection's own condition; `?5` is `lookup`) picks and orders.
    fn select(
        &self,
        tx: &Transaction,
        filter_and_order: &str,
        offset: u64,
        limit: u64,
        lookup: Option<&str>,
    ) -> Result<Vec<Value>, ApiError> {
        let sql = format!(
            "SELECT body FROM vendor_objects WHERE api = ?1 AND collection = ?2 {filter_and_order} LIMIT ?3 OFFSET ?4"
        );
        let mut statement = tx.prepare_cached(&sql).map_err(ApiError::from_sqlite)?;
        let rows = statement
            .query_map(
                params![
                    self.api,
                    self.name,
                    i64::try_from(limit).unwrap_or(i64::MAX),
                    i64::try_from(offset).unwrap_or(i64::MAX),
                    lookup
                ],
                |r| r.get::<_, String>(0),
            )
            .map_err(ApiError::from_sqlite)?;
        rows.map(|row| decode(&row.map_err(ApiError::from_sqlite)?))
            .collect()
    }

    /// Every object matching `lookup`.
    pub fn all(&self, tx: &Transaction, lookup: Option<&str>) -> Result<Vec<Value>, ApiError> {
        self.page(tx, lookup, 0, u64::MAX >> 1)
    }

    pub fn get(&self, tx: &Transaction, id: &str) -> Result<Option<Value>, ApiError> {
        tx.query_row(
            "SELECT body FROM vendor_objects WHERE api = ?1 AND collection = ?2 AND id = ?3",
            params![self.api, self.name, id],
            |r| r.get::<_, String>(0),
        )
        .optional()
        .map_err(ApiError::from_sqlite)?
        .map(|text| decode(&text))
        .transpose()
    }

    /// Inserts or replaces `body` (which has an `id`); a new object goes last in creation order.
    pub fn put(
        &self,
        tx: &Transaction,
        body: &Value,
        lookup: &str,
        rank: i64,
    ) -> Result<(), ApiError> {
        let id = body["id"].as_str().unwrap_or_default();
        tx.execute(
            "INSERT INTO vendor_objects (api, collection, id, seq, lookup, rank, body)
             VALUES (?1, ?2, ?3, (SELECT coalesce(max(seq), 0) + 1 FROM vendor_objects), ?4, ?5, ?6)
             ON CONFLICT (api, collection, id) DO UPDATE
             SET lookup = excluded.lookup, rank = excluded.rank, body = excluded.body",
            params![self.api, self.name, id, lookup, rank, body.to_string()],
        )
        .map_err(ApiError::from_sqlite)?;
        Ok(())
    }

    /// Deletes one object; whether it was there.
    pub fn delete(&self, tx: &Transaction, id: &str) -> Result<bool, ApiError> {
        let n = tx
            .execute(
                "DELETE FROM vendor_objects WHERE api = ?1 AND collection = ?2 AND id = ?3",
                params![self.api, self.name, id],
            )
            .map_err(ApiError::from_sqlite)?;
        Ok(n > 0)
    }
}

/// The query string as a map (the last of repeated keys wins).
pub fn query_pairs(query: Option<&str>) -> HashMap<String, String> {
    query_list(query).into_iter().collect()
}

/// The query string as (key, value) pairs in order, repeated keys kept (`include[]=a&include[]=b`),
/// percent-decoded with `+` as a space (`application/x-www-form-urlencoded`).
pub fn query_list(query: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}
