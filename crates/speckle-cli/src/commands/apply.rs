//! `speckle apply -f FILE`: resource documents in the Go client's shape
//! (`type: project|stream|client`, `metadata`, `spec`), several per file.
//! A document whose metadata has an `id` updates that resource; one without
//! creates it.
//!
//! JSON only: see the README for why no YAML.

use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};
use speckle::{ApiClient, Project, SpeckleClient, Stream};

use crate::cli::{ApplyArgs, Global};
use crate::failure::Failure;
use crate::output::{self, cell};
use crate::session;

/// What a document asks for, checked before anything is sent.
enum Change {
    Stream(Option<String>, Stream),
    Project(Option<String>, Project),
    Client(Option<String>, ApiClient),
}

/// Applies every document of the file, in order.
pub async fn run(global: &Global, args: ApplyArgs) -> Result<(), Failure> {
    let text = std::fs::read_to_string(&args.file)
        .map_err(|e| Failure::msg(format!("{}: {e}", args.file.display())))?;
    let shown = args.file.display().to_string();
    let changes = parse(&text).map_err(|e| Failure::msg(format!("{shown}: {e}")))?;
    let client = session::client(global)?;
    let mut done = Vec::new();
    for change in changes {
        let (kind, action, id) = apply(&client, change).await?;
        if !global.json {
            println!("{action} {kind} {id}");
        }
        done.push(json!({"type": kind, "action": action, "id": id}));
    }
    if global.json {
        output::json(&done)?;
    }
    Ok(())
}

async fn apply(
    client: &SpeckleClient,
    change: Change,
) -> Result<(&'static str, &'static str, String), Failure> {
    Ok(match change {
        Change::Stream(Some(id), stream) => {
            client.streams().update(id.as_str(), stream).await?;
            ("stream", "updated", id)
        }
        Change::Stream(None, stream) => {
            let created = client.streams().create(stream).await?;
            ("stream", "created", cell(created.stream_id.as_ref()))
        }
        Change::Project(Some(id), project) => {
            client.projects().update(id.as_str(), project).await?;
            ("project", "updated", id)
        }
        Change::Project(None, project) => {
            let created = client.projects().create(project).await?;
            ("project", "created", cell(created.id.as_ref()))
        }
        Change::Client(Some(id), api_client) => {
            client.api_clients().update(id.as_str(), api_client).await?;
            ("client", "updated", id)
        }
        Change::Client(None, api_client) => {
            let created = client.api_clients().create(api_client).await?;
            ("client", "created", cell(created.id.as_ref()))
        }
    })
}

/// The documents of `text`: one JSON document, an array of them, or several
/// documents one after the other.
fn parse(text: &str) -> Result<Vec<Change>, String> {
    let mut changes = Vec::new();
    let mut documents = Vec::new();
    for value in serde_json::Deserializer::from_str(text).into_iter::<Value>() {
        match value.map_err(|e| format!("line {}: invalid JSON: {e}", e.line()))? {
            Value::Array(items) => documents.extend(items),
            other => documents.push(other),
        }
    }
    for (index, document) in documents.into_iter().enumerate() {
        changes.push(change_of(document).map_err(|e| format!("document {}: {e}", index + 1))?);
    }
    Ok(changes)
}

fn change_of(document: Value) -> Result<Change, String> {
    let Value::Object(mut document) = document else {
        return Err("not a JSON object".into());
    };
    let kind = match document.remove("type") {
        Some(Value::String(kind)) => kind,
        _ => return Err("`type` must be project, stream or client".into()),
    };
    let metadata = match document.remove("metadata") {
        Some(Value::Object(m)) => m,
        None => Map::new(),
        Some(_) => return Err("`metadata` must be an object".into()),
    };
    let mut spec = match document.remove("spec") {
        Some(Value::Object(s)) => s,
        None => Map::new(),
        Some(_) => return Err("`spec` must be an object".into()),
    };
    let id = match metadata.get("id") {
        Some(Value::String(id)) if !id.is_empty() => Some(id.clone()),
        None | Some(Value::Null) => None,
        Some(_) => return Err("`metadata.id` must be a string".into()),
    };
    if let Some(name) = metadata.get("name") {
        spec.insert("name".into(), name.clone());
    }
    let spec = Value::Object(spec);
    match kind.as_str() {
        "stream" => Ok(Change::Stream(id, typed(spec)?)),
        "project" => Ok(Change::Project(id, typed(spec)?)),
        "client" => Ok(Change::Client(id, typed(spec)?)),
        other => Err(format!(
            "unknown type `{other}`: use project, stream or client"
        )),
    }
}

fn typed<T: DeserializeOwned>(spec: Value) -> Result<T, String> {
    serde_json::from_value(spec).map_err(|e| format!("`spec`: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_several_documents_and_names_the_bad_one() {
        let text = r#"{"type":"stream","metadata":{"name":"A"}}
            [{"type":"project","metadata":{"id":"p1","name":"P"}}]"#;
        let changes = parse(text).unwrap();
        assert!(matches!(&changes[0], Change::Stream(None, s) if s.name.as_deref() == Some("A")));
        assert!(matches!(&changes[1], Change::Project(Some(id), _) if id == "p1"));
        let err = parse(r#"{"type":"stream"} {"type":"table"}"#)
            .err()
            .unwrap();
        assert!(err.starts_with("document 2: unknown type"), "{err}");
    }
}
