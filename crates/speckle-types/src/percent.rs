//! Percent-encoding for the three places the SDK puts user text into a URL.
//!
//! The sets differ on purpose, so they live side by side here: a path
//! segment must not end its segment, a query key or value must not inject
//! one of the operators the server's query parser reads out of keys, and a
//! websocket URL's values are encoded down to RFC 3986's unreserved
//! characters. Written here without a dependency so that this crate stays
//! serde-only and both the HTTP and the websocket crate share it.

use std::fmt::Write as _;

/// Which characters are escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeSet {
    /// One path segment: controls, space, anything that could end the
    /// segment or the path (`/`, `?`, `#`), `%` itself and what URLs may not
    /// contain. `.` and `..` are encoded whole, so an id can never climb out
    /// of its route.
    PathSegment,
    /// One query key or value: everything the server's query-string parser
    /// treats specially, plus the operator characters it reads out of keys.
    QueryComponent,
    /// Everything but RFC 3986 "unreserved" characters (`A-Za-z0-9-._~`), so
    /// the space of a `JWT ` prefix becomes `%20`.
    Unreserved,
}

impl EncodeSet {
    /// Whether `byte` is escaped (every non-ASCII byte is).
    fn escapes(self, byte: u8) -> bool {
        if !byte.is_ascii() || byte.is_ascii_control() {
            return true;
        }
        match self {
            EncodeSet::PathSegment => b" \"#%/<>?[\\]^`{|}".contains(&byte),
            EncodeSet::QueryComponent => b" \"#%&+,/:;<=>?![]'`{}|\\^".contains(&byte),
            EncodeSet::Unreserved => !(byte.is_ascii_alphanumeric() || b"-._~".contains(&byte)),
        }
    }
}

/// `text` with every byte of `set` written as `%XX` (upper-case hex).
///
/// ```
/// use speckle_types::percent::{percent_encode, EncodeSet};
/// assert_eq!(percent_encode("a/b?c#d", EncodeSet::PathSegment), "a%2Fb%3Fc%23d");
/// assert_eq!(percent_encode("..", EncodeSet::PathSegment), "%2E%2E");
/// assert_eq!(percent_encode("name[$in]", EncodeSet::QueryComponent), "name%5B$in%5D");
/// assert_eq!(percent_encode("JWT a.b", EncodeSet::Unreserved), "JWT%20a.b");
/// ```
pub fn percent_encode(text: &str, set: EncodeSet) -> String {
    if set == EncodeSet::PathSegment {
        match text {
            "." => return "%2E".to_owned(),
            ".." => return "%2E%2E".to_owned(),
            _ => {}
        }
    }
    let mut out = String::with_capacity(text.len());
    for &byte in text.as_bytes() {
        if set.escapes(byte) {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{byte:02X}");
        } else {
            out.push(char::from(byte));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_cannot_escape_their_route() {
        let seg = |s| percent_encode(s, EncodeSet::PathSegment);
        assert_eq!(seg("60uCme_s0"), "60uCme_s0");
        assert_eq!(seg("a/b?c#d"), "a%2Fb%3Fc%23d");
        assert_eq!(seg(".."), "%2E%2E");
        assert_eq!(seg("100%"), "100%25");
        assert_eq!(seg("naïve id"), "na%C3%AFve%20id");
    }

    #[test]
    fn unreserved_keeps_only_unreserved() {
        assert_eq!(
            percent_encode("aZ09-._~ +/%é", EncodeSet::Unreserved),
            "aZ09-._~%20%2B%2F%25%C3%A9"
        );
    }
}
