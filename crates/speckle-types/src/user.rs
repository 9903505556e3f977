//! User accounts.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::common::{open_enum, Extra, Timestamps};
use crate::{Token, UserId};

open_enum!(
    /// A user's role. `admin` grants everything: every
    /// stream, project and admin route.
    Role {
        /// Server administrator.
        Admin = "admin",
        /// Regular user.
        User = "user",
    }
);

/// A user account, as returned by login, `GET /accounts`, the admin listing and
/// (with fewer fields) `GET /accounts/:id` and search.
///
/// Doubles as the body of `PUT /accounts` (profile update): only the fields
/// that are set are sent.
///
/// ```
/// use speckle_types::User;
/// let user: User = serde_json::from_str(r#"{"_id":"6b0c43a184c96928c7155336","name":"Alice","apitoken":"JWT x"}"#).unwrap();
/// assert_eq!(user.name.as_deref(), Some("Alice"));
/// assert!(!format!("{user:?}").contains("JWT x"));
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// The user's id.
    #[serde(rename = "_id", default, skip_serializing_if = "Option::is_none")]
    pub id: Option<UserId>,
    /// First name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Last name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surname: Option<String>,
    /// Email (lower-cased by the server). Hidden on other users' profiles unless
    /// the server exposes emails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Company.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    /// Avatar URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    /// Role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// The long-lived (2 years) api token. The websocket only accepts this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apitoken: Option<Token>,
    /// The 24-hour session token, present only on the login response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<Token>,
    /// Login history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logins: Option<Vec<LoginRecord>>,
    /// Unused by the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private: Option<bool>,
    /// Whether the email was verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
    /// Archived users cannot log in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived: Option<bool>,
    /// Third-party sign-in profiles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_profiles: Option<Value>,
    /// Creation/update times.
    #[serde(flatten)]
    pub timestamps: Timestamps,
    /// Keys this model does not know.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One entry of [`User::logins`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct LoginRecord {
    /// Epoch milliseconds (a number on the server, a string in the spec).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<Value>,
    /// Keys this model does not know.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The `resource` of `POST /accounts/register`: the two tokens and the email,
/// but no user id (so a login follows).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Registration {
    /// The 2-year api token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apitoken: Option<Token>,
    /// The 24-hour session token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<Token>,
    /// The registered email, lower-cased.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Keys this model does not know.
    #[serde(flatten)]
    pub extra: Extra,
}
