//! `/accounts…`: registration, login, profiles, search and user admin.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use speckle_types::{Envelope, Registration, Role, User, UserId};

use super::MessageResponse;
use crate::endpoint::{json_body, AuthMode, Endpoint, Method, Route};
use crate::Error;

/// `POST /accounts/register`: creates a user and returns its two tokens (no
/// id: log in next, as [`Client::register`](crate::Client::register) does).
#[must_use = "endpoints do nothing until executed"]
pub struct Register {
    email: String,
    password: SecretString,
    name: Option<String>,
    surname: Option<String>,
    company: Option<String>,
}

impl fmt::Debug for Register {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Register")
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .field("name", &self.name)
            .field("surname", &self.surname)
            .field("company", &self.company)
            .finish()
    }
}

impl Register {
    /// A registration with the required email and password (≥ 8 characters).
    pub fn new(email: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            email: email.into(),
            password: SecretString::from(password.into()),
            name: None,
            surname: None,
            company: None,
        }
    }
    /// First name (the server defaults to `Anonymous`).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
    /// Last name.
    pub fn surname(mut self, surname: impl Into<String>) -> Self {
        self.surname = Some(surname.into());
        self
    }
    /// Company.
    pub fn company(mut self, company: impl Into<String>) -> Self {
        self.company = Some(company.into());
        self
    }
    pub(crate) fn email(&self) -> &str {
        &self.email
    }
    pub(crate) fn password(&self) -> &SecretString {
        &self.password
    }
}

#[derive(Serialize)]
struct Credentials<'a> {
    email: &'a str,
    password: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    surname: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    company: Option<&'a str>,
}

impl Endpoint for Register {
    type Response = Envelope<Registration>;
    const ROUTE: Route = Route::api(Method::Post, "/accounts/register", AuthMode::None);
    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        json_body(&Credentials {
            email: &self.email,
            password: self.password.expose_secret(),
            name: self.name.as_deref(),
            surname: self.surname.as_deref(),
            company: self.company.as_deref(),
        })
    }
}

/// `POST /accounts/login`: returns the user document with a 24-hour
/// session `token` (and the `apitoken`).
#[must_use = "endpoints do nothing until executed"]
pub struct Login {
    email: String,
    password: SecretString,
}

impl fmt::Debug for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Login")
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .finish()
    }
}

impl Login {
    /// A login.
    pub fn new(email: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            email: email.into(),
            password: SecretString::from(password.into()),
        }
    }
    pub(crate) fn from_secret(email: &str, password: &SecretString) -> Self {
        Self {
            email: email.to_owned(),
            password: password.clone(),
        }
    }
}

impl Endpoint for Login {
    type Response = Envelope<User>;
    const ROUTE: Route = Route::api(Method::Post, "/accounts/login", AuthMode::None);
    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        json_body(&Credentials {
            email: &self.email,
            password: self.password.expose_secret(),
            name: None,
            surname: None,
            company: None,
        })
    }
}

/// `GET /accounts`: the caller's own user document, `apitoken` included.
#[derive(Debug, Clone, Default)]
#[must_use = "endpoints do nothing until executed"]
pub struct GetProfile;

impl GetProfile {
    /// The request.
    pub fn new() -> Self {
        Self
    }
}

impl Endpoint for GetProfile {
    type Response = Envelope<User>;
    const ROUTE: Route = Route::api(Method::Get, "/accounts", AuthMode::Token);
}

/// `GET /accounts/admin` (admin only): every user. The list is under
/// `resource`, not `resources`.
#[derive(Debug, Clone, Default)]
#[must_use = "endpoints do nothing until executed"]
pub struct ListAllUsers;

impl ListAllUsers {
    /// The request.
    pub fn new() -> Self {
        Self
    }
}

impl Endpoint for ListAllUsers {
    type Response = Envelope<Vec<User>>;
    const ROUTE: Route = Route::api(Method::Get, "/accounts/admin", AuthMode::Admin);
}

/// The fields a user may change on their own profile.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ProfileUpdate {
    /// First name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Last name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub surname: Option<String>,
    /// Company.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    /// Email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// `PUT /accounts`: updates the caller's profile. Only the fields set are
/// sent; the server ignores empty values, `role` and `password`.
#[derive(Debug, Clone)]
#[must_use = "endpoints do nothing until executed"]
pub struct UpdateProfile {
    update: ProfileUpdate,
}

impl UpdateProfile {
    /// The update.
    pub fn new(update: ProfileUpdate) -> Self {
        Self { update }
    }
}

impl Endpoint for UpdateProfile {
    type Response = MessageResponse;
    const ROUTE: Route = Route::api(Method::Put, "/accounts", AuthMode::Token);
    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        json_body(&self.update)
    }
}

/// `GET /accounts/:userId`: another user's public profile (`_id, name,
/// surname, company, archived`; `email` only if the server exposes emails).
#[derive(Debug, Clone)]
#[must_use = "endpoints do nothing until executed"]
pub struct GetUser {
    id: UserId,
}

impl GetUser {
    /// The request.
    pub fn new(id: impl Into<UserId>) -> Self {
        Self { id: id.into() }
    }
}

impl Endpoint for GetUser {
    type Response = Envelope<User>;
    const ROUTE: Route = Route::api(Method::Get, "/accounts/:userId", AuthMode::Token);
    fn path_params(&self) -> Vec<&str> {
        vec![self.id.as_str()]
    }
}

/// The body of [`AdminUpdateUser`]. The server requires **all six** fields and
/// overwrites them, so they are all mandatory here (the Python client's
/// `set_role` sends only `role` and always fails).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AdminUserUpdate {
    /// First name.
    pub name: String,
    /// Last name.
    pub surname: String,
    /// Company.
    pub company: String,
    /// Email.
    pub email: String,
    /// Role.
    pub role: Role,
    /// Archived users cannot log in.
    pub archived: bool,
}

impl AdminUserUpdate {
    /// The current values of `user` (as listed by [`ListAllUsers`]), for
    /// changing one of them. Missing values become empty strings / `user` /
    /// `false`.
    pub fn from_user(user: &User) -> Self {
        Self {
            name: user.name.clone().unwrap_or_default(),
            surname: user.surname.clone().unwrap_or_default(),
            company: user.company.clone().unwrap_or_default(),
            email: user.email.clone().unwrap_or_default(),
            role: user.role.clone().unwrap_or(Role::User),
            archived: user.archived.unwrap_or(false),
        }
    }
}

/// `PUT /accounts/:userId` (admin only): overwrites a user's name, surname,
/// company, email, role and archived flag.
#[derive(Debug, Clone)]
#[must_use = "endpoints do nothing until executed"]
pub struct AdminUpdateUser {
    id: UserId,
    update: AdminUserUpdate,
}

impl AdminUpdateUser {
    /// The request.
    pub fn new(id: impl Into<UserId>, update: AdminUserUpdate) -> Self {
        Self {
            id: id.into(),
            update,
        }
    }
}

impl Endpoint for AdminUpdateUser {
    type Response = MessageResponse;
    const ROUTE: Route = Route::api(Method::Put, "/accounts/:userId", AuthMode::Admin);
    fn path_params(&self) -> Vec<&str> {
        vec![self.id.as_str()]
    }
    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        if self.update.email.trim().is_empty() {
            return Err(Error::invalid_input(
                "the server overwrites the email: it must not be empty",
            ));
        }
        json_body(&self.update)
    }
}

/// `POST /accounts/search`: up to 10 users whose name, surname or email
/// contains the text (case-insensitive, at least 3 characters).
#[derive(Debug, Clone)]
#[must_use = "endpoints do nothing until executed"]
pub struct SearchUsers {
    search_string: String,
}

impl SearchUsers {
    /// The request.
    pub fn new(search_string: impl Into<String>) -> Self {
        Self {
            search_string: search_string.into(),
        }
    }
}

impl Endpoint for SearchUsers {
    type Response = Envelope<User>;
    const ROUTE: Route = Route::api(Method::Post, "/accounts/search", AuthMode::Token);
    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        if self.search_string.chars().count() < 3 {
            return Err(Error::invalid_input(
                "the search string must have at least 3 characters",
            ));
        }
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Body<'a> {
            search_string: &'a str,
        }
        json_body(&Body {
            search_string: &self.search_string,
        })
    }
    fn idempotent(&self) -> bool {
        true
    }
}
