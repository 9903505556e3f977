//! Removing secrets from text before an error stores it.
//!
//! Errors keep what the server said (its body, its `message`, a decoder's
//! complaint) so that users can see why a call failed. Login, register and
//! profile answers carry the session token and the api token, and a decoder's
//! message may quote any string of the body, so everything an error stores
//! goes through a [`Redactor`] first:
//!
//! - values under secret-looking keys (`token`, `apitoken`, `password`,
//!   anything containing `token`, `password` or `secret`) are replaced, even in
//!   truncated or invalid JSON;
//! - `JWT <anything>` and JWT-shaped strings (`eyJ….….…`) are replaced
//!   wherever they appear: the server's tokens always have that shape;
//! - every secret found in the body, and the client's own tokens, are
//!   replaced wherever else they appear (a decoder message quoting them).

use std::fmt;

use serde_json::Value;

/// What replaces a secret.
pub(crate) const REDACTED: &str = "<redacted>";

/// Whether a JSON key names a secret.
pub(crate) fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["token", "password", "secret", "authorization"]
        .iter()
        .any(|word| key.contains(word))
}

/// Replaces secrets in text and JSON values.
#[derive(Default, Clone)]
pub(crate) struct Redactor {
    /// Exact strings to remove wherever they appear.
    known: Vec<String>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor")
            .field("known", &self.known.len())
            .finish()
    }
}

impl Redactor {
    /// A redactor that also removes `secrets` (e.g. the client's tokens).
    pub(crate) fn with_secrets<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Self {
        let mut redactor = Self::default();
        for secret in secrets {
            redactor.learn(secret);
        }
        redactor
    }

    /// Remembers `secret`, and its bare JWT without the `JWT ` scheme.
    fn learn(&mut self, secret: &str) {
        let secret = secret.trim();
        // Very short values would redact ordinary words; the server's
        // tokens are hundreds of characters long.
        if secret.chars().count() < 6 {
            return;
        }
        if let Some(bare) = secret.get(4..).filter(|_| {
            secret
                .get(..4)
                .is_some_and(|scheme| scheme.eq_ignore_ascii_case("jwt "))
        }) {
            self.learn(bare);
        }
        if !self.known.iter().any(|k| k == secret) {
            self.known.push(secret.to_owned());
            // Longest first, so a token is replaced before its bare part.
            self.known.sort_by_key(|k| std::cmp::Reverse(k.len()));
        }
    }

    /// Learns the secrets of a body, when it is JSON.
    pub(crate) fn learn_from_body(&mut self, body: &[u8]) {
        if let Ok(value) = serde_json::from_slice::<Value>(body) {
            self.learn_from_value(&value, false);
        }
    }

    fn learn_from_value(&mut self, value: &Value, under_secret_key: bool) {
        match value {
            Value::String(text) if under_secret_key || looks_like_token(text) => self.learn(text),
            Value::Array(items) => items
                .iter()
                .for_each(|item| self.learn_from_value(item, under_secret_key)),
            Value::Object(map) => map.iter().for_each(|(key, item)| {
                self.learn_from_value(item, under_secret_key || is_secret_key(key))
            }),
            _ => {}
        }
    }

    /// A copy of `value` with secret values replaced.
    pub(crate) fn value(&self, value: &Value) -> Value {
        match value {
            Value::String(text) => Value::String(self.text(text)),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.value(v)).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(key, item)| {
                        let item = if is_secret_key(key) && !item.is_null() {
                            Value::String(REDACTED.to_owned())
                        } else {
                            self.value(item)
                        };
                        (self.text(key), item)
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// `text` with every secret replaced.
    pub(crate) fn text(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in &self.known {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), REDACTED);
            }
            // As it appears inside a JSON string (quotes and slashes escaped).
            if let Ok(quoted) = serde_json::to_string(secret) {
                let escaped = quoted.trim_matches('"');
                if escaped != secret && out.contains(escaped) {
                    out = out.replace(escaped, REDACTED);
                }
            }
        }
        let out = redact_secret_key_values(&out);
        let out = redact_jwt_scheme(&out);
        redact_jwt_shapes(&out)
    }
}

/// Whether a string is a token by its shape: `JWT …` or a bare JWT.
fn looks_like_token(text: &str) -> bool {
    let text = text.trim_start();
    text.get(..4)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("jwt "))
        || (text.starts_with("eyJ") && text.matches('.').count() >= 2)
}

/// Goes through the quoted strings of a text (JSON, or a message quoting
/// JSON strings), replacing the content of a string that follows
/// `"<secret key>":`, or that holds a JWT anywhere in it (the whole string:
/// a damaged token may be cut by a tab or a stray byte). An unclosed string
/// at the end of a truncated text counts as running to the end.
fn redact_secret_key_values(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut after_secret_key = false;
    while let Some(open) = rest.find('"') {
        let (before, from_quote) = rest.split_at(open);
        out.push_str(before);
        // A secret key's value must follow right after its colon.
        let value_of_secret_key = after_secret_key && {
            let gap = before.trim();
            gap == ":"
        };
        let content_and_rest = from_quote.get(1..).unwrap_or("");
        let end = find_string_end(content_and_rest);
        let content = content_and_rest
            .get(..end.unwrap_or(content_and_rest.len()))
            .unwrap_or("");
        out.push('"');
        if value_of_secret_key || holds_jwt(content) {
            out.push_str(REDACTED);
            after_secret_key = false;
        } else {
            out.push_str(content);
            after_secret_key = is_secret_key(content);
        }
        match end {
            Some(end) => {
                out.push('"');
                rest = content_and_rest.get(end + 1..).unwrap_or("");
            }
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

/// Whether a string holds a JWT: `eyJ` (base64 of `{"`) followed by a dot.
fn holds_jwt(text: &str) -> bool {
    text.find("eyJ")
        .and_then(|at| text.get(at..))
        .is_some_and(|from| from.contains('.'))
}

/// The byte index of the unescaped `"` that closes a JSON string whose
/// content starts at `text`.
fn find_string_end(text: &str) -> Option<usize> {
    let mut escaped = false;
    for (index, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return Some(index),
            _ => {}
        }
    }
    None
}

/// Replaces what follows a `JWT ` scheme, up to whitespace or a quote.
fn redact_jwt_scheme(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = find_ascii_case_insensitive(rest, "jwt") {
        let (before, from) = rest.split_at(at);
        let after = from.get(3..).unwrap_or("");
        let spaces = after.len() - after.trim_start_matches([' ', '\t']).len();
        let token_start = after.get(spaces..).unwrap_or("");
        let token_len = token_start
            .find(|c: char| c.is_whitespace() || c == '"' || c == '\\' || c == '\'')
            .unwrap_or(token_start.len());
        out.push_str(before);
        // Tokens are long; a short word after `JWT` is prose, not a secret.
        if spaces > 0 && token_len >= 8 {
            out.push_str(from.get(..3 + spaces).unwrap_or("JWT "));
            out.push_str(REDACTED);
            rest = token_start.get(token_len..).unwrap_or("");
        } else {
            out.push_str(from.get(..3).unwrap_or(""));
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

fn find_ascii_case_insensitive(haystack: &str, needle: &str) -> Option<usize> {
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|window| window.eq_ignore_ascii_case(needle.as_bytes()))
        .filter(|at| haystack.is_char_boundary(*at))
}

/// Replaces bare JWTs: `eyJ` followed by base64url and at least one dot.
fn redact_jwt_shapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("eyJ") {
        let (before, from) = rest.split_at(at);
        let len = from
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '=')))
            .unwrap_or(from.len());
        let candidate = from.get(..len).unwrap_or("");
        out.push_str(before);
        if candidate.contains('.') {
            out.push_str(REDACTED);
        } else {
            out.push_str(candidate);
        }
        rest = from.get(len..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// Text that replaces an error source whose message may quote a secret (a
/// decoder's message quotes the offending input).
#[derive(Debug)]
pub(crate) struct RedactedMessage(pub(crate) String);

impl fmt::Display for RedactedMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RedactedMessage {}

#[cfg(test)]
mod tests {
    use super::*;

    const SESSION: &str = "JWT eyJhbGciOiJIUzI1NiJ9.eyJfaWQiOiIxIn0.c2Vzc2lvbi1zZWNyZXQ";

    #[test]
    fn secret_keys_are_redacted_in_whole_truncated_and_escaped_json() {
        let redactor = Redactor::default();
        let body = format!(r#"{{"resource":{{"token" : "{SESSION}","name":"Al"}}}}"#);
        let out = redactor.text(&body);
        assert!(!out.contains("c2Vzc2lvbi1zZWNyZXQ"), "{out}");
        assert!(out.contains(r#""token" : "<redacted>""#), "{out}");
        assert!(out.contains(r#""name":"Al""#), "{out}");
        let truncated = r#"{"apitoken":"abc-plain-secret-wit"#;
        assert!(!redactor.text(truncated).contains("plain-secret"));
        let escaped = r#"{"password":"a\"b-hidden\"c","x":1}"#;
        let out = redactor.text(escaped);
        assert!(!out.contains("hidden"), "{out}");
        assert!(out.ends_with(r#","x":1}"#), "{out}");
    }

    #[test]
    fn tokens_are_redacted_by_shape_and_by_name() {
        let redactor = Redactor::default();
        let out = redactor.text(&format!("invalid type: string \"{SESSION}\", expected"));
        assert!(!out.contains("c2Vzc2lvbi1zZWNyZXQ"), "{out}");
        let bare = redactor.text("x eyJhbGciOiJIUzI1NiJ9.eyJfaWQiOiIxIn0.sig y");
        assert_eq!(bare, "x <redacted> y");
        let mut learned = Redactor::default();
        learned.learn_from_body(br#"{"token":"not-a-jwt-but-secret"}"#);
        assert_eq!(
            learned.text("expected sequence, got not-a-jwt-but-secret"),
            "expected sequence, got <redacted>"
        );
        // A token cut by a stray control byte is still a token.
        let damaged = "{\"resource\":\"JWT eyJhbGciOiJIUzI1NiJ9.eyJfaWQ\tfQ.sig-part\"}";
        assert_eq!(redactor.text(damaged), "{\"resource\":\"<redacted>\"}");
        // Ordinary words stay.
        assert_eq!(redactor.text("JWT is the scheme"), "JWT is the scheme");
        assert_eq!(redactor.text("jwt"), "jwt");
    }
}
