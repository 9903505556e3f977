//! `speckle login`: e-mail and password (or a token) to a stored account.

use std::io::{BufRead, IsTerminal, Write};

use serde_json::json;
use speckle::accounts::{AccountStore, NewAccount};
use speckle::{Register, SpeckleClient};

use crate::cli::{Global, LoginArgs};
use crate::failure::Failure;
use crate::output;

/// Logs in and stores the account (the api token, as the other Speckle
/// tools do), so later commands and those tools can use it.
pub async fn run(global: &Global, args: LoginArgs) -> Result<(), Failure> {
    let store = AccountStore::open_default()?;
    let server = match &global.server {
        Some(server) => server.clone(),
        None => store
            .default_account()?
            .map(|a| a.rest_api)
            .ok_or_else(|| Failure::msg("which server? pass --server URL"))?,
    };
    let client = SpeckleClient::new(server.as_str())?;
    let (user, given_email) = match (args.token, args.email) {
        (Some(token), None) => (client.login_with_token(&token).await?, None),
        (_, email) => {
            let email = match email {
                Some(email) => email,
                None => ask_email()?,
            };
            let password = read_password()?;
            let user = if args.register {
                client
                    .register(Register::new(email.as_str(), password.as_str()))
                    .await?
            } else {
                client.login(&email, &password).await?
            };
            (user, Some(email))
        }
    };
    let email = user
        .email
        .clone()
        .or(given_email)
        .ok_or_else(|| Failure::msg("the server did not say which e-mail this account has"))?;
    let token = client
        .apitoken()
        .ok_or_else(|| Failure::msg("the server sent no api token for this account"))?;
    let info = client.server_info().await?;
    let server_name = info.server_name.unwrap_or_default();
    let mut account = store.save(&NewAccount {
        server_name: server_name.clone(),
        server: server.clone(),
        email: email.clone(),
        token,
    })?;
    if args.default && !account.is_default {
        store.set_default(account.id)?;
        account.is_default = true;
    }
    output::done(
        global.json,
        &format!(
            "logged in as {email} on {} (account {}{})",
            if server_name.is_empty() {
                &account.rest_api
            } else {
                &server_name
            },
            account.id,
            if account.is_default { ", default" } else { "" }
        ),
        &json!({
            "id": account.id,
            "email": account.email,
            "serverName": account.server_name,
            "restApi": account.rest_api,
            "isDefault": account.is_default,
        }),
    )
}

fn ask_email() -> Result<String, Failure> {
    if !std::io::stdin().is_terminal() {
        return Err(Failure::msg("pass --email (or --token)"));
    }
    eprint!("E-mail: ");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim().to_owned())
}

/// The password: prompted without echo on a terminal, else the first line
/// of stdin (for scripts: `echo "$PW" | speckle login …`).
fn read_password() -> Result<String, Failure> {
    if std::io::stdin().is_terminal() {
        return Ok(rpassword::prompt_password("Password: ")?);
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\n', '\r']).to_owned();
    if password.is_empty() {
        return Err(Failure::msg("no password on stdin"));
    }
    Ok(password)
}
