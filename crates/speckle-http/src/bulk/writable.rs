//! Checking, before any object is uploaded, that the caller may write the
//! stream the objects are meant for.

use serde_json::Value;
use speckle_types::{Role, StreamId, UserId};

use crate::endpoints::accounts::GetProfile;
use crate::endpoints::streams::{GetStream, UpdateStream};
use crate::{execute, Client, Endpoint, EnvelopeExt, Error, ErrorKind};

/// The refusal the server's permission check gives a write by a user who is
/// neither the owner, nor in `canWrite`, nor an admin.
const WRITE_REFUSED: &str = "You are not authorised to write.";

/// Fails unless the caller may write stream `id`: it exists, and the caller
/// owns it, is in its `canWrite` list, or is an admin (the server's rules).
///
/// One `GET /streams/:id` with a one-field projection (the server adds the
/// owner and permission lists to any projection), plus `GET /accounts` when
/// the client does not know its user yet or is neither owner nor writer (to
/// learn whether it is an admin).
///
/// # Errors
/// - the stream's `GET` error: not found (`is_not_found`), or not readable
///   (`is_forbidden`);
/// - [`ErrorKind::NotAuthenticated`] without a token;
/// - for a stream the caller may read but not write, the server's own write
///   refusal (`You are not authorised to write.`, `is_forbidden`), found
///   before anything was uploaded.
pub async fn check_writable(client: &Client, id: &StreamId) -> Result<(), Error> {
    if client.token().is_none() {
        return Err(Error::new(ErrorKind::NotAuthenticated).at(UpdateStream::ROUTE));
    }
    let stream = execute(client, &GetStream::new(id.clone()).fields(["streamId"]))
        .await?
        .into_resource()?;
    let access = &stream.access;
    let is = |me: &UserId| {
        access.owner.as_ref().and_then(|o| o.id()) == Some(me)
            || access
                .can_write
                .iter()
                .flatten()
                .any(|writer| writer.id() == Some(me))
    };
    if client.user_id().is_some_and(|me| is(&me)) {
        return Ok(());
    }
    let me = execute(client, &GetProfile::new()).await?.into_resource()?;
    let writer = me.id.as_ref().is_some_and(is);
    if writer || me.role == Some(Role::Admin) {
        return Ok(());
    }
    // The refusal the server would give the final write, said before any
    // upload; the detail makes clear the SDK found it, not the server.
    Err(Error::new(ErrorKind::Api {
        status: 401,
        message: Some(Value::String(WRITE_REFUSED.to_owned())),
        body: None,
    })
    .at(UpdateStream::ROUTE)
    .with_detail(format!(
        "checked before uploading: stream {id} is readable but its owner has not given you write access"
    )))
}
