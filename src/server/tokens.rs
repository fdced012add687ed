//! `/api/v1/tokens`: the owner mints, lists and revokes API tokens. A token is shown once, when it
//! is created; only its digest is stored.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use rusqlite::params;

use super::App;
use super::auth::{Permission, new_token, sha256_hex};
use super::error::ApiError;
use super::resources::{now, parse_json};
use super::store::scalar;
use crate::api::{CreatedToken, TokenInfo, TokenInput, TokenRole};
use crate::model::is_valid_key;

pub async fn list(State(app): State<App>, headers: HeaderMap) -> Result<Response, ApiError> {
    app.caller(&headers)?.require(Permission::Admin)?;
    let tokens = app
        .read(|tx| {
            let mut statement = tx
                .prepare("SELECT name, role, created_at FROM tokens ORDER BY name")
                .map_err(ApiError::from_sqlite)?;
            statement
                .query_map([], |r| {
                    let role: String = r.get(1)?;
                    Ok(TokenInfo {
                        name: r.get(0)?,
                        role: TokenRole::parse(&role).unwrap_or(TokenRole::Observer),
                        created_at: r.get(2)?,
                    })
                })
                .map_err(ApiError::from_sqlite)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(ApiError::from_sqlite)
        })
        .await?;
    Ok(axum::Json(serde_json::json!({ "results": tokens })).into_response())
}

pub async fn create(
    State(app): State<App>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    app.caller(&headers)?.require(Permission::Admin)?;
    let input: TokenInput = parse_json(&body)?;
    if !is_valid_key(&input.name) || input.name.len() > 64 {
        return Err(ApiError::invalid_fields(
            [(
                "name".to_owned(),
                "1–64 of a-z, 0-9, `_` and `-`".to_owned(),
            )]
            .into(),
        ));
    }
    let token = new_token();
    let digest = sha256_hex(token.as_bytes());
    let created_at = now();
    let (name, role, at) = (input.name.clone(), input.role, created_at.clone());
    app.write(move |tx| {
        let existing: i64 = scalar(tx, "SELECT count(*) FROM tokens WHERE name = ?1", [&name])?;
        if existing > 0 {
            return Err(ApiError::conflict(format!(
                "a token named `{name}` exists; revoke it first"
            )));
        }
        tx.execute(
            "INSERT INTO tokens (name, digest, role, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![name, digest, role.as_str(), at],
        )
        .map_err(ApiError::from_sqlite)?;
        Ok(())
    })
    .await?;
    app.reload_tokens()?;
    let created = CreatedToken {
        name: input.name,
        role: input.role,
        created_at,
        token,
    };
    Ok((StatusCode::CREATED, axum::Json(created)).into_response())
}

pub async fn revoke(
    State(app): State<App>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    app.caller(&headers)?.require(Permission::Admin)?;
    app.write(move |tx| {
        let role: Option<String> = rusqlite::OptionalExtension::optional(tx.query_row(
            "SELECT role FROM tokens WHERE name = ?1",
            params![name],
            |r| r.get(0),
        ))
        .map_err(ApiError::from_sqlite)?;
        let role = role.ok_or_else(|| ApiError::not_found(format!("no token named `{name}`")))?;
        if role == "owner" {
            let owners: i64 = scalar(tx, "SELECT count(*) FROM tokens WHERE role = 'owner'", [])?;
            if owners <= 1 {
                return Err(ApiError::conflict("cannot revoke the last owner token"));
            }
        }
        tx.execute("DELETE FROM tokens WHERE name = ?1", params![name])
            .map_err(ApiError::from_sqlite)?;
        Ok(())
    })
    .await?;
    app.reload_tokens()?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
