use speckle_http::endpoints::accounts::{
    AdminUpdateUser, AdminUserUpdate, GetProfile, GetUser, ListAllUsers, ProfileUpdate,
    SearchUsers, UpdateProfile,
};
use speckle_http::{execute, Client, EnvelopeExt};
use speckle_types::{Role, User, UserId};

use crate::Error;

/// `client.accounts()`: user profiles, search and user administration.
#[derive(Debug, Clone, Copy)]
pub struct Accounts<'a> {
    http: &'a Client,
}

impl<'a> Accounts<'a> {
    pub(crate) fn new(http: &'a Client) -> Self {
        Self { http }
    }

    /// `GET /accounts/:id`: another user's public profile.
    ///
    /// # Errors
    /// 400 when the user does not exist (the server's status for it).
    pub async fn get(&self, id: impl Into<UserId>) -> Result<User, Error> {
        execute(self.http, &GetUser::new(id)).await?.into_resource()
    }

    /// `GET /accounts`: the caller's own profile, api token included.
    ///
    /// # Errors
    /// 401 without a valid token.
    pub async fn get_profile(&self) -> Result<User, Error> {
        execute(self.http, &GetProfile::new())
            .await?
            .into_resource()
    }

    /// `PUT /accounts`: changes the caller's name, surname, company or email
    /// (only the fields set).
    ///
    /// # Errors
    /// 400 on a server failure.
    pub async fn update_profile(&self, update: ProfileUpdate) -> Result<(), Error> {
        execute(self.http, &UpdateProfile::new(update))
            .await
            .map(drop)
    }

    /// `POST /accounts/search`: up to 10 users matching name, surname or email
    /// (at least 3 characters).
    ///
    /// # Errors
    /// An input error for shorter texts, before sending.
    pub async fn search(&self, text: &str) -> Result<Vec<User>, Error> {
        execute(self.http, &SearchUsers::new(text))
            .await?
            .into_resources()
    }

    /// `GET /accounts/admin` (admin): every user.
    ///
    /// # Errors
    /// 401 `Only admins can access this route` for non-admins.
    pub async fn list_all(&self) -> Result<Vec<User>, Error> {
        execute(self.http, &ListAllUsers::new())
            .await?
            .into_resource()
    }

    /// `PUT /accounts/:id` (admin): overwrites name, surname, company, email,
    /// role and archived.
    ///
    /// # Errors
    /// 401 for non-admins; 400 on a server failure.
    pub async fn admin_update(
        &self,
        id: impl Into<UserId>,
        update: AdminUserUpdate,
    ) -> Result<(), Error> {
        execute(self.http, &AdminUpdateUser::new(id, update))
            .await
            .map(drop)
    }

    /// Sets a user's role (admin). The server's route overwrites six fields
    /// at once, so the user's current values are read from the admin listing
    /// first and sent back unchanged with the new role (the Python client sends
    /// only the role and always gets a 400). No single request can do it:
    /// `GET /accounts/:userId` returns neither `role` nor (by default)
    /// `email`, both of which the update must send.
    ///
    /// # Errors
    /// 401 for non-admins; a not-found error when no user has this id.
    pub async fn set_role(&self, id: impl Into<UserId>, role: Role) -> Result<(), Error> {
        let id = id.into();
        let users = self.list_all().await?;
        let user = users
            .iter()
            .find(|u| u.id.as_ref() == Some(&id))
            .ok_or_else(|| {
                Error::new(speckle_http::ErrorKind::NotFound(format!(
                    "no user with id {id}"
                )))
            })?;
        let mut update = AdminUserUpdate::from_user(user);
        update.role = role;
        self.admin_update(id, update).await
    }
}
