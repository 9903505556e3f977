//! Deriving the websocket URL from the client's HTTP base URL.
//!
//! The server's `ws` instance shares the HTTP server with no path filter,
//! so any path works; like PySpeckle we always use `/`,
//! which makes `http://host/api`, `http://host/api/v1` and `http://host` all
//! map to the same socket URL. SpeckleCore's `BaseUrl.Replace("http","ws")`
//! would also work but keeps a meaningless path.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use speckle_types::percent::{percent_encode, EncodeSet};
use speckle_types::secret::normalize_token;
use speckle_types::{ClientId, StreamId};
use url::Url;

use crate::error::{WsError, WsErrorKind};
use crate::redact::REDACTED;

/// A websocket URL that carries the access token.
///
/// The real URL is only reachable through [`WsUrl::expose_secret`];
/// `Display` and `Debug` show the redacted twin.
#[derive(Clone)]
pub(crate) struct WsUrl {
    secret: SecretString,
    shown: String,
}

impl WsUrl {
    /// The URL to dial, token included. Never format this.
    pub(crate) fn expose_secret(&self) -> &str {
        self.secret.expose_secret()
    }

    /// The URL with `access_token=<redacted>`.
    pub(crate) fn redacted(&self) -> &str {
        &self.shown
    }

    /// Whether the URL needs TLS.
    pub(crate) fn is_tls(&self) -> bool {
        self.shown.starts_with("wss:")
    }
}

impl fmt::Display for WsUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl fmt::Debug for WsUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("WsUrl").field(&self.shown).finish()
    }
}

/// Builds `ws(s)://host[:port]/?client_id=…&access_token=…&stream_id=…`.
///
/// # Errors
///
/// [`WsErrorKind::InvalidUrl`] when `base` does not parse, has no host, or
/// its scheme is not one of `http`, `https`, `ws`, `wss`.
pub(crate) fn ws_url(
    base: &str,
    client_id: &ClientId,
    token: Option<&SecretString>,
    stream_id: Option<&StreamId>,
) -> Result<WsUrl, WsError> {
    let mut url = Url::parse(base.trim()).map_err(|err| {
        WsError::new(WsErrorKind::InvalidUrl).with_detail(format!("cannot parse base URL: {err}"))
    })?;
    let scheme = match url.scheme() {
        "http" | "ws" => "ws",
        "https" | "wss" => "wss",
        other => {
            return Err(WsError::new(WsErrorKind::InvalidUrl)
                .with_detail(format!("unsupported scheme `{other}`")))
        }
    };
    if url.host_str().is_none_or(str::is_empty) {
        return Err(WsError::new(WsErrorKind::InvalidUrl).with_detail("base URL has no host"));
    }
    // Both sides of each swap are "special" schemes, so the url crate allows
    // it; the error arm is unreachable in practice but must not panic.
    url.set_scheme(scheme).map_err(|()| {
        WsError::new(WsErrorKind::InvalidUrl).with_detail("cannot switch to a websocket scheme")
    })?;
    // Credentials in the base URL would end up in logs; the server does not
    // read them anyway.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.set_path("/");
    url.set_fragment(None);

    let client = encode(client_id.as_str());
    let stream = stream_id.map(|id| encode(id.as_str()));
    let token = token
        .and_then(|token| normalize_token(token.expose_secret()))
        .map(|token| encode(&token));

    let query = |token_value: Option<&str>| {
        let mut query = format!("client_id={client}");
        if let Some(value) = token_value {
            query.push_str("&access_token=");
            query.push_str(value);
        }
        if let Some(stream) = &stream {
            query.push_str("&stream_id=");
            query.push_str(stream);
        }
        query
    };

    // Every value is already percent-encoded, so plain concatenation is
    // exact; going through `Url::set_query` would also encode the `<…>` of
    // the redacted twin.
    url.set_query(None);
    let origin = String::from(url);
    Ok(WsUrl {
        secret: SecretString::from(format!("{origin}?{}", query(token.as_deref()))),
        shown: format!("{origin}?{}", query(token.as_ref().map(|_| REDACTED))),
    })
}

/// Every value is encoded down to the unreserved characters: the server
/// decodes `%20` in the `JWT ` prefix as well as `+`.
fn encode(value: &str) -> String {
    percent_encode(value, EncodeSet::Unreserved)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(base: &str, token: Option<&str>, stream: Option<&str>) -> Result<WsUrl, WsError> {
        let token = token.map(SecretString::from);
        let stream = stream.map(StreamId::new);
        ws_url(
            base,
            &ClientId::new("6b0c43a384c96928c7155350"),
            token.as_ref(),
            stream.as_ref(),
        )
    }

    #[test]
    fn maps_scheme_host_port_and_drops_the_api_path() {
        let cases = [
            ("http://127.0.0.1:3000/api", "ws://127.0.0.1:3000/"),
            ("http://127.0.0.1:3000/api/v1/", "ws://127.0.0.1:3000/"),
            (
                "https://hestia.speckle.works/api",
                "wss://hestia.speckle.works/",
            ),
            ("https://host:8443", "wss://host:8443/"),
            ("ws://host/some/path#frag", "ws://host/"),
            ("wss://user:pw@host/", "wss://host/"),
        ];
        for (base, prefix) in cases {
            let url = build(base, None, None).unwrap();
            let expected = format!("{prefix}?client_id=6b0c43a384c96928c7155350");
            assert_eq!(url.expose_secret(), expected, "{base}");
            assert_eq!(url.is_tls(), prefix.starts_with("wss"), "{base}");
        }
    }

    #[test]
    fn encodes_the_apitoken_with_its_prefix_and_redacts_the_display() {
        let url = build(
            "http://127.0.0.1:3000/api",
            Some("JWT abc.def-ghi_jk"),
            Some("KZEstGdMW"),
        )
        .unwrap();
        assert_eq!(
            url.expose_secret(),
            "ws://127.0.0.1:3000/?client_id=6b0c43a384c96928c7155350\
             &access_token=JWT%20abc.def-ghi_jk&stream_id=KZEstGdMW"
        );
        let shown = format!("{url} {url:?} {}", url.redacted());
        assert!(!shown.contains("abc.def"), "{shown}");
        assert!(shown.contains("access_token=<redacted>&stream_id=KZEstGdMW"));
    }

    #[test]
    fn a_bare_jwt_gets_the_prefix_and_blank_tokens_are_omitted() {
        let url = build("http://h", Some("abc.def"), None).unwrap();
        assert!(url.expose_secret().ends_with("&access_token=JWT%20abc.def"));
        let url = build("http://h", Some("   "), None).unwrap();
        assert!(!url.expose_secret().contains("access_token"));
    }

    #[test]
    fn a_lower_case_scheme_is_not_prefixed_twice() {
        // The HTTP client accepts any case of the `JWT ` scheme; the socket
        // must send the same `JWT x` (not `JWT jwt x`, which the server
        // would not match and so would treat the socket as anonymous).
        for token in ["jwt x", "Jwt x", "JWT   x", " jwt x "] {
            let url = build("http://h", Some(token), None).unwrap();
            assert!(
                url.expose_secret().ends_with("&access_token=JWT%20x"),
                "{token}: {}",
                url.expose_secret()
            );
        }
    }

    #[test]
    fn query_values_are_percent_encoded() {
        let url = ws_url(
            "http://h",
            &ClientId::new("a b&c"),
            None,
            Some(&StreamId::new("x=y")),
        )
        .unwrap();
        assert_eq!(
            url.expose_secret(),
            "ws://h/?client_id=a%20b%26c&stream_id=x%3Dy"
        );
    }

    #[test]
    fn rejects_unusable_base_urls() {
        for base in ["not a url", "ftp://host/", "file:///tmp/x", "mailto:a@b"] {
            let err = build(base, None, None).unwrap_err();
            assert_eq!(err.kind(), WsErrorKind::InvalidUrl, "{base}");
        }
    }
}
