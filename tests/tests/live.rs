//! Live websockets against the devserver: the speckle-ws scenarios, with the
//! real server implementation instead of the crate's fake one. Forced drops
//! come from a proxy that cuts every connection at once.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::json;
use speckle::ws::{ConnectionState, Event, EventStream, Incoming, SocketConfig, SpeckleSocket};
use speckle::{SpeckleClient, Stream};
use speckle_contract_tests::fault_proxy::{FaultProxy, Faults};
use speckle_contract_tests::target::unique;

async fn setup() -> (
    speckle_devserver::DevServer,
    SpeckleClient,
    speckle::StreamId,
) {
    let server = speckle_devserver::DevServer::start(speckle_devserver::Config::default())
        .await
        .unwrap();
    let client = SpeckleClient::new(server.url()).unwrap();
    client
        .register(speckle::Register::new(
            format!("live-{}@example.com", unique()),
            "live-password-1",
        ))
        .await
        .unwrap();
    let stream = client
        .streams()
        .create(Stream {
            name: Some("live".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    (server, client, stream.stream_id.unwrap())
}

fn fast(config: SocketConfig) -> SocketConfig {
    config
        .backoff(Duration::from_millis(20), Duration::from_millis(200))
        .settle_delay(Duration::from_millis(100))
}

/// The next broadcast or message, skipping state changes and notices.
async fn next_frame(events: &mut EventStream) -> Incoming {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match events.next().await {
                Some(Event::Frame(frame @ (Incoming::Broadcast(_) | Incoming::Message(_)))) => {
                    return frame
                }
                Some(_) => continue,
                None => panic!("the event stream ended"),
            }
        }
    })
    .await
    .expect("a frame within 10 s")
}

async fn wait_open(socket: &speckle::ws::SocketHandle) {
    let mut states = socket.state_changes();
    tokio::time::timeout(Duration::from_secs(10), async {
        while *states.borrow_and_update() != ConnectionState::Open {
            states.changed().await.unwrap();
        }
    })
    .await
    .unwrap();
    // The server registers a socket asynchronously and sends no ready frame.
    tokio::time::sleep(Duration::from_millis(200)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clients_exchange_broadcasts_and_messages() {
    let (_server, client, sid) = setup().await;
    let (a, mut a_events) = SpeckleSocket::connect(fast(client.websocket_config(&sid, "client-a")))
        .unwrap()
        .into_parts();
    let (b, mut b_events) = SpeckleSocket::connect(fast(client.websocket_config(&sid, "client-b")))
        .unwrap()
        .into_parts();
    wait_open(&a).await;
    wait_open(&b).await;

    a.broadcast_to_stream(&sid, json!({"eventType": "update-global"}))
        .unwrap();
    let Incoming::Broadcast(envelope) = next_frame(&mut b_events).await else {
        panic!()
    };
    assert_eq!(envelope.event_type(), Some("update-global"));
    assert_eq!(
        envelope.sender_id.as_ref().map(|i| i.as_str()),
        Some("client-a")
    );

    b.message("client-a", json!({"eventType": "compute-request"}))
        .unwrap();
    let Incoming::Message(envelope) = next_frame(&mut a_events).await else {
        panic!()
    };
    assert_eq!(envelope.event_type(), Some("compute-request"));
    a.close();
    b.close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_survives_three_drops_and_queued_messages_arrive_once() {
    let (server, client, sid) = setup().await;
    let upstream = server.url().trim_start_matches("http://").parse().unwrap();
    let proxy = FaultProxy::start(upstream, Faults::default(), 1)
        .await
        .unwrap();
    let apitoken = client.apitoken().unwrap();
    let through_proxy = SpeckleClient::new(proxy.url()).unwrap();
    through_proxy
        .http()
        .set_apitoken(Some(speckle::ExposeSecret::expose_secret(&apitoken)));

    let (listener, mut events) =
        SpeckleSocket::connect(fast(through_proxy.websocket_config(&sid, "listener")))
            .unwrap()
            .into_parts();
    let (talker, mut talker_events) =
        SpeckleSocket::connect(fast(client.websocket_config(&sid, "talker")))
            .unwrap()
            .into_parts();
    wait_open(&listener).await;
    wait_open(&talker).await;

    for round in 0..3 {
        proxy.cut_all();
        // The talker broadcasts once the listener is back: it must have
        // re-entered the stream's room to get it.
        wait_reconnected(&listener).await;
        talker
            .broadcast_to_stream(&sid, json!({"eventType": "round", "round": round}))
            .unwrap();
        let Incoming::Broadcast(envelope) = next_frame(&mut events).await else {
            panic!()
        };
        assert_eq!(envelope.args["round"], round);
    }

    // Messages the listener sends while disconnected wait and arrive once.
    proxy.cut_all();
    let mut states = listener.state_changes();
    tokio::time::timeout(Duration::from_secs(10), async {
        while *states.borrow_and_update() == ConnectionState::Open {
            states.changed().await.unwrap();
        }
    })
    .await
    .unwrap();
    for i in 0..5 {
        listener
            .message("talker", json!({"eventType": "queued", "i": i}))
            .unwrap();
    }
    let mut got = Vec::new();
    while got.len() < 5 {
        let Incoming::Message(envelope) = next_frame(&mut talker_events).await else {
            panic!()
        };
        got.push(envelope.args["i"].as_u64().unwrap());
    }
    assert_eq!(got, vec![0, 1, 2, 3, 4]);
    let extra =
        tokio::time::timeout(Duration::from_millis(500), next_frame(&mut talker_events)).await;
    assert!(extra.is_err(), "no duplicate: {extra:?}");
}

async fn wait_reconnected(handle: &speckle::ws::SocketHandle) {
    let mut states = handle.state_changes();
    tokio::time::timeout(Duration::from_secs(10), async {
        // First the drop is noticed, then the socket is open again.
        while *states.borrow_and_update() == ConnectionState::Open {
            states.changed().await.unwrap();
        }
        while *states.borrow_and_update() != ConnectionState::Open {
            states.changed().await.unwrap();
        }
    })
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
}
