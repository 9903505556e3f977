//! `speckle projects`.

use serde_json::json;
use speckle::Project;

use crate::cli::{Global, ProjectsCommand};
use crate::failure::Failure;
use crate::output::{self, cell};
use crate::session;

/// Runs a projects command.
pub async fn run(global: &Global, command: ProjectsCommand) -> Result<(), Failure> {
    let client = session::client(global)?;
    let projects = client.projects();
    match command {
        ProjectsCommand::List => {
            let list = projects.list().await?;
            output::listing(
                global.json,
                &list,
                &["PROJECT ID", "NAME", "STREAMS"],
                |p| {
                    vec![
                        cell(p.id.as_ref()),
                        cell(p.name.as_ref()),
                        cell(p.streams.as_ref().map(Vec::len)),
                    ]
                },
            )
        }
        ProjectsCommand::Get { id } => {
            let project = projects.get(id.as_str()).await?;
            let streams = project.streams.as_ref().map(|s| {
                s.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            });
            output::record(
                global.json,
                &project,
                &[
                    ("id", cell(project.id.as_ref())),
                    ("name", cell(project.name.as_ref())),
                    ("description", cell(project.description.as_ref())),
                    ("streams", cell(streams)),
                ],
            )
        }
        ProjectsCommand::Create { name } => {
            let project = projects
                .create(Project {
                    name: Some(name),
                    ..Project::default()
                })
                .await?;
            if global.json {
                return output::json(&project);
            }
            println!("{}", cell(project.id.as_ref()));
            Ok(())
        }
        ProjectsCommand::Rename { id, name } => {
            projects
                .update(
                    id.as_str(),
                    Project {
                        name: Some(name.clone()),
                        ..Project::default()
                    },
                )
                .await?;
            output::done(
                global.json,
                &format!("renamed {id} to {name}"),
                &json!({"id": id, "name": name}),
            )
        }
        ProjectsCommand::Delete { id } => {
            projects.delete(id.as_str()).await?;
            output::done(
                global.json,
                &format!("deleted {id}"),
                &json!({"id": id, "deleted": true}),
            )
        }
    }
}
