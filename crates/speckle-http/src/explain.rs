//! What an error says beyond its kind: the request it happened on (method
//! and real URL) and, for the common mistakes, the cause in words and what
//! to do (a wrong scheme, nothing listening, a server URL that is not the
//! server's root).

use crate::execute::chain_text;
use crate::redact::Redactor;
use crate::transport::{HttpRequest, TransportError};
use crate::{Client, Error};

/// What an error says about the request it happened on.
pub(crate) struct SentRequest {
    /// `METHOD URL`, redacted.
    pub(crate) line: String,
    url: url::Url,
    body_bytes: Option<u64>,
}

impl SentRequest {
    pub(crate) fn new(request: &HttpRequest, redactor: &Redactor) -> Self {
        Self {
            line: format!("{} {}", request.method, redactor.text(request.url.as_str())),
            url: request.url.clone(),
            body_bytes: request.body.as_ref().map(|b| b.len() as u64),
        }
    }

    /// Names the request in `error` and adds a hint where one is obvious.
    pub(crate) fn explain(&self, error: Error, client: &Client) -> Error {
        let error = error.on_request(self.line.clone(), self.body_bytes);
        match error.status() {
            // The API answers its own 404s in JSON; an HTML (or text) page
            // means no route of the API is at this URL.
            Some(404) if !error.body().is_some_and(is_json) => error.with_hint(format!(
                "no Speckle v1 API route answers at this URL: check the server URL \
                 (`{}` is taken as the server's root)",
                client.server_url().root()
            )),
            _ => error,
        }
    }

    /// The cause of a failed connection in words, and what to do, when the
    /// failure is a common one.
    pub(crate) fn explain_transport(
        &self,
        cause: &TransportError,
        client: &Client,
    ) -> Option<(String, String)> {
        let inner: &(dyn std::error::Error + 'static) = match cause {
            TransportError::Connect(inner) | TransportError::Other(inner) => &**inner,
            _ => return None,
        };
        let host = self.url.host_str().unwrap_or_default();
        let address = match self.url.port_or_known_default() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        if find_io_error(inner).is_some_and(|e| e.kind() == std::io::ErrorKind::ConnectionRefused) {
            return Some((
                format!("connection refused: nothing listens at {address}"),
                "is the server running, at this host and port?".to_owned(),
            ));
        }
        let text = chain_text(inner).to_ascii_lowercase();
        if self.url.scheme() == "https" && TLS_MARKERS.iter().any(|m| text.contains(m)) {
            let hint = if client.server_url().scheme_was_chosen() {
                format!(
                    "the server URL has no scheme, so https was tried; a local server \
                     usually wants `http://{address}`"
                )
            } else {
                format!(
                    "does the server speak https? A local server usually wants \
                     `http://{address}`"
                )
            };
            return Some(("TLS handshake failed".to_owned(), hint));
        }
        if DNS_MARKERS.iter().any(|m| text.contains(m)) {
            return Some((
                format!("could not resolve the host name `{host}`"),
                "check the server URL".to_owned(),
            ));
        }
        None
    }
}

/// Texts of TLS failures in the messages of rustls, native-tls and hyper.
const TLS_MARKERS: [&str; 7] = [
    "tls",
    "ssl",
    "certificate",
    "handshake",
    "corrupt message",
    "wrong version number",
    "invalidcontenttype",
];

/// Texts of name resolution failures.
const DNS_MARKERS: [&str; 3] = [
    "dns error",
    "failed to lookup address",
    "name or service not known",
];

/// The first I/O error in the chain of `error`, itself included.
fn find_io_error<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a std::io::Error> {
    let mut next = Some(error);
    while let Some(current) = next {
        if let Some(io) = current.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        next = current.source();
    }
    None
}

fn is_json(body: &str) -> bool {
    serde_json::from_str::<serde::de::IgnoredAny>(body).is_ok()
}
