//! Every recorded response body of the real server (SpeckleServer 1.6.0, see
//! `fixtures/`) decodes into its model and serializes back to the same JSON
//! value: nothing is lost, nothing is added.
// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use speckle_types::*;

const TRANSCRIPTS: &str = include_str!("../../../fixtures/speckle-v1-server-transcripts.jsonl");

fn round_trip<T: DeserializeOwned + Serialize>(label: &str, body: &Value) {
    let model: T = serde_json::from_value(body.clone()).unwrap_or_else(|e| {
        panic!(
            "{label}: does not decode as {}: {e}",
            std::any::type_name::<T>()
        )
    });
    let again = serde_json::to_value(&model).unwrap();
    assert_eq!(
        &again,
        body,
        "{label}: {} is not lossless",
        std::any::type_name::<T>()
    );
}

/// The model that a route's success body decodes into, by method and path
/// (ids replaced by `:id`). `None` for routes whose body is checked elsewhere.
fn check_response(label: &str, method: &str, path: &str, body: &Value) -> bool {
    let segs: Vec<&str> = path
        .trim_start_matches("/api")
        .trim_start_matches("/v1")
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    match (method, segs.as_slice()) {
        ("GET", []) => round_trip::<ServerInfo>(label, body),
        (_, ["accounts", "register"]) => round_trip::<Envelope<Registration>>(label, body),
        ("GET", ["accounts", "admin"]) => round_trip::<Envelope<Vec<User>>>(label, body),
        (_, ["accounts", ..]) => round_trip::<Envelope<User>>(label, body),
        (_, ["clients", ..]) | ("GET", ["streams", _, "clients"]) => {
            round_trip::<Envelope<ApiClient>>(label, body)
        }
        ("POST", ["streams", _, "clone"]) => round_trip::<CloneResponse>(label, body),
        ("GET", ["streams", _, "diff", _]) => round_trip::<DiffResponse>(label, body),
        ("GET", ["streams", _, "delta", _]) => round_trip::<DeltaResponse>(label, body),
        ("DELETE", ["streams", _]) => round_trip::<DeleteStreamResponse>(label, body),
        ("GET", ["streams", _, "objects"]) => round_trip::<Envelope<SpeckleObject>>(label, body),
        (_, ["streams", ..]) => round_trip::<Envelope<Stream>>(label, body),
        (_, ["objects", ..]) => round_trip::<Envelope<SpeckleObject>>(label, body),
        ("PUT", ["comments", _]) => round_trip::<CommentEditResponse>(label, body),
        (_, ["comments", ..]) => round_trip::<Envelope<Comment>>(label, body),
        ("PUT", ["projects", _, "addstream", _])
        | ("DELETE", ["projects", _, "removestream", _]) => {
            round_trip::<ProjectStreamResponse>(label, body)
        }
        ("DELETE", ["projects", _, "removeuser", _]) => {
            round_trip::<RemoveUserResponse>(label, body)
        }
        ("PUT", ["projects", _, "downgradeuser", _]) => {
            round_trip::<DowngradeUserResponse>(label, body)
        }
        ("DELETE", ["projects", _]) => round_trip::<DeleteProjectResponse>(label, body),
        (_, ["projects", ..]) => round_trip::<Envelope<Project>>(label, body),
        _ => return false,
    }
    true
}

#[test]
fn every_recorded_json_response_round_trips() {
    let mut checked = 0;
    for line in TRANSCRIPTS.lines() {
        let record: Value = serde_json::from_str(line).unwrap();
        let (Some(request), Some(response)) = (record.get("request"), record.get("response"))
        else {
            continue; // websocket records
        };
        let body = &response["body"];
        if !body.is_object() {
            continue; // text/HTML error bodies, handled by speckle-http's error tests
        }
        let label = record["label"].as_str().unwrap_or("?");
        let method = request["method"].as_str().unwrap();
        let url = request["url"].as_str().unwrap();
        let path = url
            .split("://")
            .nth(1)
            .and_then(|rest| rest.find('/').map(|i| &rest[i..]))
            .unwrap();
        let path = path.split('?').next().unwrap();
        if check_response(label, method, path, body) {
            checked += 1;
        }
    }
    // 155 HTTP exchanges, minus text/HTML bodies and the v0 410.
    assert!(checked >= 130, "only {checked} bodies were checked");
}

#[test]
fn recorded_request_bodies_round_trip() {
    let mut checked = 0;
    for line in TRANSCRIPTS.lines() {
        let record: Value = serde_json::from_str(line).unwrap();
        let Some(request) = record.get("request") else {
            continue;
        };
        let body = &request["body"];
        let label = record["label"].as_str().unwrap_or("?");
        let url = request["url"].as_str().unwrap_or("");
        let method = request["method"].as_str().unwrap_or("");
        if method == "POST" && url.ends_with("/api/objects") {
            if let Some(items) = body.as_array() {
                for item in items {
                    round_trip::<SpeckleObject>(label, item);
                }
                checked += 1;
            } else if body.is_object() {
                round_trip::<SpeckleObject>(label, body);
                checked += 1;
            }
        } else if (method == "POST" && url.ends_with("/api/streams"))
            || (method == "PUT" && url.contains("/api/streams/"))
        {
            if body.is_object() {
                round_trip::<Stream>(label, body);
                checked += 1;
            }
        } else if method == "POST" && url.contains("/delta") && body.is_object() {
            round_trip::<Delta>(label, body);
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} request bodies were checked");
}

/// Every object body the recorded server answered with: the `resources` of
/// the object routes (upload, getbulk, derive, a stream's objects) and the
/// `resource` of `GET /objects/:id`, each with its record's label.
fn recorded_objects() -> Vec<(String, Value)> {
    let mut objects = Vec::new();
    for line in TRANSCRIPTS.lines() {
        let record: Value = serde_json::from_str(line).unwrap();
        let Some(url) = record.pointer("/request/url").and_then(Value::as_str) else {
            continue; // websocket records
        };
        let path = url.split('?').next().unwrap();
        if !path.contains("/api/objects") && !path.ends_with("/objects") {
            continue;
        }
        let label = record["label"].as_str().unwrap_or("?").to_owned();
        let body = &record["response"]["body"];
        let items = match (body.get("resources"), body.get("resource")) {
            (Some(Value::Array(items)), _) => items.clone(),
            (_, Some(item @ Value::Object(_))) => vec![item.clone()],
            _ => continue,
        };
        objects.extend(items.into_iter().map(|item| (label.clone(), item)));
    }
    objects
}

#[test]
fn every_recorded_object_decodes() {
    let objects = recorded_objects();
    // 4 000 from the bulk records, and the few of the route-by-route ones.
    assert!(objects.len() > 4_000, "{} objects", objects.len());
    for (label, item) in &objects {
        let object: SpeckleObject = serde_json::from_value(item.clone())
            .unwrap_or_else(|e| panic!("{label}: an object does not decode: {e}\n{item}"));
        assert_eq!(
            object.id.as_ref().map(|id| id.as_str()),
            item["_id"].as_str(),
            "{label}"
        );
    }
}

/// The recorded coordinates of an object the server stored with its geometry:
/// a Point's or Polyline's `value`, a Mesh's `vertices`.
fn recorded_coordinates(item: &Value) -> Option<Vec<f64>> {
    let key = match item["type"].as_str()? {
        "Point" | "Polyline" => "value",
        "Mesh" => "vertices",
        _ => return None,
    };
    let numbers = item.get(key)?.as_array()?;
    Some(numbers.iter().map(|n| n.as_f64().unwrap()).collect())
}

#[test]
fn every_geometry_in_the_transcripts_has_a_typed_view() {
    let mut seen = 0;
    for (label, item) in recorded_objects() {
        let Some(expected) = recorded_coordinates(&item) else {
            continue;
        };
        let object: SpeckleObject = serde_json::from_value(item.clone()).unwrap();
        let coordinates = match object.geometry() {
            Ok(Geometry::Point(point)) => point.value,
            Ok(Geometry::Polyline(polyline)) => polyline.value,
            Ok(Geometry::Mesh(mesh)) => mesh.vertices,
            other => panic!("{label}: {} has no typed view: {other:?}", item["type"]),
        };
        assert_eq!(coordinates, Some(expected), "{label}");
        seen += 1;
    }
    // Points, polylines and a mesh from getbulk, GET /objects/:id and a
    // stream's objects (the bulk records hold projections without values).
    assert_eq!(seen, 12);
}

#[test]
fn no_permission_stub_is_recognised() {
    let stub: SpeckleObject = serde_json::from_str(
        r#"{"_id":"6b0c440ee60843294b64e31c","type":"String","value":"You do not have permissions to view this object"}"#,
    )
    .unwrap();
    assert!(stub.is_no_permission_stub());
    let real: SpeckleObject =
        serde_json::from_str(r#"{"_id":"1","type":"String","value":"hello","hash":"h"}"#).unwrap();
    assert!(!real.is_no_permission_stub());
}

#[test]
fn unknown_values_decode_and_survive() {
    let body = serde_json::json!({
        "_id": "x", "type": "Revit/Wall", "role": "superuser", "height": 3.5,
        "properties": {"nested": {"deep": [1, {"x": null}]}},
    });
    let object: SpeckleObject = serde_json::from_value(body.clone()).unwrap();
    assert_eq!(object.kind, Some(ObjectType::from("Revit/Wall")));
    assert!(matches!(object.geometry().unwrap(), Geometry::Other));
    assert_eq!(serde_json::to_value(&object).unwrap(), body);

    let user: User = serde_json::from_value(serde_json::json!({"role": "superuser"})).unwrap();
    assert_eq!(user.role, Some(Role::Unknown("superuser".into())));
    assert_eq!(
        serde_json::to_value(&user).unwrap(),
        serde_json::json!({"role": "superuser"})
    );
}

#[test]
fn hierarchical_types_resolve_to_their_geometry() {
    let object: SpeckleObject =
        serde_json::from_value(serde_json::json!({"type": "Custom/Point", "value": [1, 2, 3]}))
            .unwrap();
    assert!(matches!(object.geometry().unwrap(), Geometry::Point(_)));
}

#[test]
fn geometry_builds_nested_values_with_their_type() {
    let plane = Plane {
        origin: Some(Point::new(0.0, 0.0, 0.0)),
        normal: Some(Vector::new(0.0, 0.0, 1.0)),
        ..Default::default()
    };
    let object = SpeckleObject::from(plane.clone());
    let json = serde_json::to_value(&object).unwrap();
    assert_eq!(json["type"], "Plane");
    assert_eq!(json["origin"]["type"], "Point");
    assert_eq!(json["normal"]["value"], serde_json::json!([0.0, 0.0, 1.0]));
    match object.geometry().unwrap() {
        Geometry::Plane(back) => assert_eq!(back, plane),
        other => panic!("{other:?}"),
    }
}

#[test]
fn wrongly_typed_geometry_is_an_error_not_a_panic() {
    let object: SpeckleObject =
        serde_json::from_value(serde_json::json!({"type": "Point", "value": "nope"})).unwrap();
    assert!(object.geometry().is_err());
}

#[test]
fn tokens_are_redacted_in_debug() {
    let user: User = serde_json::from_value(
        serde_json::json!({"apitoken": "JWT secret-api", "token": "JWT secret-session"}),
    )
    .unwrap();
    let printed = format!("{user:?}");
    assert!(
        !printed.contains("secret-api") && !printed.contains("secret-session"),
        "{printed}"
    );
    let registration: Registration =
        serde_json::from_value(serde_json::json!({"apitoken": "JWT secret-api"})).unwrap();
    assert!(!format!("{registration:?}").contains("secret-api"));
}

#[test]
fn coordinates_come_back_bit_identical() {
    // serde_json's default float parser can be one ulp off; the workspace
    // enables `float_roundtrip` so geometry survives a server round trip.
    let mut x = 0.1f64;
    for i in 0..10_000 {
        x = (x * 1.618_033_988_75 + i as f64 * 1e-7).sin() * 1e3;
        let object = SpeckleObject::from(Point::new(x, x / 3.0, x * 1e-9));
        let back: SpeckleObject =
            serde_json::from_slice(&serde_json::to_vec(&object).unwrap()).unwrap();
        match back.geometry().unwrap() {
            Geometry::Point(p) => {
                let value = p.value.unwrap();
                assert_eq!(value[0].to_bits(), x.to_bits());
                assert_eq!(value[1].to_bits(), (x / 3.0).to_bits());
                assert_eq!(value[2].to_bits(), (x * 1e-9).to_bits());
            }
            other => panic!("{other:?}"),
        }
    }
}
