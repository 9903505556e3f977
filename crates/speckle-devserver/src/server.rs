//! Starting and stopping a server.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::app::{App, Settings};
use crate::config::Config;
use crate::db::Store;
use crate::error::Error;
use crate::ws::Hub;

/// A running server. It stops when dropped, or with [`DevServer::shutdown`].
#[derive(Debug)]
pub struct DevServer {
    url: String,
    port: u16,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    hub: Arc<Hub>,
    store: Store,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub").field("sockets", &self.len()).finish()
    }
}

impl DevServer {
    /// Opens the database, binds `127.0.0.1:<port>` and starts serving on
    /// the current Tokio runtime.
    pub async fn start(config: Config) -> Result<DevServer, Error> {
        let (store, jwt_secret) = Store::open(
            config.data_file.as_deref(),
            config.busy_timeout,
            config.jwt_secret.as_ref(),
        )
        .map_err(|e| Error::Database(e.to_string()))?;
        let addr = SocketAddr::from(([127, 0, 0, 1], config.port));
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| Error::Bind { addr, source })?;
        let port = listener
            .local_addr()
            .map_err(|source| Error::Bind { addr, source })?
            .port();
        let url = format!("http://127.0.0.1:{port}");
        let hub = Arc::new(Hub::new());
        let app = App {
            settings: Arc::new(Settings::new(&config, &url, jwt_secret)),
            store: store.clone(),
            hub: hub.clone(),
        };
        let router = axum::Router::new()
            .fallback(crate::http::entry)
            .with_state(app);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            let listener = without_nagle(listener);
            if let Err(e) = axum::serve(listener, router)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::error!("server stopped: {e}");
            }
        });
        tracing::info!("speckle-devserver listening on {url}");
        Ok(DevServer {
            url,
            port,
            stop: Some(stop),
            task: Some(task),
            hub,
            store,
        })
    }

    /// The base URL, `http://127.0.0.1:<port>` (the API is under `/api`).
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// How many objects the database holds (deduplicated objects count
    /// once): lets tests check that nothing was stored twice.
    pub async fn object_count(&self) -> Result<u64, Error> {
        let count = self
            .store
            .call(|db| db.object_count())
            .await
            .map_err(|e| Error::Database(e.to_string()))?
            .map_err(|e| Error::Database(e.to_string()))?;
        Ok(u64::try_from(count).unwrap_or_default())
    }

    /// How many websockets are connected and registered: lets tests wait
    /// until a socket can be reached instead of sleeping.
    pub fn socket_count(&self) -> usize {
        self.hub.len()
    }

    /// Returns once at least `count` websockets are connected and
    /// registered (rooms of their URL joined): a test waits for this before
    /// sending to a socket, instead of sleeping. Bound it with a timeout.
    pub async fn wait_for_sockets(&self, count: usize) {
        self.hub.wait_for_len(count).await;
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops accepting connections, closes the websockets and waits (up to
    /// two seconds) for requests in flight to finish.
    pub async fn shutdown(mut self) {
        self.signal();
        if let Some(task) = self.task.take() {
            if tokio::time::timeout(Duration::from_secs(2), task)
                .await
                .is_err()
            {
                tracing::warn!("connections still open after two seconds; leaving them");
            }
        }
    }

    fn signal(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.hub.shutdown();
    }
}

impl Drop for DevServer {
    fn drop(&mut self) {
        self.signal();
    }
}

/// The listener with TCP_NODELAY set on every accepted connection. Without
/// it a kept-alive connection waits out the peer's delayed ACK (~40 ms) on
/// every answer written in more than one segment, so transfers of many
/// requests (getbulk chunks, object batches) would crawl.
fn without_nagle(
    listener: TcpListener,
) -> impl axum::serve::Listener<Io = tokio::net::TcpStream, Addr = SocketAddr> {
    listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!("could not set TCP_NODELAY: {e}");
        }
    })
}

#[cfg(test)]
mod tests {
    use axum::serve::Listener;

    #[tokio::test]
    async fn accepted_connections_do_not_wait_for_delayed_acks() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut listener = super::without_nagle(listener);
        let _client = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (accepted, _) = listener.accept().await;
        assert!(accepted.nodelay().unwrap(), "TCP_NODELAY is not set");
    }
}
