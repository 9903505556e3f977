//! One test per bug of the Python client that applies to
//! the HTTP layer: the SDK must not repeat any of them.
// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use serde_json::{json, Value};
use speckle_http::endpoints::{accounts, clients, objects, projects, streams};
use speckle_http::query::Query;
use speckle_http::{execute, Endpoint, ErrorKind};
use speckle_types::*;
use support::{client, expect, mock_server, Exact, TOKEN};

fn body_of<E: Endpoint>(endpoint: &E) -> Value {
    serde_json::from_slice(&endpoint.body().unwrap().unwrap()).unwrap()
}

/// #1: `accounts.search` posted to `/api/v1/accountssearch` (404).
#[tokio::test]
async fn search_posts_to_accounts_search() {
    let server = mock_server().await;
    let answer = json!({"success": true, "resources": []});
    expect(
        &server,
        Exact::new("POST", "/api/v1/accounts/search").body(json!({"searchString": "bob"})),
        200,
        &answer,
    )
    .await;
    execute(&client(&server), &accounts::SearchUsers::new("bob"))
        .await
        .unwrap();
    server.verify().await;
}

/// #2: `set_role` sent only `{role}`; the server needs all six fields.
#[test]
fn admin_user_update_always_sends_all_six_fields() {
    let user: User = serde_json::from_value(json!({
        "_id": "u1", "name": "Bob", "surname": "B", "company": "C", "email": "bob@example.com",
        "role": "user", "archived": false, "apitoken": "JWT x"
    }))
    .unwrap();
    let mut update = accounts::AdminUserUpdate::from_user(&user);
    update.role = Role::Admin;
    let body = body_of(&accounts::AdminUpdateUser::new("u1", update));
    assert_eq!(
        body,
        json!({"name": "Bob", "surname": "B", "company": "C", "email": "bob@example.com", "role": "admin", "archived": false})
    );
}

/// #4: `streams.update(id, {'name': 'x'})` sent empty objects/layers/children/tags.
#[test]
fn stream_update_sends_only_what_was_set() {
    let patch = Stream {
        name: Some("x".into()),
        ..Default::default()
    };
    assert_eq!(
        body_of(&streams::UpdateStream::new("s1", patch)),
        json!({"name": "x"})
    );
}

/// #4: `projects.update(id, {'name': 'x'})` emptied the project's streams.
#[test]
fn project_update_sends_only_what_was_set() {
    let patch = Project {
        name: Some("x".into()),
        ..Default::default()
    };
    assert_eq!(
        body_of(&projects::UpdateProject::new("p1", patch)),
        json!({"name": "x"})
    );
}

/// #5: `set_properties` injected `geometryHash = md5("null")`.
#[test]
fn set_properties_sends_exactly_the_map() {
    let props = json!({"foo": "bar"}).as_object().unwrap().clone();
    assert_eq!(
        body_of(&objects::UpdateObjectProperties::new("o1", props)),
        json!({"foo": "bar"})
    );
}

/// #6: create/update injected `geometryHash`, and a string `parent` failed to decode.
#[test]
fn objects_are_sent_as_given_and_a_single_parent_decodes() {
    let object = SpeckleObject::from(Point::new(1.0, 2.0, 3.0)).with("layer", "A");
    assert_eq!(
        body_of(&objects::CreateObjects::new([object])),
        json!([{"type": "Point", "value": [1.0, 2.0, 3.0], "layer": "A"}])
    );
    let fetched: SpeckleObject =
        serde_json::from_value(json!({"_id": "o2", "type": "Point", "parent": "o1"})).unwrap();
    assert_eq!(fetched.parent, Some(Some(ObjectId::new("o1"))));
}

/// #7: `api_clients.update` injected a new random `documentGuid` every time.
#[test]
fn client_update_never_invents_a_document_guid() {
    let patch = ApiClient {
        online: Some(true),
        ..Default::default()
    };
    assert_eq!(
        body_of(&clients::UpdateClient::new("c1", patch)),
        json!({"online": true})
    );
}

/// #10: `login_with_token` left `me['id']` empty (it read `id`, not `_id`).
#[tokio::test]
async fn login_with_token_learns_the_user_id_and_apitoken() {
    let server = mock_server().await;
    let profile = support::recorded(16).response_body;
    expect(
        &server,
        Exact::new("GET", "/api/v1/accounts"),
        200,
        &profile,
    )
    .await;
    let client = support::anonymous_client(&server);
    let user = client.login_with_token(TOKEN).await.unwrap();
    assert_eq!(user.id.as_ref().unwrap(), "6b0c43a184c96928c7155336");
    assert_eq!(client.user_id().unwrap(), "6b0c43a184c96928c7155336");
    assert!(
        client.apitoken().is_some(),
        "the websocket needs the apitoken"
    );
}

/// #11: list values became repeated keys (`omit=layers&omit=comments`, a 500).
#[tokio::test]
async fn option_lists_are_comma_joined() {
    let server = mock_server().await;
    let answer = support::recorded(3007).response_body;
    let expected = Exact::new("GET", "/api/v1/streams/60uCme_s0").query("omit=layers,comments");
    expect(&server, expected, 200, &answer).await;
    let endpoint = streams::GetStream::new("60uCme_s0")
        .omit(["layers"])
        .with_query(Query::new().omit(["comments"]));
    execute(&client(&server), &endpoint).await.unwrap();
    server.verify().await;
}

/// #12: every non-2xx raised before reading JSON, so delta GET's
/// 400-with-`success:true` lost its data.
#[tokio::test]
async fn delta_with_400_and_success_true_returns_the_delta() {
    let server = mock_server().await;
    let recorded = support::recorded(71);
    assert_eq!(recorded.status, 400);
    expect(
        &server,
        Exact::new("GET", "/api/v1/streams/a/delta/b"),
        400,
        &recorded.response_body,
    )
    .await;
    let delta = execute(&client(&server), &streams::GetStreamDelta::new("a", "b"))
        .await
        .unwrap();
    assert_eq!(
        delta
            .delta
            .as_ref()
            .unwrap()
            .deleted
            .as_ref()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        delta.message_text(),
        Some("Clients from Stream A and Stream B are undefined")
    );
}

/// #12: a 400 with `success:false` on the delta route is still an error.
#[tokio::test]
async fn delta_with_400_and_success_false_is_an_error() {
    let server = mock_server().await;
    let answer = json!({"success": false, "message": "Can not diff the same stream, yo!"});
    expect(
        &server,
        Exact::new("GET", "/api/v1/streams/a/delta/a"),
        400,
        &answer,
    )
    .await;
    let error = execute(&client(&server), &streams::GetStreamDelta::new("a", "a"))
        .await
        .unwrap_err();
    assert_eq!(
        error.server_message(),
        Some("Can not diff the same stream, yo!")
    );
}

/// Server quirk: a `streamId` that is the first key of a stream patch renames
/// the stream. Never send it (nor `_id`).
#[test]
fn stream_patch_never_carries_its_ids() {
    let fetched: Stream =
        serde_json::from_value(json!({"streamId": "s1", "_id": "d1", "name": "n"})).unwrap();
    assert_eq!(
        body_of(&streams::UpdateStream::new("s1", fetched)),
        json!({"name": "n"})
    );
}

/// Server quirk: placeholders mixed with full objects in a stream update are
/// dropped, losing objects. Refused before sending.
#[test]
fn stream_patch_with_mixed_objects_is_refused() {
    let patch = Stream {
        objects: Some(vec![
            SpeckleObject::placeholder("o1"),
            SpeckleObject::from(Point::new(0.0, 0.0, 0.0)),
        ]),
        ..Default::default()
    };
    let error = streams::UpdateStream::new("s1", patch).body().unwrap_err();
    assert!(matches!(error.kind(), ErrorKind::InvalidInput(_)));
}

/// Server quirk: a new object sent with an `_id` is neither stored nor
/// validated. The `_id` of non-placeholders is never sent.
#[test]
fn new_objects_never_carry_an_id() {
    let mut object = SpeckleObject::from(Point::new(0.0, 0.0, 0.0));
    object.id = Some(ObjectId::new("client-made"));
    let body = body_of(&objects::CreateObjects::new([
        object,
        SpeckleObject::placeholder("o1"),
    ]));
    assert_eq!(
        body,
        json!([{"type": "Point", "value": [0.0, 0.0, 0.0]}, {"_id": "o1", "type": "Placeholder"}])
    );
}

/// Delta apply clones the stream before failing silently on a wrong
/// `revisionA`: checked before sending.
#[test]
fn delta_apply_checks_the_revision() {
    let delta = Delta {
        revision_a: Some(Revision {
            id: Some("other".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let error = streams::ApplyStreamDelta::new("s1", delta)
        .body()
        .unwrap_err();
    assert!(matches!(error.kind(), ErrorKind::InvalidInput(_)));
}

/// Hash filters are sent quoted, so a digits-only hash is not turned into a number.
#[tokio::test]
async fn digit_hashes_stay_strings_in_filters() {
    let server = mock_server().await;
    let answer = json!({"success": true, "resources": []});
    let expected = Exact::new("GET", "/api/v1/streams/s/objects").query("hash=%221234e5%22");
    expect(&server, expected, 200, &answer).await;
    let endpoint = streams::ListStreamObjects::new("s")
        .with_query(Query::new().filter(speckle_http::query::Filter::eq("hash", "1234e5")));
    execute(&client(&server), &endpoint).await.unwrap();
    server.verify().await;
}

/// Ids that need percent-encoding cannot escape their path segment.
#[tokio::test]
async fn ids_are_percent_encoded() {
    let server = mock_server().await;
    let answer = support::recorded(38).response_body;
    expect(
        &server,
        Exact::new("GET", "/api/v1/streams/a%2F..%2Fb%3Fc%23d"),
        200,
        &answer,
    )
    .await;
    execute(&client(&server), &streams::GetStream::new("a/../b?c#d"))
        .await
        .unwrap();
    server.verify().await;
}
