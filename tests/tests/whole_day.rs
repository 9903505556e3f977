//! A user's whole day, end to end through the SDK: two users, profiles and
//! search, streams with objects and layers, clone/diff/delta, projects with
//! members and their permission effects, comments and replies, api clients,
//! admin listings, deletions and their effects, bad tokens and forbidden
//! access, and live websockets.
//!
//! Runs against an in-process devserver, or `SPECKLE_TEST_SERVER`. Names,
//! passwords and object contents carry a per-run nonce, so it is safe on a
//! shared, non-empty server and can be run again and again; everything
//! deletable it created is deleted, even when an assertion fails midway (the
//! two users stay: v1 cannot delete users). The admin routes are exercised
//! whatever the test user's role: an admin must be served, anyone else
//! refused. The routes it touched are compared with the server's table at
//! the end: a route the day never used fails the test.
// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::json;
use speckle::types::UserRef;
use speckle::ws::{Event, Incoming};
use speckle::*;
use speckle_contract_tests::cleanup::{with_cleanup, Ledger};
use speckle_contract_tests::rooms::wait_until_in_stream_room;
use speckle_contract_tests::target::{unique, RouteRecorder, Target};
use speckle_contract_tests::wait::until;
use speckle_http::Route;

fn client(target: &Target, hits: &Arc<Mutex<Vec<Route>>>) -> SpeckleClient {
    SpeckleClient::builder(target.url())
        .transport(Arc::new(RouteRecorder::new(hits.clone())))
        .retry(RetryPolicy::never())
        .build()
        .unwrap()
}

/// An admin route's answer: served for an admin, refused with the admin
/// check's 401 for anyone else. Either way the route was exercised.
fn admin_route<T>(is_admin: bool, what: &str, result: Result<T, Error>) -> Option<T> {
    match result {
        Ok(value) if is_admin => Some(value),
        Ok(_) => panic!("{what}: a user who is not an admin was served"),
        Err(error) if is_admin => panic!("{what}: an admin was refused: {error}"),
        Err(error) => {
            assert_eq!(error.status(), Some(401), "{what}: {error}");
            assert_eq!(
                error.server_message(),
                Some("Only admins can access this route"),
                "{what}: {error}"
            );
            assert!(error.is_forbidden(), "{what}: {error}");
            None
        }
    }
}

/// What the day ends with, to check after the cleanup that nothing is left.
struct DayLeftovers {
    alice: SpeckleClient,
    object_ids: Vec<ObjectId>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_day_touches_every_route() {
    let target = Arc::new(Target::start().await);
    // The suite's own server is empty: its first user is an admin. A given
    // server decides, and the day asserts whichever role it got.
    let expect_admin = target.is_embedded().then_some(true);
    let day = target.clone();
    let leftovers = with_cleanup(|ledger| a_whole_day(day, ledger, expect_admin)).await;
    nothing_is_left(&leftovers).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_day_on_a_server_with_users_gets_the_admin_routes_refused() {
    let target = Arc::new(Target::start().await);
    // Someone registered before the day's users, so they are not admins.
    SpeckleClient::new(target.url())
        .unwrap()
        .register(Register::new(
            format!("earlier-{}@example.com", unique()),
            format!("pw-{}", unique()),
        ))
        .await
        .unwrap();
    let day = target.clone();
    let leftovers = with_cleanup(|ledger| a_whole_day(day, ledger, Some(false))).await;
    nothing_is_left(&leftovers).await;
}

/// After the cleanup, the day's user owns nothing deletable any more.
async fn nothing_is_left(leftovers: &DayLeftovers) {
    let alice = &leftovers.alice;
    let streams = alice.streams().list().await.unwrap();
    assert!(streams.is_empty(), "streams left: {streams:?}");
    let projects = alice.projects().list().await.unwrap();
    assert!(projects.is_empty(), "projects left: {projects:?}");
    let comments = alice.comments().list().await.unwrap();
    assert!(comments.is_empty(), "comments left: {comments:?}");
    let api_clients = alice.api_clients().list().await.unwrap();
    assert!(api_clients.is_empty(), "api clients left: {api_clients:?}");
    let objects = alice
        .objects()
        .get_bulk(leftovers.object_ids.clone())
        .await
        .unwrap();
    assert_eq!(objects.len(), leftovers.object_ids.len());
    assert!(
        objects.iter().all(SpeckleObject::is_no_permission_stub),
        "objects left: {:?}",
        objects.iter().find(|o| !o.is_no_permission_stub())
    );
}

/// The day. `expect_admin` is the role the test user must have, when the
/// caller knows it.
async fn a_whole_day(
    target: Arc<Target>,
    ledger: Ledger,
    expect_admin: Option<bool>,
) -> DayLeftovers {
    let target = &*target;
    let hits = Arc::new(Mutex::new(Vec::new()));
    let id = unique();
    // Unique: on an empty server the day's first user becomes an admin.
    let password = format!("pw-{id}-{}", unique());
    let password = password.as_str();

    // ---- morning: the server, accounts -----------------------------------
    let alice = client(target, &hits);
    let info = alice.server_info().await.unwrap();
    assert_eq!(info.is_speckle_server, Some(true));
    alice.plugins().await.unwrap();

    let alice_email = format!("alice-{id}@example.com");
    let bob_email = format!("bob-{id}@example.com");
    let me = alice
        .register(
            Register::new(&alice_email, password)
                .name("Alice")
                .surname(format!("A{id}")),
        )
        .await
        .unwrap();
    let alice_id = me.id.clone().unwrap();
    let bob = client(target, &hits);
    let bob_me = bob
        .register(
            Register::new(&bob_email, password)
                .name("Bob")
                .surname(format!("B{id}"))
                .company("Bcorp"),
        )
        .await
        .unwrap();
    let bob_id = bob_me.id.clone().unwrap();

    let taken = client(target, &hits)
        .register(Register::new(&alice_email, password))
        .await
        .unwrap_err();
    assert!(taken.is_bad_request(), "{taken}");
    let wrong = client(target, &hits)
        .login(&alice_email, "wrong-password")
        .await
        .unwrap_err();
    assert!(wrong.is_unauthorized(), "{wrong}");
    alice.login(&alice_email, password).await.unwrap();

    let apitoken = alice.apitoken().unwrap();
    let by_token = client(target, &hits);
    let profile = by_token
        .login_with_token(apitoken.expose_secret())
        .await
        .unwrap();
    assert_eq!(profile.id.as_ref(), Some(&alice_id));

    let accounts = alice.accounts();
    assert_eq!(
        accounts.get_profile().await.unwrap().email.as_deref(),
        Some(alice_email.as_str())
    );
    accounts
        .update_profile(ProfileUpdate {
            company: Some("Acme".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        accounts.get_profile().await.unwrap().company.as_deref(),
        Some("Acme")
    );
    let bob_public = accounts.get(bob_id.clone()).await.unwrap();
    assert_eq!(bob_public.name.as_deref(), Some("Bob"));
    let found = accounts.search(&format!("B{id}")).await.unwrap();
    assert!(
        found.iter().any(|u| u.id.as_ref() == Some(&bob_id)),
        "{found:?}"
    );
    // The server refuses searches under 3 characters; the SDK does not send them.
    let too_short = accounts.search("ab").await.unwrap_err();
    assert!(
        matches!(too_short.kind(), ErrorKind::InvalidInput(_)),
        "{too_short}"
    );
    let role = accounts.get_profile().await.unwrap().role;
    let is_admin = role == Some(Role::Admin);
    println!("the day's user is an admin: {is_admin}");
    if let Some(expected) = expect_admin {
        assert_eq!(is_admin, expected, "the day's user has the role {role:?}");
    }
    if let Some(users) = admin_route(is_admin, "list users", accounts.list_all().await) {
        assert!(users.iter().any(|u| u.id.as_ref() == Some(&bob_id)));
        // Promoting Bob lets him list users; demoting him takes it back.
        accounts
            .set_role(bob_id.clone(), Role::Admin)
            .await
            .unwrap();
        bob.accounts().list_all().await.unwrap();
        accounts.set_role(bob_id.clone(), Role::User).await.unwrap();
        let demoted = bob.accounts().list_all().await.unwrap_err();
        assert!(demoted.is_forbidden(), "{demoted}");
    } else {
        // `set_role` reads the admin listing first, which is refused before
        // the update is sent: send the update itself.
        let mut update = AdminUserUpdate::from_user(&bob_public);
        update.email = bob_email.clone();
        admin_route(
            is_admin,
            "update a user",
            accounts.admin_update(bob_id.clone(), update).await,
        );
    }

    // ---- streams and objects ---------------------------------------------
    let streams = alice.streams();
    let stream = streams
        .create(Stream {
            name: Some(format!("day-{id}")),
            tags: Some(vec!["contract".into()]),
            ..Default::default()
        })
        .await
        .unwrap();
    let sid = stream.stream_id.clone().unwrap();
    ledger.stream(&alice, &sid);
    assert_eq!(streams.get(&sid).await.unwrap().name, stream.name);
    assert!(streams
        .list()
        .await
        .unwrap()
        .iter()
        .any(|s| s.stream_id.as_ref() == Some(&sid)));
    if let Some(all) = admin_route(
        is_admin,
        "list all streams",
        streams
            .list_all(Query::new().filter(Filter::eq("streamId", sid.as_str())))
            .await,
    ) {
        let ids: Vec<_> = all.iter().map(|s| s.stream_id.as_ref()).collect();
        assert_eq!(ids, [Some(&sid)], "the filter selects this stream only");
    }

    let model: Vec<SpeckleObject> = (0..300)
        .map(|i| {
            SpeckleObject::from(Point::new(i as f64, 1.0, 2.0))
                .with_properties(json!({"i": i, "tag": id}))
        })
        .chain([SpeckleObject::from(Mesh::new(
            vec![0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0],
            vec![0.0, 0.0, 1.0, 2.0],
        ))
        .with_properties(json!({"tag": id}))])
        .collect();
    let outcome = streams
        .push_objects(&sid, model.clone(), &PushOptions::default())
        .await
        .unwrap();
    ledger.objects(&alice, &outcome.ids);
    assert!(outcome.failures.is_empty());
    let layer = Layer {
        name: Some("all".into()),
        guid: Some(format!("guid-{id}")),
        start_index: Some(0.into()),
        object_count: Some(301.into()),
        ..Default::default()
    };
    streams
        .update(
            &sid,
            Stream {
                layers: Some(vec![layer]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let fetched = streams.get(&sid).await.unwrap();
    assert_eq!(
        fetched.objects.as_ref().unwrap().len(),
        301,
        "a layer update keeps the objects"
    );
    assert_eq!(
        fetched.layers.as_ref().unwrap()[0].guid.as_deref(),
        Some(format!("guid-{id}").as_str())
    );

    let listed = streams
        .list_objects_with(&sid, Query::new().fields(["type"]).limit(5))
        .await
        .unwrap();
    // The stream holds no duplicates, so the page is exactly the limit, and
    // the projection leaves each object its type and id only.
    assert_eq!(listed.len(), 5, "{} objects listed", listed.len());
    for object in &listed {
        assert!(outcome.ids.contains(&object.id), "{object:?}");
        let mut keys: Vec<String> = serde_json::to_value(object)
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        keys.sort();
        assert_eq!(keys, ["_id", "type"], "{object:?}");
    }
    let pulled: Vec<SpeckleObject> = streams
        .pull_objects(&sid, PullOptions::default())
        .await
        .unwrap()
        .map(|entry| entry.unwrap().into_object().unwrap())
        .collect()
        .await;
    assert_eq!(pulled.len(), 301);
    for (sent, got) in model.iter().zip(&pulled) {
        assert_eq!(got.kind, sent.kind);
        // Typed geometry, not raw JSON: the server writes 0.0 as 0.
        assert_eq!(got.geometry().unwrap(), sent.geometry().unwrap());
        if sent.properties.is_some() {
            assert_eq!(got.properties, sent.properties);
        }
    }

    let objects = alice.objects();
    let first_id = outcome.ids[0].clone().unwrap();
    let bulk = objects
        .get_bulk([first_id.clone(), ObjectId::new("5c0000000000000000000000")])
        .await
        .unwrap();
    assert_eq!(bulk[0].id.as_ref(), Some(&first_id));
    assert!(bulk[1].is_no_permission_stub());
    let single = objects
        .create([SpeckleObject::from(Point::new(-1.0, -1.0, -1.0))
            .with_properties(json!({"a": 1, "tag": id}))])
        .await
        .unwrap();
    let single_id = single[0].id.clone().unwrap();
    ledger.objects(&alice, [&single[0].id]);
    objects
        .update(
            &single_id,
            SpeckleObject {
                name: Some(Some("renamed".into())),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    objects
        .set_properties(&single_id, json!({"b": 2}).as_object().unwrap().clone())
        .await
        .unwrap();
    // The server answers the properties write before saving it: read until
    // it shows, within a deadline.
    let expected_properties = Some(Some(json!({"a": 1, "tag": id, "b": 2})));
    let (reader, single_ref, expected) = (&objects, &single_id, &expected_properties);
    let got = until("the properties write lands", || async move {
        let got = reader.get(single_ref).await.map_err(|e| e.to_string())?;
        if &got.properties == expected {
            Ok(got)
        } else {
            Err(format!("{:?}", got.properties))
        }
    })
    .await
    .unwrap();
    assert_eq!(got.name, Some(Some("renamed".into())));
    let derived = objects
        .derive([SpeckleObject::default()
            .with_id(single_id.clone())
            .with_properties(json!({"c": 3}))])
        .await
        .unwrap();
    let derived_ids: Vec<_> = derived.iter().map(|d| d.id.clone()).collect();
    ledger.objects(&alice, &derived_ids);
    assert_eq!(derived.len(), 1);
    let derived_object = objects.get(derived_ids[0].clone().unwrap()).await.unwrap();
    assert_eq!(
        derived_object.properties,
        Some(Some(json!({"a": 1, "tag": id, "b": 2, "c": 3}))),
        "a derived object merges its overrides into the original"
    );
    assert_ne!(derived_object.id.as_ref(), Some(&single_id));
    objects.delete(&single_id).await.unwrap();
    assert!(objects.get(&single_id).await.unwrap_err().is_not_found());

    // ---- versions: clone, diff, delta --------------------------------------
    let (clone, parent) = streams.clone(&sid, Some("version 2")).await.unwrap();
    let cid = clone.stream_id.clone().unwrap();
    ledger.stream(&alice, &cid);
    assert_eq!(clone.name.as_deref(), Some("version 2"));
    assert_eq!(clone.parent, Some(Some(sid.clone())));
    assert!(parent.children.unwrap().contains(&cid));
    let diff = streams.diff(&sid, &cid).await.unwrap();
    assert_eq!(diff.objects.unwrap().common.len(), 301);
    let delta = streams.delta(&sid, &cid).await.unwrap();
    assert_eq!(delta.success, Some(true));
    let extra = objects
        .create(
            [SpeckleObject::from(Point::new(7.0, 7.0, 7.0)).with_properties(json!({"tag": id}))],
        )
        .await
        .unwrap();
    let extra_ids: Vec<_> = extra.iter().map(|e| e.id.clone()).collect();
    ledger.objects(&alice, &extra_ids);
    let apply = Delta {
        created: Some(extra.clone()),
        deleted: Some(vec![]),
        revision_a: Some(speckle::types::Revision {
            id: Some(cid.to_string()),
            ..Default::default()
        }),
        revision_b: Some(speckle::types::Revision {
            id: Some(sid.to_string()),
            ..Default::default()
        }),
        ..Default::default()
    };
    streams.apply_delta(&cid, apply).await.unwrap();
    let applied = streams.get(&cid).await.unwrap();
    assert_eq!(applied.objects.unwrap().len(), 302);
    // Applying a delta first keeps the stream's state in a new clone.
    let saved_states = applied.children.unwrap_or_default();
    assert_eq!(saved_states.len(), 1, "{saved_states:?}");
    let saved_state = saved_states[0].clone();
    ledger.stream(&alice, &saved_state);
    let saved = streams.get(&saved_state).await.unwrap();
    assert_eq!(saved.name.as_deref(), Some("version 2 (clone)"));
    assert_eq!(
        saved.objects.unwrap().len(),
        301,
        "the state before the delta"
    );

    // Alice's streams, sorted by name, two per page, name and id only.
    let page = streams
        .list_with(
            Query::new()
                .fields(["name", "streamId"])
                .sort_desc("name")
                .limit(2),
        )
        .await
        .unwrap();
    let names: Vec<_> = page.iter().map(|s| s.name.as_deref()).collect();
    assert_eq!(names, [Some("version 2 (clone)"), Some("version 2")]);
    let ids: Vec<_> = page.iter().map(|s| s.stream_id.as_ref()).collect();
    assert_eq!(ids, [Some(&saved_state), Some(&cid)]);
    assert!(
        page.iter().all(|s| s.tags.is_none() && s.objects.is_none()),
        "the projection leaves out the other fields: {page:?}"
    );

    // ---- api clients -------------------------------------------------------
    let api_clients = alice.api_clients();
    let sender = api_clients
        .create(ApiClient {
            role: Some(ClientRole::Sender),
            stream_id: Some(sid.clone()),
            document_name: Some("day.gh".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let sender_id = sender.id.clone().unwrap();
    ledger.api_client(&alice, &sender_id);
    assert_eq!(
        api_clients
            .get(&sender_id)
            .await
            .unwrap()
            .document_name
            .as_deref(),
        Some("day.gh")
    );
    api_clients
        .update(
            &sender_id,
            ApiClient {
                online: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(api_clients
        .list()
        .await
        .unwrap()
        .iter()
        .any(|c| c.id.as_ref() == Some(&sender_id)));
    assert!(streams
        .list_clients(&sid)
        .await
        .unwrap()
        .iter()
        .any(|c| c.id.as_ref() == Some(&sender_id)));

    // ---- live: two sockets on the stream -----------------------------------
    let mut alice_socket = alice.websockets(&sid, sender_id.clone()).unwrap();
    let bob_socket = bob.websockets(&sid, format!("bob-socket-{id}")).unwrap();
    // Bob broadcasts only once the server has Alice in the stream's room.
    let alice_handle = alice_socket.handle().clone();
    wait_until_in_stream_room(&alice_handle, &mut alice_socket, &sid)
        .await
        .unwrap();
    bob_socket
        .handle()
        .broadcast_to_stream(&sid, json!({"eventType": "update-global", "run": id}))
        .unwrap();
    let received = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(event) = alice_socket.next().await {
            if let Event::Frame(Incoming::Broadcast(envelope)) = event {
                return Some(envelope);
            }
        }
        None
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(received.event_type(), Some("update-global"));
    alice_socket.handle().close();
    bob_socket.handle().close();

    // ---- projects and permissions ------------------------------------------
    let private = streams
        .create(Stream {
            name: Some(format!("private-{id}")),
            ..Default::default()
        })
        .await
        .unwrap();
    let pid_stream = private.stream_id.clone().unwrap();
    ledger.stream(&alice, &pid_stream);
    streams
        .update(
            &pid_stream,
            Stream {
                access: speckle::types::Access {
                    private: Some(true),
                    ..Default::default()
                },
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let refused = bob.streams().get(&pid_stream).await.unwrap_err();
    assert!(refused.is_forbidden(), "{refused}");
    let write_refused = bob
        .streams()
        .update(
            &sid,
            Stream {
                name: Some("hijack".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(write_refused.is_forbidden(), "{write_refused}");

    let projects = alice.projects();
    let project = projects
        .create(Project {
            name: Some(format!("project-{id}")),
            ..Default::default()
        })
        .await
        .unwrap();
    let project_id = project.id.clone().unwrap();
    ledger.project(&alice, &project_id);
    assert!(projects
        .list()
        .await
        .unwrap()
        .iter()
        .any(|p| p.id.as_ref() == Some(&project_id)));
    if let Some(all) = admin_route(
        is_admin,
        "list all projects",
        projects.list_all(Query::new()).await,
    ) {
        assert!(
            all.iter().any(|p| p.id.as_ref() == Some(&project_id)),
            "{all:?}"
        );
    }
    projects
        .update(
            &project_id,
            Project {
                description: Some("shared work".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    projects.add_stream(&project_id, &pid_stream).await.unwrap();
    projects.add_user(&project_id, &bob_id).await.unwrap();
    assert!(
        bob.streams().get(&pid_stream).await.is_ok(),
        "project members can read the project's streams"
    );
    // Listed with populated permissions, the writers are user summaries.
    let this_stream = Query::new().filter(Filter::eq("streamId", pid_stream.as_str()));
    let listed = streams
        .list_with(this_stream.clone().flag("populatePermissions"))
        .await
        .unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    let writers = listed[0].access.can_write.clone().unwrap_or_default();
    let populated: Vec<_> = writers
        .iter()
        .map(|w| match w {
            UserRef::Populated(user) => (user.id.clone(), user.name.clone(), user.surname.clone()),
            other => panic!("not populated: {other:?}"),
        })
        .collect();
    assert!(
        populated.contains(&(
            Some(bob_id.clone()),
            Some("Bob".into()),
            Some(format!("B{id}"))
        )),
        "{populated:?}"
    );
    assert!(
        populated
            .iter()
            .any(|(user, _, _)| user.as_ref() == Some(&alice_id)),
        "{populated:?}"
    );
    // Without the flag, the same lists are plain ids.
    let plain = streams.list_with(this_stream).await.unwrap();
    let plain_writers = plain[0].access.can_write.clone().unwrap_or_default();
    assert_eq!(plain_writers.len(), writers.len());
    assert!(
        plain_writers.iter().all(|w| matches!(w, UserRef::Id(_))),
        "{plain_writers:?}"
    );
    projects.downgrade_user(&project_id, &bob_id).await.unwrap();
    projects.upgrade_user(&project_id, &bob_id).await.unwrap();
    assert_eq!(
        projects
            .get(&project_id)
            .await
            .unwrap()
            .description
            .as_deref(),
        Some("shared work")
    );
    let mine = projects
        .list_with(Query::new().fields(["name"]))
        .await
        .unwrap();
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(mine[0].id.as_ref(), Some(&project_id));
    assert_eq!(mine[0].name, Some(format!("project-{id}")));
    assert_eq!(mine[0].description, None, "the projection leaves it out");
    projects.remove_user(&project_id, &bob_id).await.unwrap();
    assert!(bob
        .streams()
        .get(&pid_stream)
        .await
        .unwrap_err()
        .is_forbidden());
    projects
        .remove_stream(&project_id, &pid_stream)
        .await
        .unwrap();

    // ---- comments -----------------------------------------------------------
    let comment = streams
        .comment_create(
            &sid,
            Comment {
                text: Some("check the slab".into()),
                assigned_to: Some(vec![bob_id.clone().into()]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let comment_id = comment.id.clone().unwrap();
    ledger.comment(&alice, &comment_id);
    assert!(streams
        .comment_get(&sid)
        .await
        .unwrap()
        .iter()
        .any(|c| c.id.as_ref() == Some(&comment_id)));
    let on_object = objects
        .comment_create(
            &first_id,
            Comment {
                text: Some("this point".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    ledger.comment(&alice, on_object.id.as_ref().unwrap());
    assert_eq!(objects.comment_get(&first_id).await.unwrap().len(), 1);
    let on_project = projects
        .comment_create(
            &project_id,
            Comment {
                text: Some("kick-off".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    ledger.comment(&alice, on_project.id.as_ref().unwrap());
    assert_eq!(projects.comment_get(&project_id).await.unwrap().len(), 1);
    let comments = alice.comments();
    assert_eq!(
        comments.get(&comment_id).await.unwrap().text.as_deref(),
        Some("check the slab")
    );
    let edited = comments
        .update(
            &comment_id,
            Comment {
                closed: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(edited, vec!["closed".to_owned()]);
    // Alice's three comments, by text, text only.
    let sorted = comments
        .list_with(Query::new().fields(["text"]).sort_asc("text"))
        .await
        .unwrap();
    let texts: Vec<_> = sorted.iter().map(|c| c.text.as_deref()).collect();
    assert_eq!(
        texts,
        [Some("check the slab"), Some("kick-off"), Some("this point")]
    );
    assert!(
        sorted.iter().all(|c| c.assigned_to.is_none()),
        "the projection leaves out the other fields: {sorted:?}"
    );
    let newest_first = comments
        .list_with(Query::new().fields(["text"]).sort_desc("text").limit(1))
        .await
        .unwrap();
    assert_eq!(newest_first.len(), 1);
    assert_eq!(newest_first[0].text.as_deref(), Some("this point"));
    assert!(bob
        .comments()
        .get_assigned()
        .await
        .unwrap()
        .iter()
        .any(|c| c.id.as_ref() == Some(&comment_id)));
    let reply = comments
        .comment_create(
            &comment_id,
            Comment {
                text: Some("done".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    ledger.comment(&alice, reply.id.as_ref().unwrap());
    assert_eq!(comments.comment_get(&comment_id).await.unwrap().len(), 1);
    comments.delete(&comment_id).await.unwrap();

    // ---- bad tokens ---------------------------------------------------------
    let stranger = SpeckleClient::builder(target.url())
        .token("JWT not.a.token")
        .retry(RetryPolicy::never())
        .build()
        .unwrap();
    assert!(stranger
        .streams()
        .list()
        .await
        .unwrap_err()
        .is_unauthorized());

    // ---- evening: clean up ----------------------------------------------------
    api_clients.delete(&sender_id).await.unwrap();
    projects.delete(&project_id).await.unwrap();
    let deleted = streams.delete(&sid).await.unwrap();
    assert!(
        deleted.contains(&sid) && deleted.contains(&cid),
        "clones go with their parent: {deleted:?}"
    );
    assert!(streams.get(&sid).await.unwrap_err().is_not_found());
    assert!(streams.get(&cid).await.unwrap_err().is_not_found());
    // Only one level: the clone's own clone stays until deleted.
    streams.get(&saved_state).await.unwrap();
    let deleted_alone = streams.delete(&saved_state).await.unwrap();
    assert_eq!(deleted_alone, std::slice::from_ref(&saved_state));
    streams.delete(&pid_stream).await.unwrap();

    // ---- every route was used -------------------------------------------------
    let touched: Vec<String> = hits
        .lock()
        .unwrap()
        .iter()
        .map(|r| format!("{} {}", r.method, r.full_template()))
        .collect();
    let table = include_str!("../../fixtures/routes.tsv");
    let mut missing = Vec::new();
    for line in table.lines().skip(1).filter(|l| !l.is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let route = format!("{} {}", cols[1], cols[2]);
        if !touched.contains(&route) {
            missing.push(route);
        }
    }
    let mut distinct = touched.clone();
    distinct.sort();
    distinct.dedup();
    println!("the day touched {} of 52 routes", 52 - missing.len());
    assert!(missing.is_empty(), "routes the day never used: {missing:?}");

    let object_ids = outcome
        .ids
        .iter()
        .chain(&derived_ids)
        .chain(&extra_ids)
        .flatten()
        .cloned()
        .collect();
    DayLeftovers { alice, object_ids }
}
