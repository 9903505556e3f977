//! `speckle push`: objects from a file into a stream.

use std::sync::Arc;

use futures_util::stream::BoxStream;
use serde_json::json;
use speckle::{ObjectCache, PushItem, PushOptions, Query, Stream};

use crate::cli::{Global, PushArgs};
use crate::commands::until_interrupted;
use crate::failure::Failure;
use crate::input::{self, Input};
use crate::output::{self, cell};
use crate::progress::Bar;
use crate::session;

/// Reads and checks every object first (nothing is sent for a bad file),
/// uploads what the server lacks, NDJSON lines as written (the local
/// hash→id cache skips what an earlier push stored), and only then sets the
/// stream's object list: a push cut short leaves the stream as it was, and a
/// re-run finishes it, sending only what the first run had not.
pub async fn run(global: &Global, args: PushArgs) -> Result<(), Failure> {
    let input = input::read_objects(&args.file)?;
    let total = input.len();
    let client = session::client(global)?;
    let stream_id = match (args.stream, args.new) {
        (Some(id), _) => {
            // An unknown stream fails here, before any upload.
            client
                .streams()
                .get_with(id.as_str(), Query::new().fields(["streamId"]))
                .await?;
            id
        }
        (None, Some(name)) => {
            let created = client
                .streams()
                .create(Stream {
                    name: Some(name),
                    ..Stream::default()
                })
                .await?;
            let id = cell(created.stream_id.as_ref());
            // Said at once so an interrupted push can be resumed with --stream.
            eprintln!("created stream {id}");
            id
        }
        (None, None) => return Err(Failure::msg("pass --stream ID or --new NAME")),
    };
    let cache = if args.no_cache {
        None
    } else {
        Some(Arc::new(ObjectCache::open_default(client.server_url())?))
    };
    let bar = Bar::new("pushed");
    let options = PushOptions {
        cache: cache.clone(),
        progress: bar.callback(),
        total: u64::try_from(total).ok(),
        ..PushOptions::default()
    };
    let (objects, built): (BoxStream<'static, PushItem>, _) = match input {
        Input::Parsed(objects) => {
            let items = objects.into_iter().map(PushItem::from);
            (Box::pin(futures_util::stream::iter(items)), None)
        }
        Input::Lines(lines) => {
            let (objects, built) = lines.into_stream();
            (Box::pin(objects), Some(built))
        }
    };
    let outcome =
        until_interrupted(async { Ok(client.objects().push_stream(objects, options).await?) })
            .await;
    bar.finish();
    // A line the check let through but that could not be read ended the
    // upload early: the stream is left as it was, and the objects stored so
    // far are reused by a re-run.
    let built = built.map_or(Ok(()), input::Built::finish);
    if let Some(cache) = &cache {
        // Also after Ctrl-C: what was stored need not be sent again.
        cache.flush()?;
    }
    let outcome = outcome?;
    built?;
    let placeholders = outcome.placeholders()?;
    until_interrupted(async {
        client
            .streams()
            .update(
                stream_id.as_str(),
                Stream {
                    objects: Some(placeholders),
                    ..Stream::default()
                },
            )
            .await?;
        Ok(())
    })
    .await?;
    let stats = &outcome.stats;
    if global.json {
        return output::json(&json!({
            "streamId": stream_id,
            "objects": stats.objects,
            "uploaded": stats.uploaded,
            "cached": stats.cached,
            "deduplicated": stats.deduplicated,
            "requests": stats.requests,
            "bytes": stats.bytes,
        }));
    }
    println!("{stream_id}");
    Ok(())
}
