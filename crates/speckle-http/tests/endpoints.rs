//! One wiremock test per server route: each asserts the exact method, path,
//! query, `Authorization` header and JSON body the endpoint sends, and that
//! the recorded answer of the real server decodes losslessly.
//!
//! `every_route_has_a_wiremock_test` runs all cases and fails when a route of
//! the server's table (`fixtures/routes.tsv`) has no case.
// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use serde::Serialize;
use serde_json::{json, Value};
use speckle_http::endpoints::{accounts, clients, comments, objects, projects, server, streams};
use speckle_http::query::{Filter, Query};
use speckle_http::{execute, Endpoint, Route};
use speckle_types::*;
use support::{client, expect, mock_server, recorded, synthetic, Exact};

const API: &str = "/api/v1";

async fn check<E>(endpoint: E, expected: Exact, status: u16, response: Value) -> Route
where
    E: Endpoint,
    E::Response: Serialize,
{
    let server = mock_server().await;
    expect(&server, expected, status, &response).await;
    let client = client(&server);
    let decoded = execute(&client, &endpoint)
        .await
        .unwrap_or_else(|e| panic!("{}: {e} {:?}", E::ROUTE, e.body()));
    assert_eq!(
        serde_json::to_value(&decoded).unwrap(),
        response,
        "{}: decoding is not lossless",
        E::ROUTE
    );
    server.verify().await;
    E::ROUTE
}

/// Checks an endpoint against recorded exchange `seq`: the recorded request
/// body must be exactly what the endpoint sends. Endpoints are built from
/// typed input, never from the recorded body itself, so the comparison can
/// fail.
async fn check_recorded<E>(endpoint: E, expected: Exact, seq: u64) -> Route
where
    E: Endpoint,
    E::Response: Serialize,
{
    let rec = recorded(seq);
    let expected = if rec.request_body.is_null() {
        expected
    } else {
        expected.body(rec.request_body.clone())
    };
    check(endpoint, expected, rec.status, rec.response_body).await
}

macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        mod each {
            $(#[tokio::test] async fn $name() { super::$name().await; })*
        }
        async fn run_all() -> Vec<Route> {
            vec![$($name().await),*]
        }
    };
}

cases![
    server_info,
    plugins,
    register,
    login,
    get_profile,
    list_all_users,
    update_profile,
    get_user,
    admin_update_user,
    search_users,
    create_client,
    list_clients,
    get_client,
    update_client,
    delete_client,
    create_stream,
    list_streams,
    list_all_streams,
    get_stream,
    update_stream,
    delete_stream,
    clone_stream,
    diff_streams,
    get_stream_delta,
    apply_stream_delta,
    list_stream_objects,
    list_stream_clients,
    create_objects,
    derive_objects,
    get_object,
    get_bulk_objects,
    update_object,
    update_object_properties,
    delete_object,
    list_comments,
    list_assigned_comments,
    create_comment,
    list_resource_comments,
    get_comment,
    update_comment,
    delete_comment,
    create_project,
    list_projects,
    list_all_projects,
    get_project,
    update_project,
    add_project_stream,
    remove_project_stream,
    add_project_user,
    remove_project_user,
    upgrade_project_user,
    downgrade_project_user,
    delete_project,
];

// ---- server -------------------------------------------------------------

async fn server_info() -> Route {
    check_recorded(
        server::GetServerInfo::new(),
        Exact::new("GET", format!("{API}/")).no_auth(),
        2,
    )
    .await
}

async fn plugins() -> Route {
    check(
        server::GetPlugins::new(),
        Exact::new("GET", "/api/plugins").no_auth(),
        200,
        synthetic("plugins"),
    )
    .await
}

// ---- accounts -----------------------------------------------------------

async fn register() -> Route {
    let endpoint = accounts::Register::new("alice1795965856@example.com", "correct-horse-battery")
        .name("Alice")
        .surname("Anders")
        .company("Acme");
    check_recorded(
        endpoint,
        Exact::new("POST", format!("{API}/accounts/register")).no_auth(),
        4,
    )
    .await
}

async fn login() -> Route {
    let endpoint = accounts::Login::new("alice1795965856@example.com", "correct-horse-battery");
    check_recorded(
        endpoint,
        Exact::new("POST", format!("{API}/accounts/login")).no_auth(),
        11,
    )
    .await
}

async fn get_profile() -> Route {
    check_recorded(
        accounts::GetProfile::new(),
        Exact::new("GET", format!("{API}/accounts")),
        16,
    )
    .await
}

async fn list_all_users() -> Route {
    check_recorded(
        accounts::ListAllUsers::new(),
        Exact::new("GET", format!("{API}/accounts/admin")),
        30,
    )
    .await
}

async fn update_profile() -> Route {
    let update = accounts::ProfileUpdate {
        name: Some("Alicia".into()),
        company: Some("Acme Ltd".into()),
        ..Default::default()
    };
    check_recorded(
        accounts::UpdateProfile::new(update),
        Exact::new("PUT", format!("{API}/accounts")),
        24,
    )
    .await
}

async fn get_user() -> Route {
    let id = "6b0c43a184c96928c7155337";
    check_recorded(
        accounts::GetUser::new(id),
        Exact::new("GET", format!("{API}/accounts/{id}")),
        25,
    )
    .await
}

async fn admin_update_user() -> Route {
    let update = accounts::AdminUserUpdate {
        name: "Bob".into(),
        surname: "".into(),
        company: "Bcorp".into(),
        email: "bob@example.com".into(),
        role: Role::Admin,
        archived: false,
    };
    let id = "6b0c43a184c96928c7155337";
    let body = json!({"name":"Bob","surname":"","company":"Bcorp","email":"bob@example.com","role":"admin","archived":false});
    check(
        accounts::AdminUpdateUser::new(id, update),
        Exact::new("PUT", format!("{API}/accounts/{id}")).body(body),
        200,
        synthetic("admin_update_user"),
    )
    .await
}

async fn search_users() -> Route {
    check_recorded(
        accounts::SearchUsers::new("bob"),
        Exact::new("POST", format!("{API}/accounts/search")),
        28,
    )
    .await
}

// ---- clients ------------------------------------------------------------

async fn create_client() -> Route {
    let client = ApiClient {
        role: Some(ClientRole::Sender),
        document_name: Some("probe.3dm".into()),
        document_type: Some("Python".into()),
        document_guid: Some("doc-guid-1".into()),
        document_location: Some("/tmp".into()),
        ..Default::default()
    };
    check_recorded(
        clients::CreateClient::new(client),
        Exact::new("POST", format!("{API}/clients")),
        32,
    )
    .await
}

async fn list_clients() -> Route {
    check_recorded(
        clients::ListClients::new(),
        Exact::new("GET", format!("{API}/clients")),
        34,
    )
    .await
}

async fn get_client() -> Route {
    let id = "6b0c43a384c96928c7155350";
    check_recorded(
        clients::GetClient::new(id),
        Exact::new("GET", format!("{API}/clients/{id}")),
        2005,
    )
    .await
}

async fn update_client() -> Route {
    let id = "6b0c43a384c96928c7155350";
    let patch = ApiClient {
        online: Some(false),
        document_name: Some("renamed.gh".into()),
        ..Default::default()
    };
    check_recorded(
        clients::UpdateClient::new(id, patch),
        Exact::new("PUT", format!("{API}/clients/{id}")),
        2006,
    )
    .await
}

async fn delete_client() -> Route {
    let id = "6b0c43a384c96928c7155350";
    check(
        clients::DeleteClient::new(id),
        Exact::new("DELETE", format!("{API}/clients/{id}")),
        200,
        synthetic("delete_client"),
    )
    .await
}

// ---- streams ------------------------------------------------------------

async fn create_stream() -> Route {
    let stream = Stream {
        name: Some("Probe stream".into()),
        description: Some("created by probe".into()),
        tags: Some(vec!["probe".into()]),
        ..Default::default()
    };
    check_recorded(
        streams::CreateStream::new(stream),
        Exact::new("POST", format!("{API}/streams")),
        36,
    )
    .await
}

async fn list_streams() -> Route {
    let endpoint = streams::ListStreams::new().fields(["streamId", "name"]);
    check_recorded(
        endpoint,
        Exact::new("GET", format!("{API}/streams")).query("fields=streamId,name"),
        42,
    )
    .await
}

async fn list_all_streams() -> Route {
    check_recorded(
        streams::ListAllStreams::new(),
        Exact::new("GET", format!("{API}/streams/admin")),
        96,
    )
    .await
}

async fn get_stream() -> Route {
    let endpoint = streams::GetStream::new("0Qm9JpFvT4").fields(["name", "objects", "layers"]);
    let expected =
        Exact::new("GET", format!("{API}/streams/0Qm9JpFvT4")).query("fields=name,objects,layers");
    check_recorded(endpoint, expected, 39).await
}

async fn update_stream() -> Route {
    let placeholders = (1..=3)
        .map(|n| SpeckleObject::placeholder(format!("6b0c43a284c96928c715534{n}")))
        .collect();
    let layer = Layer {
        name: Some("Layer A".into()),
        guid: Some("guid-a".into()),
        order_index: Some(0.into()),
        start_index: Some(0.into()),
        object_count: Some(3.into()),
        topology: Some("0-3 ".into()),
        ..Default::default()
    };
    let patch = Stream {
        name: Some("Probe stream v2".into()),
        objects: Some(placeholders),
        layers: Some(vec![layer]),
        ..Default::default()
    };
    check_recorded(
        streams::UpdateStream::new("60uCme_s0", patch),
        Exact::new("PUT", format!("{API}/streams/60uCme_s0")),
        63,
    )
    .await
}

async fn delete_stream() -> Route {
    check_recorded(
        streams::DeleteStream::new("NZzrqTxy5T"),
        Exact::new("DELETE", format!("{API}/streams/NZzrqTxy5T")),
        101,
    )
    .await
}

async fn clone_stream() -> Route {
    let endpoint = streams::CloneStream::new("60uCme_s0").name("Probe clone");
    check_recorded(
        endpoint,
        Exact::new("POST", format!("{API}/streams/60uCme_s0/clone")),
        69,
    )
    .await
}

async fn diff_streams() -> Route {
    let endpoint = streams::DiffStreams::new("60uCme_s0", "0Qm9JpFvT4");
    check_recorded(
        endpoint,
        Exact::new("GET", format!("{API}/streams/60uCme_s0/diff/0Qm9JpFvT4")),
        70,
    )
    .await
}

async fn get_stream_delta() -> Route {
    // Recorded with status 400 and `success: true`: the delta is returned.
    let endpoint = streams::GetStreamDelta::new("60uCme_s0", "0Qm9JpFvT4");
    check_recorded(
        endpoint,
        Exact::new("GET", format!("{API}/streams/60uCme_s0/delta/0Qm9JpFvT4")),
        71,
    )
    .await
}

async fn apply_stream_delta() -> Route {
    let side = |id: &str| Revision {
        id: Some(id.into()),
        ..Default::default()
    };
    let delta = Delta {
        revision_a: Some(side("0Qm9JpFvT4")),
        revision_b: Some(side("x")),
        created: Some(vec![point([5, 5, 5])]),
        deleted: Some(vec![]),
        common: Some(vec![]),
        ..Default::default()
    };
    let endpoint = streams::ApplyStreamDelta::new("0Qm9JpFvT4", delta);
    check_recorded(
        endpoint,
        Exact::new("POST", format!("{API}/streams/0Qm9JpFvT4/delta")),
        3023,
    )
    .await
}

async fn list_stream_objects() -> Route {
    let endpoint = streams::ListStreamObjects::new("60uCme_s0")
        .fields(["type", "value"])
        .with_query(Query::new().filter(Filter::eq("type", "Point")));
    let expected = Exact::new("GET", format!("{API}/streams/60uCme_s0/objects"))
        .query("fields=type,value&type=%22Point%22");
    check_recorded(endpoint, expected, 66).await
}

async fn list_stream_clients() -> Route {
    let endpoint = streams::ListStreamClients::new("KZEstGdMW");
    check_recorded(
        endpoint,
        Exact::new("GET", format!("{API}/streams/KZEstGdMW/clients")),
        2007,
    )
    .await
}

// ---- objects ------------------------------------------------------------

/// A point as the recorded requests write it (integer coordinates, which
/// `Point::new`'s floats would write as `0.0`).
fn point(value: [i64; 3]) -> SpeckleObject {
    SpeckleObject::new(ObjectType::Point).with("value", json!(value))
}

async fn create_objects() -> Route {
    let polyline = SpeckleObject {
        hash: Some("customhash-1795965856".into()),
        ..SpeckleObject::new(ObjectType::Polyline)
            .with("value", json!([0, 0, 0, 1, 1, 1, 2, 2, 2]))
            .with("closed", false)
    };
    let objects = vec![
        point([0, 0, 0]).with_properties(json!({"tag": "a"})),
        SpeckleObject {
            application_id: Some(Some("app-1".into())),
            ..point([1, 0, 0]).with_properties(json!({"tag": "b"}))
        },
        polyline,
    ];
    check_recorded(
        objects::CreateObjects::new(objects),
        Exact::new("POST", format!("{API}/objects")),
        45,
    )
    .await
}

async fn derive_objects() -> Route {
    let overrides = vec![SpeckleObject::default()
        .with_id("6b0c43a284c96928c7155342")
        .with_properties(json!({"tag": "derived"}))];
    check_recorded(
        objects::DeriveObjects::new(overrides),
        Exact::new("POST", format!("{API}/objects/derive")),
        61,
    )
    .await
}

async fn get_object() -> Route {
    let id = "6b0c43a284c96928c7155342";
    let endpoint = objects::GetObject::new(id).fields(["type", "properties"]);
    check_recorded(
        endpoint,
        Exact::new("GET", format!("{API}/objects/{id}")).query("fields=type,properties"),
        51,
    )
    .await
}

async fn get_bulk_objects() -> Route {
    let ids = (1..=3).map(|n| format!("6b0c43a284c96928c715534{n}"));
    let endpoint = objects::GetBulkObjects::new(ids).fields(["type", "hash"]);
    check_recorded(
        endpoint,
        Exact::new("POST", format!("{API}/objects/getbulk")).query("fields=type,hash"),
        55,
    )
    .await
}

async fn update_object() -> Route {
    let id = "6b0c43a284c96928c7155341";
    let patch = SpeckleObject {
        name: Some(Some("renamed point".into())),
        ..Default::default()
    };
    check_recorded(
        objects::UpdateObject::new(id, patch),
        Exact::new("PUT", format!("{API}/objects/{id}")),
        58,
    )
    .await
}

async fn update_object_properties() -> Route {
    let id = "6b0c43a284c96928c7155341";
    let properties = json!({"extra": 42}).as_object().unwrap().clone();
    let endpoint = objects::UpdateObjectProperties::new(id, properties);
    check_recorded(
        endpoint,
        Exact::new("PUT", format!("{API}/objects/{id}/properties")),
        59,
    )
    .await
}

async fn delete_object() -> Route {
    let id = "6b0c43a284c96928c7155343";
    check_recorded(
        objects::DeleteObject::new(id),
        Exact::new("DELETE", format!("{API}/objects/{id}")),
        99,
    )
    .await
}

// ---- comments -----------------------------------------------------------

async fn list_comments() -> Route {
    check_recorded(
        comments::ListComments::new(),
        Exact::new("GET", format!("{API}/comments")),
        91,
    )
    .await
}

async fn list_assigned_comments() -> Route {
    check_recorded(
        comments::ListAssignedComments::new(),
        Exact::new("GET", format!("{API}/comments/assigned")),
        92,
    )
    .await
}

async fn create_comment() -> Route {
    let comment = Comment {
        text: Some("Hello from the probe".into()),
        labels: Some(vec!["q".into()]),
        assigned_to: Some(vec![UserRef::Id(UserId::new("6b0c43a184c96928c7155337"))]),
        ..Default::default()
    };
    let endpoint = comments::CreateComment::new(ResourceType::Stream, "60uCme_s0", comment);
    check_recorded(
        endpoint,
        Exact::new("POST", format!("{API}/comments/stream/60uCme_s0")),
        82,
    )
    .await
}

async fn list_resource_comments() -> Route {
    let endpoint = comments::ListResourceComments::new(ResourceType::Stream, "60uCme_s0");
    check_recorded(
        endpoint,
        Exact::new("GET", format!("{API}/comments/stream/60uCme_s0")),
        88,
    )
    .await
}

async fn get_comment() -> Route {
    let id = "6b0c43a284c96928c715534a";
    check_recorded(
        comments::GetComment::new(id),
        Exact::new("GET", format!("{API}/comments/{id}")),
        89,
    )
    .await
}

async fn update_comment() -> Route {
    let id = "6b0c43a284c96928c715534a";
    let patch = Comment {
        text: Some("edited".into()),
        closed: Some(true),
        ..Default::default()
    };
    check_recorded(
        comments::UpdateComment::new(id, patch),
        Exact::new("PUT", format!("{API}/comments/{id}")),
        90,
    )
    .await
}

async fn delete_comment() -> Route {
    let id = "6b0c43a284c96928c715534a";
    check_recorded(
        comments::DeleteComment::new(id),
        Exact::new("DELETE", format!("{API}/comments/{id}")),
        98,
    )
    .await
}

// ---- projects -----------------------------------------------------------

const PROJECT: &str = "6b0c43a284c96928c7155349";
const USER2: &str = "6b0c43a184c96928c7155337";

async fn create_project() -> Route {
    let project = Project {
        name: Some("Probe project".into()),
        description: Some("probe".into()),
        tags: Some(vec!["p".into()]),
        ..Default::default()
    };
    check_recorded(
        projects::CreateProject::new(project),
        Exact::new("POST", format!("{API}/projects")),
        73,
    )
    .await
}

async fn list_projects() -> Route {
    check_recorded(
        projects::ListProjects::new(),
        Exact::new("GET", format!("{API}/projects")),
        74,
    )
    .await
}

async fn list_all_projects() -> Route {
    check_recorded(
        projects::ListAllProjects::new(),
        Exact::new("GET", format!("{API}/projects/admin")),
        97,
    )
    .await
}

async fn get_project() -> Route {
    check_recorded(
        projects::GetProject::new(PROJECT),
        Exact::new("GET", format!("{API}/projects/{PROJECT}")),
        75,
    )
    .await
}

async fn update_project() -> Route {
    let patch = Project {
        name: Some("Probe project renamed".into()),
        ..Default::default()
    };
    check_recorded(
        projects::UpdateProject::new(PROJECT, patch),
        Exact::new("PUT", format!("{API}/projects/{PROJECT}")),
        76,
    )
    .await
}

async fn add_project_stream() -> Route {
    let expected = Exact::new(
        "PUT",
        format!("{API}/projects/{PROJECT}/addstream/60uCme_s0"),
    );
    check_recorded(
        projects::AddProjectStream::new(PROJECT, "60uCme_s0"),
        expected,
        77,
    )
    .await
}

async fn remove_project_stream() -> Route {
    let expected = Exact::new(
        "DELETE",
        format!("{API}/projects/{PROJECT}/removestream/60uCme_s0"),
    );
    check(
        projects::RemoveProjectStream::new(PROJECT, "60uCme_s0"),
        expected,
        200,
        synthetic("remove_stream"),
    )
    .await
}

async fn add_project_user() -> Route {
    let expected = Exact::new("PUT", format!("{API}/projects/{PROJECT}/adduser/{USER2}"));
    check_recorded(projects::AddProjectUser::new(PROJECT, USER2), expected, 78).await
}

async fn remove_project_user() -> Route {
    let expected = Exact::new(
        "DELETE",
        format!("{API}/projects/{PROJECT}/removeuser/{USER2}"),
    );
    check(
        projects::RemoveProjectUser::new(PROJECT, USER2),
        expected,
        200,
        synthetic("remove_user"),
    )
    .await
}

async fn upgrade_project_user() -> Route {
    let expected = Exact::new(
        "PUT",
        format!("{API}/projects/{PROJECT}/upgradeuser/{USER2}"),
    );
    check(
        projects::UpgradeProjectUser::new(PROJECT, USER2),
        expected,
        200,
        synthetic("upgrade_user"),
    )
    .await
}

async fn downgrade_project_user() -> Route {
    let expected = Exact::new(
        "PUT",
        format!("{API}/projects/{PROJECT}/downgradeuser/{USER2}"),
    );
    check(
        projects::DowngradeProjectUser::new(PROJECT, USER2),
        expected,
        200,
        synthetic("downgrade_user"),
    )
    .await
}

async fn delete_project() -> Route {
    let expected = Exact::new("DELETE", format!("{API}/projects/{PROJECT}"));
    check(
        projects::DeleteProject::new(PROJECT),
        expected,
        200,
        synthetic("delete_project"),
    )
    .await
}

// ---- coverage -----------------------------------------------------------

const ROUTES_TSV: &str = include_str!("../../../fixtures/routes.tsv");

/// `(METHOD, /api/template)` of every route in the server's route table.
fn server_routes() -> Vec<(String, String)> {
    ROUTES_TSV
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            (cols[1].to_owned(), cols[2].to_owned())
        })
        .collect()
}

#[tokio::test]
async fn every_route_has_an_endpoint_and_a_wiremock_test() {
    let tested: Vec<(String, String)> = run_all()
        .await
        .iter()
        .map(|r| (r.method.to_string(), r.full_template()))
        .collect();
    let endpoints: Vec<(String, String)> = speckle_http::ALL_ROUTES
        .iter()
        .map(|r| (r.method.to_string(), r.full_template()))
        .collect();
    let table = server_routes();
    assert_eq!(table.len(), 52, "the server's table has 52 routes");
    for route in &table {
        assert!(endpoints.contains(route), "no endpoint for {route:?}");
        assert!(tested.contains(route), "no wiremock test for {route:?}");
    }
    for route in &endpoints {
        assert!(
            tested.contains(route),
            "endpoint {route:?} has no wiremock test"
        );
    }
    // Every endpoint's auth mode matches the table.
    for line in ROUTES_TSV.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let route = speckle_http::ALL_ROUTES
            .iter()
            .find(|r| r.method.as_str() == cols[1] && r.full_template() == cols[2])
            .unwrap();
        let expected = match cols[3] {
            "none" => speckle_http::AuthMode::None,
            "optional" => speckle_http::AuthMode::Optional,
            "token" => speckle_http::AuthMode::Token,
            "token+admin" => speckle_http::AuthMode::Admin,
            other => panic!("unknown auth {other}"),
        };
        assert_eq!(route.auth, expected, "{route}");
    }
}
