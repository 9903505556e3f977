//! A token string that never prints itself.

use std::fmt;

/// A `JWT …` token as the server issues it (session token or apitoken),
/// inside a model the server sent (a [`User`](crate::User), a login).
///
/// Why two secret types: this one is part of the serde models, so it must
/// serialize back to the plain string and lives in this serde-only crate.
/// The credentials a client *holds and sends* are
/// [`secrecy::SecretString`](https://docs.rs/secrecy) in `speckle-http` and
/// `speckle-ws`: zeroized on drop and never serialized. Both redact
/// themselves in `Debug`.
///
/// It serializes as the plain string (so a fetched user can be sent back
/// unchanged) but its `Debug` output is `Token(<redacted>)`, so logging a
/// [`User`](crate::User) or a login result never leaks a credential.
///
/// ```
/// use speckle_types::Token;
/// let token = Token::new("JWT abc.def.ghi");
/// assert_eq!(format!("{token:?}"), "Token(<redacted>)");
/// assert_eq!(token.expose(), "JWT abc.def.ghi");
/// ```
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Token(String);

impl Token {
    /// Wraps a token string exactly as the server wrote it (with its `JWT ` prefix).
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// The raw token. Call sites that need it should be easy to find: this is
    /// the only way to read it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// The token as the server compares it: `JWT <token>`.
///
/// Accepts `JWT xyz` with any case of the scheme (`jwt xyz`), extra spaces,
/// or a bare `xyz`. The server matches session tokens and apitokens as exact
/// strings including the upper-case `JWT ` prefix, so a bare or lower-case
/// token would silently act as anonymous. `None` for an empty token.
///
/// ```
/// use speckle_types::secret::normalize_token;
/// for input in ["JWT abc", "jwt abc", "abc", "  JWT   abc "] {
///     assert_eq!(normalize_token(input).as_deref(), Some("JWT abc"));
/// }
/// assert_eq!(normalize_token("  "), None);
/// ```
pub fn normalize_token(raw: &str) -> Option<String> {
    let token = raw.trim();
    let bare = token
        .get(..4)
        .filter(|scheme| scheme.eq_ignore_ascii_case("jwt "))
        .and_then(|_| token.get(4..))
        .unwrap_or(token)
        .trim_start();
    (!bare.is_empty()).then(|| format!("JWT {bare}"))
}
