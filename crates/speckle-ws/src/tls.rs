//! The TLS connector for `wss://`, chosen by the crate's features.
//!
//! - `rustls` (the default): rustls with the Mozilla roots from
//!   `webpki-roots`. tungstenite's built-in rustls path calls
//!   `ClientConfig::builder()`, which panics unless the application installed
//!   a process-wide `CryptoProvider`; a library must not rely on that (or
//!   install one behind the user's back), so the configuration is built here
//!   with an explicit ring provider.
//! - `native-tls`: the platform's library (OpenSSL, SChannel,
//!   Security.framework) with the system's roots.
//!
//! With both features on, rustls is used, as for HTTP. With neither, a
//! `wss://` URL fails to connect with a [`WsErrorKind::Connect`] error that
//! names the missing feature; plain `ws://` works.

use tokio_tungstenite::tungstenite;

use crate::driver::Ws;
use crate::error::{WsError, WsErrorKind};

#[cfg(any(feature = "rustls", feature = "native-tls"))]
pub(crate) use tokio_tungstenite::Connector;

/// Without a TLS feature no connector is ever made ([`connector`] fails).
#[cfg(not(any(feature = "rustls", feature = "native-tls")))]
#[derive(Clone)]
pub(crate) struct Connector;

/// Opens the websocket, through `connector` for `wss://`.
pub(crate) async fn connect(
    request: String,
    connector: Option<Connector>,
) -> Result<Ws, tungstenite::Error> {
    #[cfg(any(feature = "rustls", feature = "native-tls"))]
    let connected =
        tokio_tungstenite::connect_async_tls_with_config(request, None, true, connector).await;
    #[cfg(not(any(feature = "rustls", feature = "native-tls")))]
    let connected = {
        let _no_tls: Option<Connector> = connector;
        tokio_tungstenite::connect_async_with_config(request, None, true).await
    };
    connected.map(|(ws, _response)| ws)
}

/// Which TLS library serves `wss://` in this build: `"rustls"`,
/// `"native-tls"` or `"none"` (plain `ws://` only).
///
/// ```
/// // "rustls" with the default features.
/// assert!(["rustls", "native-tls", "none"].contains(&speckle_ws::TLS_BACKEND));
/// ```
pub const TLS_BACKEND: &str = if cfg!(feature = "rustls") {
    "rustls"
} else if cfg!(feature = "native-tls") {
    "native-tls"
} else {
    "none"
};

/// A connector for `wss://` URLs.
#[cfg(feature = "rustls")]
pub(crate) fn connector() -> Result<Connector, WsError> {
    use std::sync::Arc;

    use rustls::{ClientConfig, RootCertStore};

    let roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|err| WsError::new(WsErrorKind::Connect).with_source(&err))?
            .with_root_certificates(roots)
            .with_no_client_auth();
    Ok(Connector::Rustls(Arc::new(config)))
}

/// A connector for `wss://` URLs.
#[cfg(all(feature = "native-tls", not(feature = "rustls")))]
pub(crate) fn connector() -> Result<Connector, WsError> {
    native_tls::TlsConnector::new()
        .map(Connector::NativeTls)
        .map_err(|err| WsError::new(WsErrorKind::Connect).with_source(&err))
}

/// Without a TLS feature there is no connector: say which feature is missing.
#[cfg(not(any(feature = "rustls", feature = "native-tls")))]
pub(crate) fn connector() -> Result<Connector, WsError> {
    Err(WsError::new(WsErrorKind::Connect).with_detail(
        "wss:// needs TLS: build speckle-ws with the `rustls` or `native-tls` feature",
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_connector_matches_the_features() {
        let connector = super::connector();
        match super::TLS_BACKEND {
            #[cfg(feature = "rustls")]
            "rustls" => assert!(matches!(
                connector,
                Ok(tokio_tungstenite::Connector::Rustls(_))
            )),
            #[cfg(feature = "native-tls")]
            "native-tls" => assert!(matches!(
                connector,
                Ok(tokio_tungstenite::Connector::NativeTls(_))
            )),
            _ => assert!(connector.is_err()),
        }
    }
}
