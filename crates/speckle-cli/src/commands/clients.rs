//! `speckle clients`.

use serde_json::{json, Value};
use speckle::{ApiClient, ClientRole};

use crate::cli::{ClientsCommand, Global};
use crate::failure::Failure;
use crate::output::{self, cell};
use crate::session;

fn role_text(client: &ApiClient) -> String {
    client
        .role
        .as_ref()
        .and_then(|r| serde_json::to_value(r).ok())
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Runs a clients command.
pub async fn run(global: &Global, command: ClientsCommand) -> Result<(), Failure> {
    let client = session::client(global)?;
    let clients = client.api_clients();
    match command {
        ClientsCommand::List => {
            let list = clients.list().await?;
            output::listing(
                global.json,
                &list,
                &["CLIENT ID", "ROLE", "STREAM", "DOCUMENT", "ONLINE"],
                |c| {
                    vec![
                        cell(c.id.as_ref()),
                        role_text(c),
                        cell(c.stream_id.as_ref()),
                        cell(c.document_name.as_ref()),
                        cell(c.online),
                    ]
                },
            )
        }
        ClientsCommand::Get { id } => {
            let found = clients.get(id.as_str()).await?;
            output::record(
                global.json,
                &found,
                &[
                    ("id", cell(found.id.as_ref())),
                    ("role", role_text(&found)),
                    ("stream", cell(found.stream_id.as_ref())),
                    ("document", cell(found.document_name.as_ref())),
                    ("online", cell(found.online)),
                ],
            )
        }
        ClientsCommand::Create {
            stream,
            role,
            document_name,
        } => {
            let role: ClientRole =
                serde_json::from_value(Value::String(role.clone())).map_err(|_| {
                    Failure::msg(format!("unknown role `{role}`: use Sender or Receiver"))
                })?;
            let created = clients
                .create(ApiClient {
                    stream_id: Some(stream.as_str().into()),
                    role: Some(role),
                    document_name,
                    ..ApiClient::default()
                })
                .await?;
            if global.json {
                return output::json(&created);
            }
            println!("{}", cell(created.id.as_ref()));
            Ok(())
        }
        ClientsCommand::Delete { id } => {
            clients.delete(id.as_str()).await?;
            output::done(
                global.json,
                &format!("deleted {id}"),
                &json!({"id": id, "deleted": true}),
            )
        }
    }
}
