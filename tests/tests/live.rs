//! Live websockets against a server: the speckle-ws scenarios, with a real
//! server implementation instead of the crate's fake one. Forced drops come
//! from a proxy that cuts every connection at once.
//!
//! Runs against an in-process devserver, or `SPECKLE_TEST_SERVER` (the drop
//! test puts the proxy in front of its host and port: plain `http://` only).
//! Each test's stream is deleted afterwards.
// Test code: a panic is a failed test, with its message.
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
use std::sync::Arc;

use speckle_contract_tests::cleanup::{with_cleanup, Ledger};
use speckle_contract_tests::fault_proxy::{FaultProxy, Faults};
use speckle_contract_tests::rooms::wait_until_in_stream_room;
use speckle_contract_tests::target::{report_skip, unique, Target};
use speckle_contract_tests::users::fresh_user;

/// A fresh user and a stream of its own, noted for deletion.
async fn setup(target: &Target, ledger: &Ledger) -> (SpeckleClient, speckle::StreamId) {
    let client = fresh_user(target.url(), "live").await;
    let stream = client
        .streams()
        .create(Stream {
            name: Some(format!("live-{}", unique())),
            ..Default::default()
        })
        .await
        .unwrap();
    let sid = stream.stream_id.unwrap();
    ledger.stream(&client, &sid);
    (client, sid)
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

/// Reads events until the socket reports a state matching `wanted`.
async fn expect_state(
    events: &mut EventStream,
    what: &str,
    wanted: impl Fn(&ConnectionState) -> bool,
) {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match events.next().await {
                Some(Event::State(state)) if wanted(&state) => return,
                Some(_) => continue,
                None => panic!("the event stream ended while waiting for {what}"),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {what} within 10 s"));
}

fn is_reconnecting(state: &ConnectionState) -> bool {
    matches!(state, ConnectionState::Reconnecting { .. })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clients_exchange_broadcasts_and_messages() {
    let target = Arc::new(Target::start().await);
    let day = target.clone();
    with_cleanup(|ledger| async move { exchange(&day, &ledger).await }).await;
}

async fn exchange(target: &Target, ledger: &Ledger) {
    let (client, sid) = setup(target, ledger).await;
    // Socket ids are unique to the run: a server hands a socket whose id is
    // already connected (another run's) a new id.
    let run = unique();
    let (id_a, id_b) = (format!("client-a-{run}"), format!("client-b-{run}"));
    let (a, mut a_events) =
        SpeckleSocket::connect(fast(client.websocket_config(&sid, id_a.as_str())))
            .unwrap()
            .into_parts();
    let (b, mut b_events) =
        SpeckleSocket::connect(fast(client.websocket_config(&sid, id_b.as_str())))
            .unwrap()
            .into_parts();
    wait_until_in_stream_room(&a, &mut a_events, &sid)
        .await
        .unwrap();
    wait_until_in_stream_room(&b, &mut b_events, &sid)
        .await
        .unwrap();

    a.broadcast_to_stream(&sid, json!({"eventType": "update-global"}))
        .unwrap();
    let Incoming::Broadcast(envelope) = next_frame(&mut b_events).await else {
        panic!()
    };
    assert_eq!(envelope.event_type(), Some("update-global"));
    assert_eq!(
        envelope.sender_id.as_ref().map(|i| i.as_str()),
        Some(id_a.as_str())
    );

    b.message(id_a.as_str(), json!({"eventType": "compute-request"}))
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
    const TEST: &str = "a_client_survives_three_drops_and_queued_messages_arrive_once";
    let target = Arc::new(Target::start().await);
    let upstream = match target.upstream().await {
        Ok(address) => address,
        Err(why) => return report_skip(TEST, &why),
    };
    let day = target.clone();
    with_cleanup(|ledger| async move { survive_drops(&day, upstream, &ledger).await }).await;
}

async fn survive_drops(target: &Target, upstream: std::net::SocketAddr, ledger: &Ledger) {
    let (client, sid) = setup(target, ledger).await;
    let proxy = FaultProxy::start(upstream, Faults::default(), 1)
        .await
        .unwrap();
    let apitoken = client.apitoken().unwrap();
    let through_proxy = SpeckleClient::new(target.through(&proxy.url())).unwrap();
    let run = unique();
    let (listener_id, talker_id) = (format!("listener-{run}"), format!("talker-{run}"));
    through_proxy
        .http()
        .set_apitoken(Some(speckle::ExposeSecret::expose_secret(&apitoken)));

    let (listener, mut events) = SpeckleSocket::connect(fast(
        through_proxy.websocket_config(&sid, listener_id.as_str()),
    ))
    .unwrap()
    .into_parts();
    let (talker, mut talker_events) =
        SpeckleSocket::connect(fast(client.websocket_config(&sid, talker_id.as_str())))
            .unwrap()
            .into_parts();
    wait_until_in_stream_room(&listener, &mut events, &sid)
        .await
        .unwrap();
    // The talker must be registered for the listener's messages to reach it.
    wait_until_in_stream_room(&talker, &mut talker_events, &sid)
        .await
        .unwrap();

    for round in 0..3 {
        proxy.cut_all();
        // The talker broadcasts once the listener is back: it must have
        // re-entered the stream's room to get it. The probe is answered on
        // the new connection, since it follows the noticed drop.
        expect_state(&mut events, "the drop", is_reconnecting).await;
        wait_until_in_stream_room(&listener, &mut events, &sid)
            .await
            .unwrap();
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
    expect_state(&mut events, "the last drop", is_reconnecting).await;
    for i in 0..5 {
        listener
            .message(talker_id.as_str(), json!({"eventType": "queued", "i": i}))
            .unwrap();
    }
    // Sent after the five, so everything before it in the talker's stream
    // is all the five could have produced, duplicates included.
    listener
        .message(
            talker_id.as_str(),
            json!({"eventType": "queued", "last": true}),
        )
        .unwrap();
    let mut got = Vec::new();
    loop {
        let Incoming::Message(envelope) = next_frame(&mut talker_events).await else {
            panic!()
        };
        if envelope.args["last"] == true {
            break;
        }
        got.push(envelope.args["i"].as_u64().unwrap());
    }
    assert_eq!(got, vec![0, 1, 2, 3, 4], "in order, each exactly once");
}
