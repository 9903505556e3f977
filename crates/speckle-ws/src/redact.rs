//! Keeping the apitoken out of every printed string.
//!
//! The Speckle websocket authenticates with `access_token=<apitoken>` in the
//! query string, so the connection URL itself is a secret.
//! The crate never formats the real URL: [`crate::url::WsUrl`] carries a
//! pre-redacted twin for display, and every error text passes through
//! [`redact_access_token`] before it is stored.

use std::borrow::Cow;

/// What replaces a token value.
pub(crate) const REDACTED: &str = "<redacted>";

const KEY: &str = "access_token=";

/// Replaces the value of every `access_token=…` query parameter in `text`
/// with `<redacted>`.
///
/// The value ends at `&`, `#`, whitespace or a quote, which covers URLs as
/// well as URLs quoted inside error messages. Text without the parameter is
/// returned unchanged and without allocating.
///
/// ```
/// use speckle_ws::redact_access_token;
/// assert_eq!(
///     redact_access_token("ws://host/?client_id=c&access_token=JWT%20abc&stream_id=s"),
///     "ws://host/?client_id=c&access_token=<redacted>&stream_id=s",
/// );
/// ```
pub fn redact_access_token(text: &str) -> Cow<'_, str> {
    if !text.contains(KEY) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(KEY) {
        let (before, from_key) = rest.split_at(at);
        out.push_str(before);
        out.push_str(KEY);
        out.push_str(REDACTED);
        let value = from_key.get(KEY.len()..).unwrap_or_default();
        let end = value
            .find(|c: char| matches!(c, '&' | '#' | '"' | '\'') || c.is_whitespace())
            .unwrap_or(value.len());
        rest = value.get(end..).unwrap_or_default();
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_every_occurrence_and_keeps_the_rest() {
        let text = "a access_token=JWT+x.y&b=1 \"access_token=z\" access_token=";
        assert_eq!(
            redact_access_token(text),
            "a access_token=<redacted>&b=1 \"access_token=<redacted>\" access_token=<redacted>"
        );
    }

    #[test]
    fn is_idempotent_and_borrows_when_clean() {
        let once = redact_access_token("?access_token=JWT%20abc").into_owned();
        assert_eq!(redact_access_token(&once), once);
        assert!(matches!(
            redact_access_token("no secrets here"),
            Cow::Borrowed(_)
        ));
    }
}
