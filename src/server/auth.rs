//! Who may do what: bearer tokens (stored only as SHA-256 digests), roles and their permissions,
//! and the secrets the service mints.

use axum::http::HeaderMap;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::error::ApiError;
use crate::api::TokenRole;
use crate::model::Kind;

/// What a request needs to be allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    Read,
    /// Users, groups, schedules and escalation policies.
    DirectoryWrite,
    /// `AlertOps`' `InboundIntegrations_GlobalAccess`.
    IntegrationsWrite,
    /// Tokens and reset.
    Admin,
}

impl Permission {
    pub fn to_write(kind: Kind) -> Permission {
        match kind {
            Kind::Integration => Permission::IntegrationsWrite,
            Kind::User | Kind::Group | Kind::Schedule | Kind::EscalationPolicy => {
                Permission::DirectoryWrite
            }
        }
    }

    fn name(self) -> &'static str {
        match self {
            Permission::Read => "read",
            Permission::DirectoryWrite => "directory:write",
            Permission::IntegrationsWrite => "integrations:write",
            Permission::Admin => "tokens:admin",
        }
    }

    fn roles(self) -> &'static [TokenRole] {
        match self {
            Permission::Read => &[
                TokenRole::Owner,
                TokenRole::Admin,
                TokenRole::IntegrationsAdmin,
                TokenRole::Observer,
            ],
            Permission::DirectoryWrite => &[TokenRole::Owner, TokenRole::Admin],
            Permission::IntegrationsWrite => &[
                TokenRole::Owner,
                TokenRole::Admin,
                TokenRole::IntegrationsAdmin,
            ],
            Permission::Admin => &[TokenRole::Owner],
        }
    }
}

/// The caller, once its token is known.
#[derive(Debug, Clone)]
pub struct Caller {
    pub token_name: String,
    pub token_digest: String,
    pub role: TokenRole,
}

impl Caller {
    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        if permission.roles().contains(&self.role) {
            return Ok(());
        }
        let roles: Vec<&str> = permission.roles().iter().map(|r| r.as_str()).collect();
        Err(ApiError::forbidden(format!(
            "token `{}` has role `{}`, which lacks the `{}` permission (roles with it: {})",
            self.token_name,
            self.role.as_str(),
            permission.name(),
            roles.join(", ")
        )))
    }
}

/// The bearer token of a request, if it sent one.
pub fn bearer(headers: &HeaderMap) -> Result<&str, ApiError> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("missing `Authorization: Bearer <token>` header"))?;
    value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::unauthorized("the Authorization header must be `Bearer <token>`"))
}

pub use crate::digest::{hex, sha256_hex};

/// `n` bytes from the operating system's CSPRNG, as lowercase hex.
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    hex(&bytes)
}

/// A uniformly random number in [0, 1), for fault injection.
pub fn random_unit() -> f64 {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    #[allow(
        clippy::cast_precision_loss,
        reason = "53 random bits are all a probability needs"
    )]
    let value = (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64;
    value
}

/// A new API token.
pub fn new_token() -> String {
    format!("af_{}", random_hex(24))
}

/// The integration key of a nonce: 32 hex characters of HMAC-SHA256(server secret, nonce).
/// The database keeps the nonce and the key's digest, never the key.
pub fn integration_key(secret: &[u8], nonce: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any size");
    mac.update(nonce.as_bytes());
    let full = hex(&mac.finalize().into_bytes());
    full[..32].to_owned()
}
