//! `speckle comments`.

use serde_json::json;
use speckle::Comment;

use crate::cli::{CommentsCommand, Global};
use crate::failure::Failure;
use crate::output::{self, cell};
use crate::session;

/// Runs a comments command.
pub async fn run(global: &Global, command: CommentsCommand) -> Result<(), Failure> {
    let client = session::client(global)?;
    match command {
        CommentsCommand::List { stream } => {
            let list = match stream {
                Some(stream) => client.streams().comment_get(stream.as_str()).await?,
                None => client.comments().list().await?,
            };
            output::listing(global.json, &list, &["COMMENT ID", "STATUS", "TEXT"], |c| {
                vec![
                    cell(c.id.as_ref()),
                    cell(c.status.as_ref()),
                    cell(c.text.as_ref()).replace('\n', " "),
                ]
            })
        }
        CommentsCommand::Get { id } => {
            let comment = client.comments().get(id.as_str()).await?;
            output::record(
                global.json,
                &comment,
                &[
                    ("id", cell(comment.id.as_ref())),
                    ("status", cell(comment.status.as_ref())),
                    ("text", cell(comment.text.as_ref())),
                ],
            )
        }
        CommentsCommand::Create { stream, text } => {
            let comment = client
                .streams()
                .comment_create(
                    stream.as_str(),
                    Comment {
                        text: Some(text),
                        ..Comment::default()
                    },
                )
                .await?;
            if global.json {
                return output::json(&comment);
            }
            println!("{}", cell(comment.id.as_ref()));
            Ok(())
        }
        CommentsCommand::Delete { id } => {
            client.comments().delete(id.as_str()).await?;
            output::done(
                global.json,
                &format!("deleted {id}"),
                &json!({"id": id, "deleted": true}),
            )
        }
    }
}
