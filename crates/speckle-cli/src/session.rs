//! Which account a command acts as, and the client for it.

use speckle::accounts::{Account, AccountStore};
use speckle::SpeckleClient;

use crate::cli::Global;
use crate::failure::Failure;

/// The account chosen by `--server` and `--account` (an e-mail or an
/// account id), else the default one.
pub fn account(global: &Global) -> Result<Account, Failure> {
    let store = AccountStore::open_default()?;
    if let Some(id) = global
        .account
        .as_deref()
        .and_then(|a| a.parse::<i64>().ok())
    {
        return store.get(id)?.ok_or_else(|| {
            Failure::msg(format!(
                "no account with id {id}: see `speckle accounts list`"
            ))
        });
    }
    Ok(store.select(global.server.as_deref(), global.account.as_deref())?)
}

/// A client acting as the chosen account.
pub fn client(global: &Global) -> Result<SpeckleClient, Failure> {
    let account = account(global)?;
    Ok(SpeckleClient::from_account(&account)?)
}

/// The account named by `which` (an id or an e-mail) in `store`.
pub fn find(store: &AccountStore, which: &str, server: Option<&str>) -> Result<Account, Failure> {
    if let Ok(id) = which.parse::<i64>() {
        return store.get(id)?.ok_or_else(|| {
            Failure::msg(format!(
                "no account with id {id}: see `speckle accounts list`"
            ))
        });
    }
    Ok(store.select(server, Some(which))?)
}
