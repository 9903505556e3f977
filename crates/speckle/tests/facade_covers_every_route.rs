//! Every route of the server's table is reachable through a `SpeckleClient`
//! method. A recording transport answers each request with a minimal valid
//! body and notes the route; the test then compares the routes hit with
//! `fixtures/routes.tsv`.
// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde_json::{json, Value};
use speckle::http::transport::{HttpRequest, HttpResponse, Transport, TransportError};
use speckle::http::{Method, Route};
use speckle::*;

#[derive(Debug, Default)]
struct Recorder {
    hits: Mutex<Vec<Route>>,
    /// The JSON body of each request, in the order of `hits` (`null` when none).
    bodies: Mutex<Vec<Value>>,
}

fn request_json(request: &HttpRequest) -> Value {
    request
        .body
        .as_ref()
        .map(|b| serde_json::from_slice(b).unwrap())
        .unwrap_or(Value::Null)
}

fn answer(route: &Route, body: &Value) -> Value {
    match (route.method, route.template) {
        (Method::Get, "/") => json!({"isSpeckleServer": true}),
        (_, "/api/plugins") => json!([]),
        (Method::Get, "/accounts/admin") => json!({"success": true, "resource": [
            {"_id": "u2", "name": "Bob", "surname": "", "company": "B", "email": "bob@example.com", "role": "user", "archived": false}
        ]}),
        (Method::Post, "/accounts/register") | (Method::Post, "/accounts/login") => {
            json!({"success": true, "resource": {"_id": "u1", "token": "JWT t", "apitoken": "JWT a", "email": "a@example.com"}})
        }
        (Method::Post, "/streams/:streamId/clone") => {
            json!({"success": true, "clone": {}, "parent": {}})
        }
        // Like the real server: one object per requested id, in order.
        (Method::Post, "/objects/getbulk") => {
            let items: Vec<Value> = body
                .as_array()
                .unwrap()
                .iter()
                .map(|id| json!({"type": "Point", "_id": id}))
                .collect();
            json!({"success": true, "resources": items})
        }
        (Method::Post, "/objects") => {
            let n = body.as_array().map_or(1, Vec::len);
            let items: Vec<Value> = (0..n)
                .map(|i| json!({"type": "Placeholder", "_id": format!("o{i}")}))
                .collect();
            json!({"success": true, "resources": items})
        }
        _ => json!({"success": true, "resource": {}, "resources": []}),
    }
}

#[async_trait]
impl Transport for Recorder {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let route = speckle::http::endpoints::route_for(request.method, request.url.path())
            .unwrap_or_else(|| panic!("no route for {} {}", request.method, request.url.path()));
        let body = request_json(&request);
        self.hits.lock().unwrap().push(route);
        let response = answer(&route, &body);
        self.bodies.lock().unwrap().push(body);
        Ok(HttpResponse::new(
            200,
            serde_json::to_vec(&response).unwrap(),
        ))
    }
}

#[tokio::test]
async fn every_route_has_a_facade_method() {
    let recorder = Arc::new(Recorder::default());
    let client = SpeckleClient::builder("http://speckle.test")
        .transport(recorder.clone())
        .build()
        .unwrap();

    client.server_info().await.unwrap();
    client.plugins().await.unwrap();
    client
        .register(Register::new("a@example.com", "correct-horse"))
        .await
        .unwrap();
    client
        .login("a@example.com", "correct-horse")
        .await
        .unwrap();
    client.login_with_token("JWT t").await.unwrap();

    let accounts = client.accounts();
    accounts.get("u2").await.unwrap();
    accounts.get_profile().await.unwrap();
    accounts
        .update_profile(ProfileUpdate {
            name: Some("A".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    accounts.search("bob").await.unwrap();
    accounts.list_all().await.unwrap();
    accounts.set_role("u2", Role::Admin).await.unwrap();

    let api_clients = client.api_clients();
    api_clients.list().await.unwrap();
    api_clients.create(ApiClient::default()).await.unwrap();
    api_clients.get("c1").await.unwrap();
    api_clients
        .update(
            "c1",
            ApiClient {
                online: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    api_clients.delete("c1").await.unwrap();

    let streams = client.streams();
    streams.list().await.unwrap();
    streams.list_all(Query::new()).await.unwrap();
    streams.create(Stream::default()).await.unwrap();
    streams.get("s1").await.unwrap();
    streams
        .update(
            "s1",
            Stream {
                name: Some("n".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    streams.delete("s1").await.unwrap();
    streams.clone("s1", Some("v2")).await.unwrap();
    streams.diff("s1", "s2").await.unwrap();
    streams.delta("s1", "s2").await.unwrap();
    let delta = Delta {
        revision_a: Some(speckle::types::Revision {
            id: Some("s1".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    streams.apply_delta("s1", delta).await.unwrap();
    streams.list_objects("s1").await.unwrap();
    streams.list_clients("s1").await.unwrap();
    streams.comment_get("s1").await.unwrap();
    streams
        .comment_create(
            "s1",
            Comment {
                text: Some("hi".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();

    let objects = client.objects();
    objects
        .create([SpeckleObject::from(Point::new(0.0, 0.0, 0.0))])
        .await
        .unwrap();
    objects
        .derive([SpeckleObject::placeholder("o1")])
        .await
        .unwrap();
    objects.get("o1").await.unwrap();
    objects.get_bulk(["o1", "o2"]).await.unwrap();
    objects
        .update("o1", SpeckleObject::default())
        .await
        .unwrap();
    objects
        .set_properties("o1", serde_json::Map::new())
        .await
        .unwrap();
    objects.delete("o1").await.unwrap();

    let comments = client.comments();
    comments.list().await.unwrap();
    comments.get_assigned().await.unwrap();
    comments.get("c1").await.unwrap();
    comments
        .update(
            "c1",
            Comment {
                closed: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    comments.delete("c1").await.unwrap();
    comments.comment_get("c1").await.unwrap();

    let projects = client.projects();
    projects.list().await.unwrap();
    projects.list_all(Query::new()).await.unwrap();
    projects.create(Project::default()).await.unwrap();
    projects.get("p1").await.unwrap();
    projects
        .update(
            "p1",
            Project {
                name: Some("n".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    projects.add_stream("p1", "s1").await.unwrap();
    projects.remove_stream("p1", "s1").await.unwrap();
    projects.add_user("p1", "u2").await.unwrap();
    projects.remove_user("p1", "u2").await.unwrap();
    projects.upgrade_user("p1", "u2").await.unwrap();
    projects.downgrade_user("p1", "u2").await.unwrap();
    projects.delete("p1").await.unwrap();

    let hits: Vec<(String, String)> = recorder
        .hits
        .lock()
        .unwrap()
        .iter()
        .map(|r| (r.method.to_string(), r.full_template()))
        .collect();
    let table = include_str!("../../../fixtures/routes.tsv");
    let mut missing = Vec::new();
    for line in table.lines().skip(1).filter(|l| !l.is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let route = (cols[1].to_owned(), cols[2].to_owned());
        if !hits.contains(&route) {
            missing.push(route);
        }
    }
    assert!(
        missing.is_empty(),
        "routes without a facade method: {missing:?}"
    );
}

#[tokio::test]
async fn stream_update_with_full_objects_uploads_them_and_keeps_the_order() {
    let recorder = Arc::new(Recorder::default());
    let client = SpeckleClient::builder("http://speckle.test")
        .token("JWT t")
        .transport(recorder.clone())
        .build()
        .unwrap();
    // A placeholder between two full objects: its position must survive.
    let objects = vec![
        SpeckleObject::from(Point::new(1.0, 0.0, 0.0)),
        SpeckleObject::placeholder("existing"),
        SpeckleObject::from(Point::new(2.0, 0.0, 0.0)),
    ];
    client
        .streams()
        .update(
            "s1",
            Stream {
                objects: Some(objects),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let hits: Vec<String> = recorder
        .hits
        .lock()
        .unwrap()
        .iter()
        .map(|r| r.to_string())
        .collect();
    assert_eq!(hits, ["POST /api/objects", "PUT /api/streams/:streamId"]);

    let bodies = recorder.bodies.lock().unwrap();
    // Only the two full objects are uploaded, in their order.
    let uploaded: Vec<&Value> = bodies[0]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| &o["value"])
        .collect();
    assert_eq!(uploaded, [&json!([1.0, 0.0, 0.0]), &json!([2.0, 0.0, 0.0])]);
    // The stream gets the placeholders the server answered for the uploads
    // (`o0`, `o1`) in the full objects' places, and the existing one in its own.
    let stream_objects = bodies[1]["objects"].as_array().unwrap();
    let ids: Vec<&str> = stream_objects
        .iter()
        .map(|o| o["_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["o0", "existing", "o1"]);
    assert!(
        stream_objects.iter().all(|o| o["type"] == "Placeholder"),
        "{stream_objects:?}"
    );
}

#[tokio::test]
async fn set_role_of_a_missing_user_is_not_found_and_writes_nothing() {
    let recorder = Arc::new(Recorder::default());
    let client = SpeckleClient::builder("http://speckle.test")
        .transport(recorder.clone())
        .build()
        .unwrap();
    client.login_with_token("JWT t").await.unwrap();
    let error = client
        .accounts()
        .set_role("nobody", Role::Admin)
        .await
        .unwrap_err();
    assert!(error.is_not_found(), "{error}");
    assert!(!error.is_invalid_input(), "{error}");
    let writes: Vec<Route> = recorder
        .hits
        .lock()
        .unwrap()
        .iter()
        .filter(|route| route.method == Method::Put)
        .copied()
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
}
