//! `speckle info`: the server and who you are on it.

use serde_json::json;

use crate::cli::Global;
use crate::failure::Failure;
use crate::session;

/// Prints the server's name and version and the account's profile.
pub async fn run(global: &Global) -> Result<(), Failure> {
    let account = session::account(global)?;
    let client = speckle::SpeckleClient::from_account(&account)?;
    let info = client.server_info().await?;
    let me = client.accounts().get_profile().await?;
    let name = [me.name.as_deref(), me.surname.as_deref()]
        .into_iter()
        .flatten()
        .filter(|part| !part.trim().is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let email = me.email.clone().unwrap_or_else(|| account.email.clone());
    if global.json {
        // Built by hand: the profile also carries the api token.
        return crate::output::json(&json!({
            "server": {
                "name": info.server_name,
                "version": info.version,
                "restApi": account.rest_api,
            },
            "user": {
                "id": me.id,
                "email": email,
                "name": me.name,
                "surname": me.surname,
                "company": me.company,
                "role": me.role,
            },
        }));
    }
    println!("server   {}", info.server_name.unwrap_or_default());
    println!("version  {}", info.version.unwrap_or_default());
    println!("api      {}", account.rest_api);
    println!("user     {email} ({name})");
    if let Some(role) = me.role {
        println!(
            "role     {}",
            serde_json::to_value(role)?.as_str().unwrap_or_default()
        );
    }
    Ok(())
}
