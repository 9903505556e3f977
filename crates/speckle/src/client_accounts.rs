//! [`SpeckleClient`] from an account of the local account cache.

use secrecy::ExposeSecret;

use crate::accounts::{Account, AccountError, AccountStore};
use crate::SpeckleClient;

impl SpeckleClient {
    /// A client for `account`'s server, authenticated with its token (the
    /// api token, so it serves requests and websockets alike).
    ///
    /// # Errors
    /// When the stored server address is unusable.
    pub fn from_account(account: &Account) -> Result<Self, crate::Error> {
        let token = account.token.expose_secret();
        let client = Self::builder(account.rest_api.as_str())
            .token(token)
            .build()?;
        client.http().set_apitoken(Some(token));
        Ok(client)
    }

    /// A client for the default account of the local account cache (see
    /// [`AccountStore::default_path`]), or its only account.
    ///
    /// # Errors
    /// When the cache cannot be read, holds no usable account, or the
    /// account's server address is unusable.
    pub fn from_default_account() -> Result<Self, AccountError> {
        let account = AccountStore::open_default()?.select(None, None)?;
        Self::from_account(&account).map_err(AccountError::Client)
    }
}
