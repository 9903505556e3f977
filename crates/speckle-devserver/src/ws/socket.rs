//! One websocket connection: handshake parameters, registration, the
//! heartbeat, and the read/write loop.

use futures_util::{SinkExt, StreamExt};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::events::{self, Event, Join, Target};
use super::hub::{Out, Outbox};
use crate::app::App;
use crate::json::{Json, Map};

const NO_CLIENT_ID: &str = "You must provide a client_id. You can generate an anonymous temporary one by sending an anonymous request to POST /clients (see https://speckleworks.github.io/SpeckleSpecs/#clientcreate).";
const ALREADY_JOINED: &str = "You already joined that room.";
const MISSED_WARNING: &str = "Warning: you missed 5 mins of pings. After 10, you will be kicked!";
const MISSED_BYE: &str = "You missed 10 minutes of pings. Bye!";

/// Node's `querystring.parse`: `+` is a space, the first value of a key wins
/// here (Node would make an array).
fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |s: &str| {
            let plus = s.replace('+', " ");
            percent_encoding::percent_decode_str(&plus)
                .decode_utf8()
                .map(|d| d.into_owned())
                .unwrap_or(plus)
        };
        (decode(k) == name).then(|| decode(v))
    })
}

type Ws = WebSocketStream<TokioIo<Upgraded>>;

pub(super) async fn run(app: App, mut ws: Ws, query: &str) {
    let Some(client_id) = query_param(query, "client_id").filter(|c| !c.is_empty()) else {
        // The real server crashes here; this one says why and closes.
        let _ = ws.send(Message::text(NO_CLIENT_ID)).await;
        let _ = ws.close(None).await;
        return;
    };
    let token = query_param(query, "access_token");
    let user: Option<Map> = match token {
        Some(t) => app
            .store
            .call(move |db| db.user_by_apitoken(&t).ok().flatten())
            .await
            .ok()
            .flatten()
            .and_then(|u| match u {
                Json::Obj(m) => Some(m),
                _ => None,
            }),
        None => None,
    };
    // The connect-time room is decided before the socket is registered, so
    // once it is counted it is in its room. Unlike the real server, it
    // needs read access.
    let mut joined = None;
    if let Some(sid) = query_param(query, "stream_id").filter(|s| !s.is_empty()) {
        let u = user.clone();
        joined = app
            .store
            .call(move |db| events::join_stream(db, u.as_ref(), &sid))
            .await
            .ok();
    }
    let first_room = match &joined {
        Some(Join::Enter { room, private, .. }) => Some((room.clone(), *private)),
        _ => None,
    };
    let (outbox, mut rx) = Outbox::new();
    let (conn, my_id, renamed) = app.hub.register(&client_id, outbox.clone(), first_room);
    let (mut sink, mut stream) = ws.split();
    if let Some(new_id) = renamed {
        let mut m = Map::new();
        m.insert(
            "message".into(),
            Json::str("Warning: this client is open in another file."),
        );
        m.insert("newId".into(), Json::Str(new_id));
        outbox.push(Json::Obj(m).to_text());
    }
    if let Some(Join::Refuse(texts)) = joined {
        for t in texts {
            outbox.push(t);
        }
    }

    let every = app.settings.ping_interval;
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    let mut alive = true;
    let mut missed: u32 = 0;
    let mut stopping = app.hub.stopping();
    loop {
        tokio::select! {
            frame = stream.next() => match frame {
                Some(Ok(Message::Text(t))) => {
                    let t = t.as_str();
                    if t == "alive" {
                        alive = true;
                        missed = 0;
                    } else {
                        handle(&app, conn, &my_id, user.as_ref(), &outbox, t).await;
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                // Binary frames are dropped; protocol pings are answered by
                // tungstenite and do not count as heartbeats.
                Some(Ok(_)) => {}
            },
            out = rx.recv() => match out {
                Some(out) => {
                    outbox.taken(&out);
                    let Out::Text(t) = out;
                    if !send_unless_overflowed(&mut sink, &outbox, &t).await {
                        break;
                    }
                }
                None => {
                    let _ = sink.close().await;
                    break;
                }
            },
            _ = outbox.overflowed() => break,
            _ = ticker.tick() => {
                if !alive {
                    missed += 1;
                    if missed > 5
                        && !send_unless_overflowed(&mut sink, &outbox, MISSED_WARNING).await
                    {
                        break;
                    }
                    if missed > 10 {
                        let _ = send_unless_overflowed(&mut sink, &outbox, MISSED_BYE).await;
                        let _ = sink.close().await;
                        break;
                    }
                }
                alive = false;
                if !send_unless_overflowed(&mut sink, &outbox, "ping").await {
                    break;
                }
            },
            _ = stopping.changed() => {
                let _ = sink.close().await;
                break;
            }
        }
    }
    app.hub.remove(conn);
}

type Sink = futures_util::stream::SplitSink<Ws, Message>;

/// Sends a text frame; `false` when the connection failed or the socket's
/// outbox overflowed meanwhile. A peer that stops reading blocks the send,
/// so it is dropped (not waited for) once others' frames pile up for it.
async fn send_unless_overflowed(sink: &mut Sink, outbox: &Outbox, text: &str) -> bool {
    tokio::select! {
        sent = sink.send(Message::text(text)) => sent.is_ok(),
        _ = outbox.overflowed() => false,
    }
}

fn apply_join(app: &App, conn: u64, outbox: &Outbox, outcome: Join) {
    match outcome {
        Join::Enter {
            room,
            confirm,
            private,
        } => {
            if !app.hub.join(conn, &room, private) {
                outbox.push(ALREADY_JOINED);
            } else if confirm {
                let mut m = Map::new();
                m.insert("message".into(), Json::str("Room joined."));
                m.insert("roomName".into(), Json::Str(room));
                outbox.push(Json::Obj(m).to_text());
            }
        }
        Join::Refuse(texts) => {
            for t in texts {
                outbox.push(t);
            }
        }
    }
}

/// Whether the socket may speak in the room `target` names: it is in the
/// room, or it could join it (a public resource, or one its user reads).
/// The real server lets anyone, even anonymous, broadcast anywhere.
async fn may_speak(app: &App, conn: u64, user: Option<&Map>, room: &str, target: Target) -> bool {
    if app.hub.is_in(conn, room) {
        return true;
    }
    let u = user.cloned();
    let outcome = app
        .store
        .call(move |db| match target {
            Target::Stream(sid) => events::join_stream(db, u.as_ref(), &sid),
            Target::Resource { kind, id } => events::join_resource(db, u.as_ref(), &kind, &id),
        })
        .await;
    matches!(outcome, Ok(Join::Enter { .. }))
}

async fn handle(
    app: &App,
    conn: u64,
    my_id: &str,
    user: Option<&Map>,
    outbox: &Outbox,
    frame: &str,
) {
    let Some(event) = events::parse(frame) else {
        return;
    };
    let relayed = || events::with_true_sender(frame, my_id).unwrap_or_else(|| frame.to_string());
    match event {
        Event::Message { recipient } => app.hub.message(conn, &recipient, &relayed()),
        Event::Broadcast { room, target } => {
            if may_speak(app, conn, user, &room, target).await {
                app.hub.broadcast(&room, my_id, &relayed());
            }
        }
        Event::Leave { room } => app.hub.leave(conn, &room),
        Event::JoinStream { stream_id } => {
            let u = user.cloned();
            if let Ok(outcome) = app
                .store
                .call(move |db| events::join_stream(db, u.as_ref(), &stream_id))
                .await
            {
                apply_join(app, conn, outbox, outcome);
            }
        }
        Event::JoinResource { kind, id } => {
            let u = user.cloned();
            if let Ok(outcome) = app
                .store
                .call(move |db| events::join_resource(db, u.as_ref(), &kind, &id))
                .await
            {
                apply_join(app, conn, outbox, outcome);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::query_param;

    #[test]
    fn query_params_decode_plus_as_space() {
        let q = "access_token=JWT+abc%2Edef&client_id=C1&stream_id=";
        assert_eq!(
            query_param(q, "access_token").as_deref(),
            Some("JWT abc.def")
        );
        assert_eq!(query_param(q, "client_id").as_deref(), Some("C1"));
        assert_eq!(query_param(q, "stream_id").as_deref(), Some(""));
        assert_eq!(query_param(q, "nope"), None);
    }
}
