//! One error type for every failure of the API, rendered as
//! `{"error": {"code", "message", "fields"}}` whatever went wrong — bad JSON and unknown routes too.

use std::collections::BTreeMap;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::api::{ErrorBody, ErrorDetail};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub fields: BTreeMap<String, String>,
    pub referenced_by: Vec<String>,
    /// Seconds, for `rate_limited` and `unavailable`.
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            fields: BTreeMap::new(),
            referenced_by: Vec::new(),
            retry_after: None,
        }
    }

    /// 400: the request cannot be read at all (malformed JSON, bad query).
    pub fn malformed(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }

    /// 422: readable, but the values are not acceptable.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", message)
    }

    /// 422 listing the reason for each field.
    pub fn invalid_fields(fields: BTreeMap<String, String>) -> Self {
        let message = match fields.len() {
            1 => {
                let (field, why) = fields.iter().next().expect("one field");
                format!("invalid `{field}`: {why}")
            }
            n => format!("{n} fields are invalid"),
        };
        ApiError {
            fields,
            ..Self::invalid(message)
        }
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", message)
    }

    pub fn precondition_failed(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::PRECONDITION_FAILED,
            "precondition_failed",
            message,
        )
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        ApiError {
            retry_after: Some(1),
            ..Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    /// A database failure. Unique and foreign-key violations are the caller's conflict; anything
    /// else is ours.
    #[allow(
        clippy::needless_pass_by_value,
        reason = "used as `map_err(ApiError::from_sqlite)`"
    )]
    pub fn from_sqlite(err: rusqlite::Error) -> Self {
        if let rusqlite::Error::SqliteFailure(e, _) = &err {
            match e.code {
                rusqlite::ErrorCode::ConstraintViolation => {
                    return Self::conflict(format!("the change conflicts with stored data: {err}"));
                }
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked => {
                    return Self::unavailable("the database is busy; try again");
                }
                _ => {}
            }
        }
        tracing::error!(error = %err, "database error");
        Self::internal("internal database error")
    }

    /// The shape a plain status (from axum's own rejections) is given.
    pub fn from_status(status: StatusCode) -> Self {
        let (code, message) = match status {
            StatusCode::NOT_FOUND => ("not_found", "no such route"),
            StatusCode::METHOD_NOT_ALLOWED => {
                ("method_not_allowed", "method not allowed on this route")
            }
            StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "request body is over 1 MiB"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => (
                "invalid_request",
                "send a JSON body with `Content-Type: application/json`",
            ),
            s if s.is_client_error() => ("invalid_request", "invalid request"),
            _ => ("internal", "internal error"),
        };
        Self::new(status, code, message)
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message.clone(),
                fields: self.fields.clone(),
                referenced_by: self.referenced_by.clone(),
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body())).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
