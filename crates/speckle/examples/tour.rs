//! The tour: one run through what the SDK does, with timings.
//!
//! `cargo run --example tour` starts an embedded devserver (SQLite in memory)
//! unless `SPECKLE_SERVER` names a server; on a real server it registers a
//! fresh user, or logs in as `SPECKLE_EMAIL`/`SPECKLE_PASSWORD`.

mod support;

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::json;
use speckle::{
    ClientRole, Comment, Mesh, Point, Project, PullOptions, Pulled, PushOptions, SpeckleObject,
    Stream,
};

const POINTS: usize = 4_000;
const MESHES: usize = 40;

struct Steps(Vec<(String, Duration)>);

impl Steps {
    async fn run<T, F: std::future::Future<Output = Result<T, Box<dyn std::error::Error>>>>(
        &mut self,
        name: &str,
        f: F,
    ) -> Result<T, Box<dyn std::error::Error>> {
        let start = Instant::now();
        let value = f.await?;
        self.0.push((name.to_owned(), start.elapsed()));
        Ok(value)
    }
}

fn model() -> Vec<SpeckleObject> {
    let points = (0..POINTS).map(|i| {
        let x = i as f64;
        SpeckleObject::from(Point::new(x * 0.5, (x * 0.1).sin() * 10.0, 0.0))
            .with_properties(json!({"index": i, "level": format!("L{}", i % 5)}))
    });
    let meshes = (0..MESHES).map(|m| {
        let vertices: Vec<f64> = (0..300)
            .flat_map(|v| [v as f64, m as f64, (v % 7) as f64])
            .collect();
        let faces: Vec<f64> = (0..298)
            .flat_map(|v| [0.0, v as f64, (v + 1) as f64, (v + 2) as f64])
            .collect();
        SpeckleObject::from(Mesh::new(vertices, faces)).with_properties(json!({"mesh": m}))
    });
    points.chain(meshes).collect()
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // `Display` plus the source chain, as a program should print errors
    // (`Debug` from returning the error out of `main` is for developers).
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => support::report(&*error),
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut steps = Steps(Vec::new());
    let (url, server) = steps
        .run("start the server", async { support::server().await })
        .await?;
    println!(
        "server: {url}{}",
        if server.is_some() {
            " (embedded devserver)"
        } else {
            ""
        }
    );
    if server.is_none() {
        // The server named by SPECKLE_SERVER was not started here: the
        // timings must not show a start step for it.
        steps.0.retain(|(name, _)| name != "start the server");
    }

    let client = steps
        .run("register and log in", support::logged_in(&url, "tour"))
        .await?;
    let me = client.accounts().get_profile().await?;
    println!(
        "logged in as {} ({})",
        me.email.as_deref().unwrap_or("?"),
        client.user_id().map(|i| i.to_string()).unwrap_or_default()
    );

    let (project, stream) = steps
        .run("create a project and a stream", async {
            let project = client
                .projects()
                .create(Project {
                    name: Some("Tour project".into()),
                    ..Default::default()
                })
                .await?;
            let stream = client
                .streams()
                .create(Stream {
                    name: Some("Tour stream".into()),
                    ..Default::default()
                })
                .await?;
            Ok((project, stream))
        })
        .await?;
    let project_id = project.id.clone().ok_or("no project id")?;
    let stream_id = stream.stream_id.clone().ok_or("no streamId")?;
    client
        .projects()
        .add_stream(&project_id, &stream_id)
        .await?;

    let objects = model();
    let outcome = steps
        .run("push the model", async {
            Ok(client
                .streams()
                .push_objects(&stream_id, objects.clone(), &PushOptions::default())
                .await?)
        })
        .await?;
    println!(
        "pushed {} objects ({} points, {} meshes) in {} requests, {:.1} MB",
        outcome.stats.objects,
        POINTS,
        MESHES,
        outcome.stats.requests,
        outcome.stats.bytes as f64 / 1e6
    );

    let pulled: Vec<SpeckleObject> = steps
        .run("pull it back", async {
            let mut stream = client
                .streams()
                .pull_objects(&stream_id, PullOptions::default())
                .await?;
            let mut pulled = Vec::new();
            while let Some(entry) = stream.next().await {
                match entry? {
                    Pulled::Object(object) => pulled.push(object),
                    Pulled::Unavailable(id) => {
                        return Err(format!("object {id} is not readable").into())
                    }
                }
            }
            Ok(pulled)
        })
        .await?;
    let same = objects
        .iter()
        .zip(&pulled)
        // Compare typed geometry, not raw JSON: the server writes 0.0 as 0.
        .filter(|(sent, got)| {
            sent.kind == got.kind
                && sent.properties == got.properties
                && sent.geometry().ok() == got.geometry().ok()
        })
        .count();
    println!(
        "verified {same} of {} objects: geometry and properties identical, order kept",
        objects.len()
    );
    if same != objects.len() {
        return Err("the pulled model differs from the pushed one".into());
    }

    let (clone, diff) = steps
        .run("clone and diff", async {
            let (clone, _parent) = client
                .streams()
                .clone(&stream_id, Some("Tour stream v2"))
                .await?;
            let clone_id = clone.stream_id.clone().ok_or("no clone id")?;
            let diff = client.streams().diff(&stream_id, &clone_id).await?;
            Ok((clone_id, diff))
        })
        .await?;
    let common = diff.objects.map(|o| o.common.len()).unwrap_or_default();
    println!("clone {clone}: {common} objects in common with the original");

    let comment_id = steps
        .run("comment", async {
            let comment = client
                .streams()
                .comment_create(
                    &stream_id,
                    Comment {
                        text: Some("Looks good, ship it".into()),
                        ..Default::default()
                    },
                )
                .await?;
            let comment_id = comment.id.clone().ok_or("no comment id")?;
            client
                .comments()
                .update(
                    comment_id.clone(),
                    Comment {
                        closed: Some(true),
                        ..Default::default()
                    },
                )
                .await?;
            Ok(comment_id)
        })
        .await?;

    let (broadcast, api_clients) = steps
        .run("two websockets and a broadcast", async {
            let mut receiver = client
                .websockets_with_new_client(&stream_id, ClientRole::Receiver)
                .await?;
            let sender = client
                .websockets_with_new_client(&stream_id, ClientRole::Sender)
                .await?;
            // Each socket registered an api client; remember them to delete.
            let api_clients = [sender.handle().client_id(), receiver.handle().client_id()];
            let heard = support::broadcast_until_heard(
                &sender,
                &mut receiver,
                &stream_id,
                json!({"eventType": "update-global"}),
            )
            .await;
            sender.handle().close();
            receiver.handle().close();
            Ok((heard?, api_clients))
        })
        .await?;
    println!(
        "the receiver got `{}` from {}",
        broadcast.event_type().unwrap_or("?"),
        broadcast
            .sender_id
            .as_ref()
            .map(|i| i.to_string())
            .unwrap_or_default()
    );

    steps
        .run("clean up", async {
            // Everything the tour made that v1 can delete (users and objects
            // it cannot): the project, both streams, the comment and the
            // sockets' api clients.
            client.comments().delete(comment_id).await?;
            for id in api_clients {
                client.api_clients().delete(id).await?;
            }
            client.projects().delete(&project_id).await?;
            client.streams().delete(&clone).await?;
            client.streams().delete(&stream_id).await?;
            Ok(())
        })
        .await?;

    println!("\n| step | time |\n|---|---|");
    let mut total = Duration::ZERO;
    for (name, time) in &steps.0 {
        println!("| {name} | {:.0} ms |", time.as_secs_f64() * 1000.0);
        total += *time;
    }
    println!("| total | {:.0} ms |", total.as_secs_f64() * 1000.0);
    drop(server);
    Ok(())
}
