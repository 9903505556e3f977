//! `speckle streams`.

use serde_json::json;
use speckle::{Query, Stream};

use crate::cli::{Global, StreamsCommand};
use crate::failure::Failure;
use crate::output::{self, cell};
use crate::session;

fn id_of(stream: &Stream) -> String {
    cell(stream.stream_id.as_ref())
}

fn object_count(stream: &Stream) -> String {
    cell(stream.objects.as_ref().map(Vec::len))
}

fn show(as_json: bool, stream: &Stream) -> Result<(), Failure> {
    output::record(
        as_json,
        stream,
        &[
            ("streamId", id_of(stream)),
            ("name", cell(stream.name.as_ref())),
            ("description", cell(stream.description.as_ref())),
            ("objects", object_count(stream)),
            ("private", cell(stream.access.private)),
            ("parent", cell(stream.parent.clone().flatten())),
        ],
    )
}

/// Runs a streams command.
pub async fn run(global: &Global, command: StreamsCommand) -> Result<(), Failure> {
    let client = session::client(global)?;
    let streams = client.streams();
    match command {
        StreamsCommand::List => {
            let list = streams
                .list_with(Query::new().omit(["objects", "layers"]))
                .await?;
            output::listing(global.json, &list, &["STREAM ID", "NAME", "PRIVATE"], |s| {
                vec![id_of(s), cell(s.name.as_ref()), cell(s.access.private)]
            })
        }
        StreamsCommand::Get { id } => show(global.json, &streams.get(id.as_str()).await?),
        StreamsCommand::Create { name } => {
            let stream = streams
                .create(Stream {
                    name: Some(name),
                    ..Stream::default()
                })
                .await?;
            if global.json {
                return output::json(&stream);
            }
            println!("{}", id_of(&stream));
            Ok(())
        }
        StreamsCommand::Rename { id, name } => {
            streams
                .update(
                    id.as_str(),
                    Stream {
                        name: Some(name.clone()),
                        ..Stream::default()
                    },
                )
                .await?;
            output::done(
                global.json,
                &format!("renamed {id} to {name}"),
                &json!({"streamId": id, "name": name}),
            )
        }
        StreamsCommand::Delete { id } => {
            streams.delete(id.as_str()).await?;
            output::done(
                global.json,
                &format!("deleted {id}"),
                &json!({"streamId": id, "deleted": true}),
            )
        }
        StreamsCommand::Clone { id, name } => {
            let (clone, _parent) = streams.clone(id.as_str(), name.as_deref()).await?;
            if global.json {
                return output::json(&clone);
            }
            println!("{}", id_of(&clone));
            Ok(())
        }
        StreamsCommand::Diff { id, other } => {
            let diff = streams.diff(id.as_str(), other.as_str()).await?;
            output::json(&diff)
        }
    }
}
