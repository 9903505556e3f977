//! The rustls client configuration for `wss://`.
//!
//! tungstenite's built-in rustls path calls `ClientConfig::builder()`, which
//! panics unless the application installed a process-wide `CryptoProvider`.
//! A library must not rely on that (or install one behind the user's back),
//! so the socket builds its own configuration with an explicit ring provider
//! and the Mozilla roots from `webpki-roots`, once per socket.

use std::sync::Arc;

use rustls::{ClientConfig, RootCertStore};
use tokio_tungstenite::Connector;

use crate::error::{WsError, WsErrorKind};

/// A connector for `wss://` URLs.
pub(crate) fn rustls_connector() -> Result<Connector, WsError> {
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

#[cfg(test)]
mod tests {
    #[test]
    fn builds_without_a_process_wide_provider() {
        assert!(matches!(
            super::rustls_connector(),
            Ok(tokio_tungstenite::Connector::Rustls(_))
        ));
    }
}
