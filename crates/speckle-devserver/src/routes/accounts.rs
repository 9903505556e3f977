//! `/accounts`: register, login, profiles, admin user management, search.

use super::{by_id, into_map, success, Fail};
use crate::auth;
use crate::db::{Coll, Db};
use crate::http::{Ctx, Reply};
use crate::ids;
use crate::json::{Json, Map};
use crate::model::{self, hydrated, Model};

/// mongoose's `match: /\S+@\S+\.\S+/`.
fn email_ok(email: &str) -> bool {
    static RE: std::sync::OnceLock<Option<regex_lite::Regex>> = std::sync::OnceLock::new();
    RE.get_or_init(|| regex_lite::Regex::new(r"\S+@\S+\.\S+").ok())
        .as_ref()
        .is_some_and(|re| re.is_match(email))
}

fn string_field(body: &Map, key: &str) -> Option<String> {
    body.get(key).filter(|v| v.truthy()).map(Json::js_string)
}

/// The profile a user sees of themself: the document without password.
fn own_profile(user: &Map) -> Json {
    Json::Obj(hydrated(Model::User, user))
}

/// POST /accounts/register
pub(crate) fn register(db: &mut Db, ctx: &Ctx) -> Reply {
    if !ctx.settings.public_registration {
        return Reply::fail(401, "This is an invite only speckle server. Sorry!");
    }
    let body = ctx.body_obj();
    let Some(email) = string_field(&body, "email") else {
        return Reply::fail(400, "Do not fuck with us. Give us your email.");
    };
    let Some(password) = string_field(&body, "password") else {
        return Reply::fail(400, "Passwords are a necessary evil, fam.");
    };
    match register_user(db, ctx, &body, email.to_lowercase(), &password) {
        Ok(reply) => reply,
        Err(f) => Reply::fail(400, f.message()),
    }
}

fn register_user(
    db: &Db,
    ctx: &Ctx,
    body: &Map,
    email: String,
    password: &str,
) -> Result<Reply, Fail> {
    if db.email_taken(&email)? {
        return Ok(Reply::fail(400, "Email taken. Please login. Thanks!"));
    }
    let mut fields = Map::new();
    fields.insert(
        "name".into(),
        Json::Str(string_field(body, "name").unwrap_or_else(|| "Anonymous".into())),
    );
    fields.insert(
        "surname".into(),
        Json::Str(string_field(body, "surname").unwrap_or_default()),
    );
    fields.insert("email".into(), Json::Str(email.clone()));
    if let Some(company) = body.get("company") {
        fields.insert("company".into(), company.clone());
    }
    let (mut doc, invalid) = model::new_doc(Model::User, &fields, true);
    if !email_ok(&email) {
        return Err(Fail::error(format!(
            "User validation failed: email: {email} much email wow error"
        )));
    }
    if !invalid.is_empty() {
        return Err(Fail::error(invalid.message(Model::User)));
    }
    if password.chars().count() < 8 {
        return Err(Fail::error("Password too short."));
    }
    if db.user_count()? == 0 {
        doc.insert("role".into(), Json::str("admin"));
    }
    let id = super::str_of(&doc, "_id").to_string();
    let secret = ctx.settings.jwt_secret.expose();
    let apitoken = auth::sign(secret, &id, None, auth::APITOKEN_SECS);
    doc.insert("apitoken".into(), Json::Str(apitoken.clone()));
    model::finish_new(&mut doc);
    if !db.insert_user(&doc, &auth::hash_password(password))? {
        // Lost a race with a concurrent registration of the same e-mail.
        return Ok(Reply::fail(400, "Email taken. Please login. Thanks!"));
    }
    let name = super::str_of(&doc, "name");
    let token = auth::sign(secret, &id, Some(name), auth::SESSION_SECS);
    let mut resource = Map::new();
    resource.insert("apitoken".into(), Json::Str(apitoken));
    resource.insert("token".into(), Json::Str(token));
    resource.insert("email".into(), Json::Str(email));
    Ok(success(vec![
        ("message", Json::str("User saved. Redirect to login.")),
        ("resource", Json::Obj(resource)),
    ]))
}

/// POST /accounts/login
pub(crate) fn login(db: &mut Db, ctx: &Ctx) -> Reply {
    let body = ctx.body_obj();
    let (Some(email), Some(password)) = (
        body.get("email").filter(|v| v.truthy()),
        body.get("password").filter(|v| v.truthy()),
    ) else {
        return Reply::fail(401, "Invalid credentials.");
    };
    // A non-string e-mail makes `.toLowerCase()` throw; the handler then
    // sends the Error object itself, which serialises as `{}`.
    let (Json::Str(email), Json::Str(password)) = (email, password) else {
        return Reply::fail(401, Json::obj());
    };
    let found = match db.user_by_email(&email.to_lowercase()) {
        Ok(f) => f,
        Err(e) => return Reply::db_error(&e),
    };
    let Some((Json::Obj(mut user), hash)) = found else {
        return Reply::fail(401, Json::obj());
    };
    if !auth::check_password(password, &hash) {
        return Reply::fail(401, "Invalid credentials.");
    }
    if matches!(user.get("archived"), Some(Json::Bool(true))) {
        return Reply::fail(403, "This user is archived.");
    }
    let mut login = Map::new();
    login.insert("date".into(), Json::Num(ids::now_ms() as f64));
    if let Some(Json::Arr(logins)) = user.get_mut("logins") {
        logins.push(Json::Obj(login));
    } else {
        user.insert("logins".into(), Json::Arr(vec![Json::Obj(login)]));
    }
    // The answer is built from the document as it was before `save()`
    // resolved: the new login is there, `updatedAt` and `__v` are not.
    let mut resource = hydrated(Model::User, &user);
    model::touch(&mut user, true);
    if let Err(e) = db.update(Coll::Users, &user) {
        return Reply::db_error(&e);
    }
    let id = super::str_of(&user, "_id").to_string();
    let name = super::str_of(&user, "name").to_string();
    let token = auth::sign(
        ctx.settings.jwt_secret.expose(),
        &id,
        Some(&name),
        auth::SESSION_SECS,
    );
    resource.insert("token".into(), Json::Str(token));
    success(vec![
        ("message", Json::str("You have logged in.")),
        ("resource", Json::Obj(resource)),
    ])
}

fn me(ctx: &Ctx) -> Map {
    ctx.user.clone().unwrap_or_default()
}

/// GET /accounts
pub(crate) fn profile(_db: &mut Db, ctx: &Ctx) -> Reply {
    success(vec![("resource", own_profile(&me(ctx)))])
}

/// GET /accounts/admin — note the array is under `resource`.
pub(crate) fn admin_list(db: &mut Db, _ctx: &Ctx) -> Reply {
    match db.all(Coll::Users) {
        Ok(users) => {
            let list = users
                .into_iter()
                .filter_map(into_map)
                .map(|u| own_profile(&u))
                .collect();
            success(vec![("resource", Json::Arr(list))])
        }
        Err(e) => Reply::fail(400, format!("Error: {e}")),
    }
}

fn apply_profile(db: &Db, user: &mut Map, body: &Map, keys: &[&str]) -> Result<(), Fail> {
    let mut invalid = model::Invalid::default();
    for key in keys {
        let Some(v) = body.get(*key) else { continue };
        match model::cast(Model::User, key, v) {
            Ok(mut cv) => {
                if *key == "email" {
                    if let Json::Str(s) = &cv {
                        let lower = s.to_lowercase();
                        if !email_ok(&lower) {
                            return Err(Fail::validation(format!(
                                "User validation failed: email: {lower} much email wow error"
                            )));
                        }
                        let mine = user.get("email").and_then(Json::as_str) == Some(lower.as_str());
                        if !mine && db.email_taken(&lower)? {
                            return Err(Fail::Js {
                                name: "MongoError",
                                message: format!(
                                    "E11000 duplicate key error collection: speckle.users index: email_1 dup key: {{ email: \"{lower}\" }}"
                                ),
                            });
                        }
                        cv = Json::Str(lower);
                    }
                }
                user.insert((*key).to_string(), cv);
            }
            Err(e) => invalid.errors.push(e),
        }
    }
    if !invalid.is_empty() {
        return Err(Fail::validation(invalid.message(Model::User)));
    }
    Ok(())
}

fn save_user(db: &Db, before: &Map, user: &mut Map) -> Result<(), Fail> {
    if before != user {
        model::touch(user, false);
        db.update(Coll::Users, user)?;
    }
    Ok(())
}

/// PUT /accounts — only truthy name, surname, company, email are applied.
pub(crate) fn update_profile(db: &mut Db, ctx: &Ctx) -> Reply {
    let body = ctx.body_obj();
    let truthy: Map = body
        .iter()
        .filter(|(k, v)| {
            ["name", "surname", "company", "email"].contains(&k.as_str()) && v.truthy()
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let before = me(ctx);
    let mut user = before.clone();
    let result = apply_profile(
        db,
        &mut user,
        &truthy,
        &["name", "surname", "company", "email"],
    )
    .and_then(|()| save_user(db, &before, &mut user));
    match result {
        Ok(()) => success(vec![("message", Json::str("User profile updated."))]),
        Err(f) => Reply::fail(400, f.text()),
    }
}

/// GET /accounts/:userId — a display profile.
pub(crate) fn get_user(db: &mut Db, ctx: &Ctx) -> Reply {
    let found = match by_id(db, Model::User, ctx.param(0)) {
        Ok(f) => f,
        Err(f) => return Reply::fail(400, f.text()),
    };
    let Some(user) = found else {
        return Reply::fail(400, "Error: no users found.");
    };
    let mut keys = vec!["name", "surname", "archived", "_id"];
    if ctx.settings.expose_emails {
        keys.push("email");
    }
    keys.push("company");
    let h = hydrated(Model::User, &user);
    let resource: Map = h
        .into_iter()
        .filter(|(k, _)| keys.contains(&k.as_str()))
        .collect();
    success(vec![("resource", Json::Obj(resource))])
}

/// PUT /accounts/:userId (admin) — all six fields are required.
pub(crate) fn admin_update(db: &mut Db, ctx: &Ctx) -> Reply {
    const FIELDS: [&str; 6] = ["name", "surname", "company", "email", "role", "archived"];
    let body = ctx.body_obj();
    if FIELDS
        .iter()
        .any(|k| matches!(body.get(*k), None | Some(Json::Null)))
    {
        return Reply::fail(400, "Error: Request body is missing required field");
    }
    let result = (|| {
        let before =
            by_id(db, Model::User, ctx.param(0))?.ok_or_else(|| Fail::error("no users found."))?;
        let mut user = before.clone();
        apply_profile(db, &mut user, &body, &FIELDS)?;
        save_user(db, &before, &mut user)
    })();
    match result {
        Ok(()) => success(vec![("message", Json::str("User profile updated."))]),
        Err(f) => Reply::fail(400, f.text()),
    }
}

/// POST /accounts/search — name, surname (and e-mail when e-mails are
/// exposed), case-insensitive, at most 10.
pub(crate) fn search(db: &mut Db, ctx: &Ctx) -> Reply {
    let body = ctx.body_obj();
    let needle = match body.get("searchString") {
        Some(v) if v.truthy() && v.js_string().chars().count() >= 3 => v.js_string().to_lowercase(),
        _ => {
            return Reply::fail(
                400,
                "no search criteria present, or too short search string (must be > 2).",
            )
        }
    };
    let users = match db.all(Coll::Users) {
        Ok(u) => u,
        Err(e) => return Reply::fail(400, format!("Error: {e}")),
    };
    let expose = ctx.settings.expose_emails;
    let hit = |u: &Map, key: &str| {
        u.get(key)
            .and_then(Json::as_str)
            .is_some_and(|s| s.to_lowercase().contains(&needle))
    };
    let list: Vec<Json> = users
        .into_iter()
        .filter_map(into_map)
        .filter(|u| hit(u, "name") || hit(u, "surname") || (expose && hit(u, "email")))
        .take(10)
        .map(|u| {
            let h = hydrated(Model::User, &u);
            let keep = |k: &str| {
                matches!(k, "_id" | "name" | "surname" | "company") || (expose && k == "email")
            };
            Json::Obj(h.into_iter().filter(|(k, _)| keep(k)).collect())
        })
        .collect();
    success(vec![("resources", Json::Arr(list))])
}

#[cfg(test)]
mod tests {
    use super::email_ok;

    #[test]
    fn email_pattern() {
        assert!(email_ok("a@b.c"));
        assert!(email_ok("alice1795965856@example.com"));
        assert!(!email_ok("notanemail"));
        assert!(!email_ok("a@b"));
        assert!(!email_ok("@b.c"));
    }
}
