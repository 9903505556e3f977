//! `PermissionCheck(user, operation, resource, modKeys)`.
//!
//! Rejections carry the real server's messages; each route then maps them
//! to a status (many test whether the message contains "authorised").

use crate::json::{Json, Map};
use crate::model::id_list;

/// The operation being checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Read,
    Write,
    Delete,
    Comment,
}

impl Op {
    fn word(self) -> &'static str {
        match self {
            Op::Read => "read",
            Op::Write => "write",
            Op::Delete => "delete",
            Op::Comment => "comment",
        }
    }
}

/// Who asks: the user's id and role, or a guest.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Actor<'a> {
    pub(crate) id: &'a str,
    /// `None` when the caller is a bare `{_id}` (the websocket's legacy
    /// join), so the admin role is not seen.
    pub(crate) role: Option<&'a str>,
}

impl<'a> Actor<'a> {
    pub(crate) const GUEST: Actor<'static> = Actor {
        id: "",
        role: Some("guest"),
    };

    /// The actor for an optional user document.
    pub(crate) fn of(user: Option<&'a Map>) -> Actor<'a> {
        match user {
            None => Actor::GUEST,
            Some(u) => Actor {
                id: u.get("_id").and_then(Json::as_str).unwrap_or_default(),
                role: u.get("role").and_then(Json::as_str),
            },
        }
    }

    fn is_admin(&self) -> bool {
        self.role == Some("admin")
    }
}

/// What kind of document is checked (User documents have their own rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    User,
    Other,
}

/// A rejection, worded as the real server's `Error`/`TypeError`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Denied {
    pub(crate) message: String,
    /// `TypeError` (a crash inside the check) rather than `Error`.
    pub(crate) type_error: bool,
}

impl Denied {
    fn error(message: impl Into<String>) -> Denied {
        Denied {
            message: message.into(),
            type_error: false,
        }
    }

    /// The common `err.message.indexOf('authorised') >= 0 ? 401 : 404`.
    pub(crate) fn status_401_or_404(&self) -> u16 {
        if self.message.contains("authorised") {
            401
        } else {
            404
        }
    }
}

/// Fields nobody but the owner or an admin may send in an update.
const PROTECTED: [&str; 2] = ["owner", "email"];

/// Runs the check; `Ok` means allowed.
pub(crate) fn check(
    actor: Actor<'_>,
    op: Op,
    resource: Option<&Map>,
    kind: Kind,
    mod_keys: Option<&[String]>,
) -> Result<(), Denied> {
    let Some(res) = resource else {
        return Err(Denied::error("Resource not found."));
    };
    let res_id = res.get("_id").and_then(Json::as_str).unwrap_or_default();
    if kind == Kind::User {
        if actor.is_admin() || actor.id == res_id {
            return Ok(());
        }
        return Err(Denied::error("Not authorised"));
    }
    if actor.is_admin() {
        return Ok(());
    }
    match res.get("owner") {
        Some(Json::Str(owner)) if owner == actor.id => return Ok(()),
        Some(Json::Str(_)) => {}
        Some(Json::Obj(m)) if m.get("_id").and_then(Json::as_str) == Some(actor.id) => {
            return Ok(())
        }
        Some(Json::Obj(_)) => {}
        other => {
            let what = if matches!(other, Some(Json::Null)) {
                "null"
            } else {
                "undefined"
            };
            return Err(Denied {
                message: format!("Cannot read properties of {what} (reading 'toString')"),
                type_error: true,
            });
        }
    }
    if let Some(keys) = mod_keys {
        if let Some(k) = keys.iter().find(|k| PROTECTED.contains(&k.as_str())) {
            return Err(Denied::error(format!(
                "Protected field, you are not authorised to edit {k}."
            )));
        }
    }
    if !matches!(res.get("canRead"), Some(Json::Arr(_)))
        || !matches!(res.get("canWrite"), Some(Json::Arr(_)))
    {
        // Comments have no member lists: the check crashes on them.
        return Err(Denied {
            message: "Cannot read properties of undefined (reading 'filter')".into(),
            type_error: true,
        });
    }
    let can_read = id_list(res, "canRead");
    let can_write = id_list(res, "canWrite");
    let member = |list: &[String]| list.iter().any(|id| id == actor.id);
    let public = matches!(res.get("private"), Some(Json::Bool(false)));
    let ok = match op {
        Op::Write => member(&can_write),
        Op::Read => public || member(&can_write) || member(&can_read),
        Op::Comment => {
            (public && matches!(res.get("anonymousComments"), Some(Json::Bool(true))))
                || member(&can_write)
                || member(&can_read)
        }
        Op::Delete => return Err(Denied::error("You do not own the stream.")),
    };
    if ok {
        Ok(())
    } else {
        Err(Denied::error(format!(
            "You are not authorised to {}.",
            op.word()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    fn res(s: &str) -> Map {
        parse(s.as_bytes()).unwrap().as_obj().unwrap().clone()
    }
    const OWNER: Actor<'static> = Actor {
        id: "owner",
        role: Some("user"),
    };
    const OTHER: Actor<'static> = Actor {
        id: "other",
        role: Some("user"),
    };
    const ADMIN: Actor<'static> = Actor {
        id: "admin",
        role: Some("admin"),
    };

    fn msg(r: Result<(), Denied>) -> String {
        r.map(|_| "ok".to_string()).unwrap_or_else(|d| d.message)
    }

    #[test]
    fn missing_resource() {
        assert_eq!(
            msg(check(OWNER, Op::Read, None, Kind::Other, None)),
            "Resource not found."
        );
    }

    #[test]
    fn owner_and_admin_pass_everything() {
        let r = res(r#"{"_id":"r","owner":"owner","private":true,"canRead":[],"canWrite":[]}"#);
        for op in [Op::Read, Op::Write, Op::Delete, Op::Comment] {
            assert!(check(OWNER, op, Some(&r), Kind::Other, Some(&["owner".into()])).is_ok());
            assert!(check(ADMIN, op, Some(&r), Kind::Other, None).is_ok());
        }
    }

    #[test]
    fn members_public_and_guests() {
        let private = res(
            r#"{"_id":"r","owner":"owner","private":true,"canRead":["other"],"canWrite":[null]}"#,
        );
        assert!(check(OTHER, Op::Read, Some(&private), Kind::Other, None).is_ok());
        assert_eq!(
            msg(check(OTHER, Op::Write, Some(&private), Kind::Other, None)),
            "You are not authorised to write."
        );
        assert_eq!(
            msg(check(
                Actor::GUEST,
                Op::Read,
                Some(&private),
                Kind::Other,
                None
            )),
            "You are not authorised to read."
        );
        assert_eq!(
            msg(check(OTHER, Op::Delete, Some(&private), Kind::Other, None)),
            "You do not own the stream."
        );
        let public = res(
            r#"{"_id":"r","owner":"owner","private":false,"canRead":[],"canWrite":[],"anonymousComments":false}"#,
        );
        assert!(check(Actor::GUEST, Op::Read, Some(&public), Kind::Other, None).is_ok());
        assert_eq!(
            msg(check(
                Actor::GUEST,
                Op::Comment,
                Some(&public),
                Kind::Other,
                None
            )),
            "You are not authorised to comment."
        );
        let open = res(
            r#"{"_id":"r","owner":"owner","private":false,"canRead":[],"canWrite":[],"anonymousComments":true}"#,
        );
        assert!(check(Actor::GUEST, Op::Comment, Some(&open), Kind::Other, None).is_ok());
    }

    #[test]
    fn protected_fields_and_statuses() {
        let r =
            res(r#"{"_id":"r","owner":"owner","private":false,"canRead":[],"canWrite":["other"]}"#);
        let d = check(
            OTHER,
            Op::Write,
            Some(&r),
            Kind::Other,
            Some(&["owner".into()]),
        )
        .unwrap_err();
        assert_eq!(
            d.message,
            "Protected field, you are not authorised to edit owner."
        );
        assert_eq!(d.status_401_or_404(), 401);
        assert!(check(
            OTHER,
            Op::Write,
            Some(&r),
            Kind::Other,
            Some(&["private".into()])
        )
        .is_ok());
        let nf = check(OTHER, Op::Read, None, Kind::Other, None).unwrap_err();
        assert_eq!(nf.status_401_or_404(), 404);
        assert_eq!(nf.message, "Resource not found.");
    }

    #[test]
    fn comments_crash_for_non_owners_and_users_are_private() {
        let c = res(r#"{"_id":"c","owner":"owner","text":"x"}"#);
        let d = check(OTHER, Op::Read, Some(&c), Kind::Other, None).unwrap_err();
        assert!(d.type_error);
        assert_eq!(d.status_401_or_404(), 404);
        let anon = res(r#"{"_id":"c","owner":null,"text":"x"}"#);
        assert!(
            check(OTHER, Op::Read, Some(&anon), Kind::Other, None)
                .unwrap_err()
                .type_error
        );
        let u = res(r#"{"_id":"other"}"#);
        assert!(check(OTHER, Op::Read, Some(&u), Kind::User, None).is_ok());
        assert_eq!(
            msg(check(OWNER, Op::Read, Some(&u), Kind::User, None)),
            "Not authorised"
        );
        // The websocket's legacy join passes a bare {_id}: no admin role.
        let p = res(r#"{"_id":"r","owner":"owner","private":true,"canRead":[],"canWrite":[]}"#);
        let bare_admin = Actor {
            id: "admin",
            role: None,
        };
        assert!(check(bare_admin, Op::Read, Some(&p), Kind::Other, None).is_err());
    }
}
