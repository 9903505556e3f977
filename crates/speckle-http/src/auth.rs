//! Register, login and token login: the flows that fill the client's
//! session.

use speckle_types::{Envelope, User};

use crate::endpoints::accounts::{GetProfile, Login, Register};
use crate::{execute, missing, Client, Error};

impl Client {
    /// Registers a user, then logs in (the register answer carries no user
    /// id), and keeps both tokens. Returns the logged-in user.
    ///
    /// # Errors
    /// The server's 400s (`Email taken. Please login. Thanks!`, `Password too
    /// short.` …) or 401 on invite-only servers.
    ///
    /// ```no_run
    /// # async fn demo(client: speckle_http::Client) -> Result<(), speckle_http::Error> {
    /// use speckle_http::endpoints::accounts::Register;
    /// let me = client.register(Register::new("bob@example.com", "correct-horse-battery").name("Bob")).await?;
    /// assert_eq!(client.user_id(), me.id);
    /// # Ok(()) }
    /// ```
    pub async fn register(&self, registration: Register) -> Result<User, Error> {
        let registered = execute(self, &registration).await?;
        if let Some(resource) = &registered.resource {
            self.remember(resource.token.as_ref(), resource.apitoken.as_ref(), None);
        }
        let login = Login::from_secret(registration.email(), registration.password());
        self.finish_login(execute(self, &login).await?)
    }

    /// Logs in with email and password; the session token (24 h) is then sent
    /// on every request and the api token (2 years) kept for websockets.
    ///
    /// # Errors
    /// 401 `Invalid credentials.` (the server answers an unknown email with
    /// the message `{}`), 403 for archived users.
    pub async fn login(&self, email: &str, password: &str) -> Result<User, Error> {
        self.finish_login(execute(self, &Login::new(email, password)).await?)
    }

    fn finish_login(&self, envelope: Envelope<User>) -> Result<User, Error> {
        let user = envelope.resource.ok_or_else(|| missing("resource"))?;
        if user.token.is_none() {
            return Err(missing("resource.token"));
        }
        self.remember(
            user.token.as_ref(),
            user.apitoken.as_ref(),
            user.id.as_ref(),
        );
        Ok(user)
    }

    /// Uses an existing token (`JWT …` or bare; an api token or a connector's
    /// session token) and fetches the profile, so the user id and the api
    /// token are known afterwards (the Python client leaves its `me['id']`
    /// empty).
    ///
    /// # Errors
    /// 401 `Unauthorized` when the token is invalid or expired; the previous
    /// session is restored then.
    pub async fn login_with_token(&self, token: &str) -> Result<User, Error> {
        let previous = (self.token(), self.apitoken(), self.user_id());
        self.set_token(Some(token));
        match execute(self, &GetProfile::new()).await {
            Ok(envelope) => {
                let user = envelope.resource.ok_or_else(|| missing("resource"))?;
                self.remember(None, user.apitoken.as_ref(), user.id.as_ref());
                Ok(user)
            }
            Err(error) => {
                self.logout();
                let (token, apitoken, user_id) = previous;
                self.remember(
                    token
                        .map(|t| speckle_types::Token::new(crate::client::expose(&t)))
                        .as_ref(),
                    apitoken
                        .map(|t| speckle_types::Token::new(crate::client::expose(&t)))
                        .as_ref(),
                    user_id.as_ref(),
                );
                Err(error)
            }
        }
    }
}
