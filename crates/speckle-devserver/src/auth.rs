//! Tokens and passwords, as passport-jwt and the User model handle them.
//!
//! Tokens are HS256 JWTs stored and sent with the literal prefix `JWT `:
//! the apitoken carries `{_id}` for two years, the session token
//! `{_id, name}` for 24 hours. Only `Authorization: JWT <jwt>` is read
//! (the scheme compared case-insensitively, `Bearer` refused).

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::ids::now_ms;

/// Two years, as jsonwebtoken's `'2y'` (365.25 days a year).
pub(crate) const APITOKEN_SECS: i64 = 63_115_200;
/// `'24h'`.
pub(crate) const SESSION_SECS: i64 = 86_400;

/// bcrypt's work factor. The real server uses 10; hashes are never shown, so
/// a lower cost only makes registering and logging in faster here.
const BCRYPT_COST: u32 = 6;

#[derive(Serialize)]
struct Claims<'a> {
    _id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    iat: i64,
    exp: i64,
}

#[derive(Deserialize)]
struct Decoded {
    #[serde(rename = "_id")]
    id: Option<serde_json::Value>,
}

/// A token secret: shown as `<redacted>` by `Debug`, so printing a
/// configuration or the settings never leaks it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(String);

impl Secret {
    pub(crate) fn new(secret: impl Into<String>) -> Secret {
        Secret(secret.into())
    }

    /// The secret itself, for signing and verifying only.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// 32 random bytes from the operating system, as hex: a token secret
/// nobody can guess (a fixed default would let anyone sign an admin token).
pub(crate) fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    if getrandom::fill(&mut bytes).is_err() {
        // No OS randomness (never seen on supported systems): fall back to
        // the process's seeded generator rather than a constant.
        bytes.iter_mut().for_each(|b| *b = fastrand::u8(..));
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Signs a token and returns it with its `JWT ` prefix.
pub(crate) fn sign(secret: &str, user_id: &str, name: Option<&str>, lifetime_secs: i64) -> String {
    let iat = now_ms() / 1000;
    let claims = Claims {
        _id: user_id,
        name,
        iat,
        exp: iat + lifetime_secs,
    };
    match jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    ) {
        Ok(t) => format!("JWT {t}"),
        // Serialising this struct cannot fail; keep a token that never
        // verifies rather than panicking.
        Err(_) => "JWT invalid".into(),
    }
}

/// What the `Authorization` header yields.
#[derive(Debug, PartialEq)]
pub(crate) enum Bearer {
    /// No usable token: missing header, wrong scheme, bad signature, expired.
    Invalid,
    /// A valid token naming this user id (not yet looked up).
    User(String),
    /// A valid token whose `_id` is not an id at all.
    BadId(String),
}

/// `ExtractJwt.fromAuthHeaderWithScheme('JWT')` then `jwt.verify`.
pub(crate) fn verify_header(secret: &str, header: Option<&str>) -> Bearer {
    let Some(header) = header else {
        return Bearer::Invalid;
    };
    // passport-jwt matches /(\S+)\s+(\S+)/ anywhere in the header.
    let mut parts = header.split_whitespace();
    let (Some(scheme), Some(token)) = (parts.next(), parts.next()) else {
        return Bearer::Invalid;
    };
    if !scheme.eq_ignore_ascii_case("jwt") {
        return Bearer::Invalid;
    }
    let mut v = Validation::new(Algorithm::HS256);
    v.algorithms = vec![Algorithm::HS256, Algorithm::HS384, Algorithm::HS512];
    v.leeway = 0;
    v.required_spec_claims.clear();
    v.validate_aud = false;
    match jsonwebtoken::decode::<Decoded>(token, &DecodingKey::from_secret(secret.as_bytes()), &v) {
        Ok(data) => match data.claims.id {
            Some(serde_json::Value::String(id)) => Bearer::User(id),
            Some(other) => Bearer::BadId(other.to_string()),
            None => Bearer::BadId("undefined".into()),
        },
        Err(_) => Bearer::Invalid,
    }
}

/// A bcrypt hash of the password.
pub(crate) fn hash_password(password: &str) -> String {
    bcrypt::hash(password, BCRYPT_COST).unwrap_or_default()
}

/// Whether the password matches the stored hash.
pub(crate) fn check_password(password: &str, hash: &str) -> bool {
    bcrypt::verify(password, hash).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_with_prefix_and_scheme_rules() {
        let t = sign("s", "6b0c43a184c96928c7155336", Some("Alice"), 60);
        assert!(t.starts_with("JWT "));
        let id = Bearer::User("6b0c43a184c96928c7155336".into());
        assert_eq!(verify_header("s", Some(&t)), id);
        let lower = t.replacen("JWT", "jwt", 1);
        assert_eq!(verify_header("s", Some(&lower)), id);
        let bearer = t.replacen("JWT", "Bearer", 1);
        assert_eq!(verify_header("s", Some(&bearer)), Bearer::Invalid);
        let bare = t.trim_start_matches("JWT ").to_string();
        assert_eq!(verify_header("s", Some(&bare)), Bearer::Invalid);
        assert_eq!(verify_header("other", Some(&t)), Bearer::Invalid);
        assert_eq!(verify_header("s", None), Bearer::Invalid);
        assert_eq!(verify_header("s", Some("JWT garbage")), Bearer::Invalid);
    }

    #[test]
    fn expired_tokens_are_refused() {
        let t = sign("s", "6b0c43a184c96928c7155336", None, -10);
        assert_eq!(verify_header("s", Some(&t)), Bearer::Invalid);
    }

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct-horse-battery");
        assert!(h.starts_with("$2"));
        assert!(check_password("correct-horse-battery", &h));
        assert!(!check_password("nope", &h));
    }
}
