//! A TCP proxy that injects faults between the SDK and a server, for the
//! fault tests: connections dropped before forwarding, responses cut off
//! mid-way, delays, and canned 502/503/429 answers, each at a given rate.
//!
//! Faults are decided per connection, so clients under test should open one
//! connection per request (a reqwest client with no idle pool) to get the
//! rates per request. The random choices come from a seed: a failing run can
//! be replayed.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Fault rates, each in `0.0..=1.0`; their sum should stay ≤ 1.
#[derive(Debug, Clone, Copy, Default)]
pub struct Faults {
    /// Close the client connection without forwarding anything.
    pub drop_connection: f64,
    /// Forward the request, then cut the response after a few bytes.
    pub reset_mid_response: f64,
    /// Wait this long before forwarding (at `delay_rate`).
    pub delay: Duration,
    /// Rate of delayed connections.
    pub delay_rate: f64,
    /// Answer 502 without forwarding.
    pub bad_gateway: f64,
    /// Answer 503 without forwarding.
    pub unavailable: f64,
    /// Answer 429 with `Retry-After: 0` without forwarding.
    pub too_many_requests: f64,
}

impl Faults {
    /// The same rate for every kind of fault, `total` in all.
    pub fn evenly(total: f64) -> Self {
        let each = total / 6.0;
        Self {
            drop_connection: each,
            reset_mid_response: each,
            delay: Duration::from_millis(50),
            delay_rate: each,
            bad_gateway: each,
            unavailable: each,
            too_many_requests: each,
        }
    }
}

/// How many faults of each kind were injected.
#[derive(Debug, Default)]
pub struct FaultCounts {
    /// Connections seen.
    pub connections: AtomicU64,
    /// Dropped before forwarding.
    pub dropped: AtomicU64,
    /// Cut mid-response.
    pub reset: AtomicU64,
    /// Delayed.
    pub delayed: AtomicU64,
    /// Answered 502/503/429.
    pub statuses: AtomicU64,
}

/// A running proxy; stops when dropped.
pub struct FaultProxy {
    address: SocketAddr,
    counts: Arc<FaultCounts>,
    connections: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
    task: JoinHandle<()>,
}

impl FaultProxy {
    /// Starts a proxy on an ephemeral loopback port in front of `upstream`.
    ///
    /// # Errors
    /// When the port cannot be bound.
    pub async fn start(upstream: SocketAddr, faults: Faults, seed: u64) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let counts = Arc::new(FaultCounts::default());
        let connections: Arc<Mutex<Vec<tokio::task::AbortHandle>>> = Arc::default();
        let shared = counts.clone();
        let open = connections.clone();
        let task = tokio::spawn(async move {
            let mut rng = seed.max(1);
            while let Ok((client, _)) = listener.accept().await {
                shared.connections.fetch_add(1, Ordering::Relaxed);
                let roll = next(&mut rng);
                let counts = shared.clone();
                let connection = tokio::spawn(async move {
                    let _ = handle(client, upstream, faults, roll, &counts).await;
                });
                if let Ok(mut open) = open.lock() {
                    open.retain(|c| !c.is_finished());
                    open.push(connection.abort_handle());
                }
            }
        });
        Ok(Self {
            address,
            counts,
            connections,
            task,
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Cuts every open connection at once, abruptly (no close handshake):
    /// what a network failure or a server crash looks like to clients.
    pub fn cut_all(&self) {
        if let Ok(mut open) = self.connections.lock() {
            for connection in open.drain(..) {
                connection.abort();
            }
        }
    }

    /// What was injected so far.
    pub fn counts(&self) -> &FaultCounts {
        &self.counts
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// xorshift64*: a small, seedable generator giving a float in `0..1`.
fn next(state: &mut u64) -> f64 {
    let mut x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
}

async fn handle(
    mut client: TcpStream,
    upstream: SocketAddr,
    faults: Faults,
    roll: f64,
    counts: &FaultCounts,
) -> std::io::Result<()> {
    let mut threshold = faults.drop_connection;
    if roll < threshold {
        counts.dropped.fetch_add(1, Ordering::Relaxed);
        return Ok(()); // dropped: the client sees the connection close
    }
    for (rate, status, reason) in [
        (faults.bad_gateway, 502, "Bad Gateway"),
        (faults.unavailable, 503, "Service Unavailable"),
        (faults.too_many_requests, 429, "Too Many Requests"),
    ] {
        threshold += rate;
        if roll < threshold {
            counts.statuses.fetch_add(1, Ordering::Relaxed);
            read_request_head(&mut client).await?;
            let response = format!(
                "HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\nRetry-After: 0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reason}",
                reason.len()
            );
            client.write_all(response.as_bytes()).await?;
            return client.shutdown().await;
        }
    }
    threshold += faults.delay_rate;
    if roll < threshold {
        counts.delayed.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(faults.delay).await;
    }
    threshold += faults.reset_mid_response;
    let cut = roll < threshold;
    let server = TcpStream::connect(upstream).await?;
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let upload =
        tokio::spawn(async move { tokio::io::copy(&mut client_read, &mut server_write).await });
    if cut {
        counts.reset.fetch_add(1, Ordering::Relaxed);
        // Let a little of the response through, then hang up on the client.
        let mut buffer = [0u8; 64];
        let n = server_read.read(&mut buffer).await?;
        client_write
            .write_all(buffer.get(..n.min(20)).unwrap_or_default())
            .await?;
        upload.abort();
        return Ok(());
    }
    let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
    upload.abort();
    Ok(())
}

/// Reads until the end of the request head (the body, if any, is ignored:
/// the connection is closed right after the answer).
async fn read_request_head(client: &mut TcpStream) -> std::io::Result<()> {
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") && seen.len() < 1 << 20 {
        let n = client.read(&mut buffer).await?;
        if n == 0 {
            break;
        }
        seen.extend_from_slice(buffer.get(..n).unwrap_or_default());
    }
    Ok(())
}
