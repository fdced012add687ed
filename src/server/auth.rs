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
            Kind::Integration | Kind::Outbound => Permission::IntegrationsWrite,
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

/// A random version-4-shaped UUID (8-4-4-4-12 hex digits), the id shape of several vendors.
pub fn new_uuid() -> String {
    let hex = random_hex(16);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
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

/// The key that seals outbound secrets at rest: derived from the server secret, so the database
/// alone does not reveal them.
fn sealing_key(secret: &[u8]) -> chacha20poly1305::Key {
    let mut hasher = <Sha256 as sha2::Digest>::new();
    sha2::Digest::update(&mut hasher, b"alertform outbound secrets\0");
    sha2::Digest::update(&mut hasher, secret);
    let bytes: [u8; 32] = sha2::Digest::finalize(hasher).into();
    bytes.into()
}

/// Seals a secret for storage (ChaCha20-Poly1305, a random nonce): `v1.<nonce>.<ciphertext>`.
pub fn seal(secret: &[u8], plaintext: &str) -> String {
    use chacha20poly1305::aead::Aead;
    use chacha20poly1305::{ChaCha20Poly1305, KeyInit as _, Nonce};
    let cipher = ChaCha20Poly1305::new(&sealing_key(secret));
    let mut nonce = [0u8; 12];
    getrandom::fill(&mut nonce).expect("the operating system's random source works");
    let sealed = cipher
        .encrypt(Nonce::from_slice(&nonce), plaintext.as_bytes())
        .expect("sealing a short text cannot fail");
    format!("v1.{}.{}", hex(&nonce), hex(&sealed))
}

/// The secret [`seal`] sealed; an error when the store was sealed under another server secret.
pub fn unseal(secret: &[u8], sealed: &str) -> Result<String, ApiError> {
    use chacha20poly1305::aead::Aead;
    use chacha20poly1305::{ChaCha20Poly1305, KeyInit as _, Nonce};
    let broken = || {
        ApiError::internal(
            "a stored secret cannot be opened (was the data directory's server secret replaced?)",
        )
    };
    let mut parts = sealed.split('.');
    let (Some("v1"), Some(nonce), Some(text), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(broken());
    };
    let (nonce, text) = (
        unhex(nonce).ok_or_else(broken)?,
        unhex(text).ok_or_else(broken)?,
    );
    if nonce.len() != 12 {
        return Err(broken());
    }
    let cipher = ChaCha20Poly1305::new(&sealing_key(secret));
    let plain = cipher
        .decrypt(Nonce::from_slice(&nonce), text.as_slice())
        .map_err(|_| broken())?;
    String::from_utf8(plain).map_err(|_| broken())
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}
