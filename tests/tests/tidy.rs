//! Structural rules of the workspace that no compiler checks.
// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// `name -> dependency names` from Cargo.lock.
fn lock_graph() -> BTreeMap<String, Vec<String>> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).unwrap();
    let mut graph = BTreeMap::new();
    for block in lock.split("[[package]]").skip(1) {
        let mut name = None;
        let mut deps = Vec::new();
        let mut in_deps = false;
        for line in block.lines() {
            let line = line.trim();
            if let Some(rest) = line.strip_prefix("name = ") {
                name = Some(rest.trim_matches('"').to_owned());
            } else if line.starts_with("dependencies = [") {
                in_deps = true;
            } else if in_deps && line == "]" {
                in_deps = false;
            } else if in_deps {
                // `"name"` or `"name version"`
                let dep = line.trim_matches(|c| c == '"' || c == ',');
                deps.push(dep.split(' ').next().unwrap().to_owned());
            }
        }
        graph
            .entry(name.unwrap())
            .or_insert_with(Vec::new)
            .extend(deps);
    }
    graph
}

#[test]
fn speckle_types_pulls_in_no_http_and_no_async_runtime() {
    let graph = lock_graph();
    let mut seen = BTreeSet::new();
    let mut todo = vec!["speckle-types".to_owned()];
    while let Some(name) = todo.pop() {
        if seen.insert(name.clone()) {
            todo.extend(graph.get(&name).cloned().unwrap_or_default());
        }
    }
    assert!(
        seen.contains("serde"),
        "the walk found the dependencies: {seen:?}"
    );
    for forbidden in [
        "reqwest",
        "hyper",
        "tokio",
        "http",
        "url",
        "tokio-tungstenite",
    ] {
        assert!(
            !seen.contains(forbidden),
            "speckle-types depends on {forbidden}: {seen:?}"
        );
    }
}

#[test]
fn nothing_reads_the_shared_folder_a_users_clone_lacks() {
    let mut offenders = Vec::new();
    let mut stack = vec![root()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                if !name.starts_with('.') && name != "target" {
                    stack.push(path);
                }
            } else if name.ends_with(".rs") || name.ends_with(".toml") || name == "run" {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                let needle = concat!("../", "shared");
                if text.contains(needle) {
                    offenders.push(path);
                }
            }
        }
    }
    assert!(offenders.is_empty(), "{offenders:?}");
}
