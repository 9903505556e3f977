//! Api clients (`UserAppClient`): one per connected document.

use serde::{Deserialize, Serialize};

use crate::common::{open_enum, Access, Extra, Timestamps};
use crate::{ClientId, StreamId};

open_enum!(
    /// The role of an api client. The delta route looks for `Sender`.
    ClientRole {
        /// Sends data to its stream.
        Sender = "Sender",
        /// Receives data from its stream.
        Receiver = "Receiver",
        /// Both (SpeckleCore's name).
        Mixed = "Mixed",
        /// Both (some connectors' name).
        Hybrid = "Hybrid",
    }
);

/// An api client: the record of a document connected to a stream. Its id is
/// also the websocket `client_id`.
///
/// Only the fields that are set are sent on create and update (unlike the
/// Python client, which injects a fresh `documentGuid` on every update, fact
/// sheet §11.1 #7).
///
/// ```
/// use speckle_types::{ApiClient, ClientRole};
/// let client = ApiClient { role: Some(ClientRole::Sender), stream_id: Some("60uCme_s0".into()), ..Default::default() };
/// assert_eq!(serde_json::to_string(&client).unwrap(), r#"{"role":"Sender","streamId":"60uCme_s0"}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiClient {
    /// The client's id (`temp-<hex>` for anonymous clients, which are not saved).
    #[serde(rename = "_id", default, skip_serializing_if = "Option::is_none")]
    pub id: Option<ClientId>,
    /// Role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<ClientRole>,
    /// Name of the connected document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_name: Option<String>,
    /// Guid of the connected document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_guid: Option<String>,
    /// Kind of document, e.g. `Rhino`, `Grasshopper`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_type: Option<String>,
    /// Where the document lives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_location: Option<String>,
    /// The stream the client is connected to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<StreamId>,
    /// Whether the client is online.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub online: Option<bool>,
    /// Ask the server not to save the client (an anonymous `temp-` id is returned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_anonymous: Option<bool>,
    /// Owner and permissions.
    #[serde(flatten)]
    pub access: Access,
    /// Creation/update times.
    #[serde(flatten)]
    pub timestamps: Timestamps,
    /// Keys this model does not know.
    #[serde(flatten)]
    pub extra: Extra,
}
