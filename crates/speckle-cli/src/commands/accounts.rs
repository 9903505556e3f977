//! `speckle accounts`: the stored accounts.

use serde_json::{json, Value};
use speckle::accounts::{Account, AccountStore};

use crate::cli::{AccountsCommand, Global};
use crate::failure::Failure;
use crate::{output, session};

/// An account as printed: everything but the token.
fn shown(account: &Account) -> Value {
    json!({
        "id": account.id,
        "email": account.email,
        "serverName": account.server_name,
        "restApi": account.rest_api,
        "isDefault": account.is_default,
    })
}

/// Lists, switches or removes accounts.
pub fn run(global: &Global, command: AccountsCommand) -> Result<(), Failure> {
    let store = AccountStore::open_default()?;
    match command {
        AccountsCommand::List => {
            let accounts = store.list()?;
            let shown: Vec<Value> = accounts.iter().map(shown).collect();
            if global.json {
                return output::json(&shown);
            }
            let rows: Vec<Vec<String>> = accounts
                .iter()
                .map(|a| {
                    vec![
                        a.id.to_string(),
                        if a.is_default {
                            "*".into()
                        } else {
                            String::new()
                        },
                        a.email.clone(),
                        a.server_name.clone(),
                        a.rest_api.clone(),
                    ]
                })
                .collect();
            output::table(&["ID", "DEFAULT", "EMAIL", "SERVER", "API"], &rows)
        }
        AccountsCommand::Use { account } => {
            let mut account = session::find(&store, &account, global.server.as_deref())?;
            store.set_default(account.id)?;
            account.is_default = true;
            output::done(
                global.json,
                &format!(
                    "{} on {} is the default account",
                    account.email, account.rest_api
                ),
                &shown(&account),
            )
        }
        AccountsCommand::Remove { account } => {
            let account = session::find(&store, &account, global.server.as_deref())?;
            store.remove(account.id)?;
            output::done(
                global.json,
                &format!("removed {} on {}", account.email, account.rest_api),
                &shown(&account),
            )
        }
    }
}
