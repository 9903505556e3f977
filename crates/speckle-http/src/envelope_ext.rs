//! Taking the data out of an envelope, with a typed error when it is missing.

use speckle_types::Envelope;

use crate::{Error, ErrorKind};

/// Unwraps `resource` / `resources` of an [`Envelope`].
///
/// ```
/// use speckle_http::EnvelopeExt;
/// use speckle_types::{Envelope, Stream};
/// let envelope: Envelope<Stream> = serde_json::from_str(r#"{"success":true,"resources":[]}"#).unwrap();
/// assert!(envelope.clone().into_resources().unwrap().is_empty());
/// assert!(envelope.into_resource().unwrap_err().is_decode());
/// ```
pub trait EnvelopeExt<T> {
    /// The single `resource`.
    ///
    /// # Errors
    /// A decode error when the answer has no `resource`.
    fn into_resource(self) -> Result<T, Error>;

    /// The `resources` list (an absent list is an error, an empty one is not).
    ///
    /// # Errors
    /// A decode error when the answer has no `resources`.
    fn into_resources(self) -> Result<Vec<T>, Error>;
}

impl<T> EnvelopeExt<T> for Envelope<T> {
    fn into_resource(self) -> Result<T, Error> {
        self.resource.ok_or_else(|| missing("resource"))
    }

    fn into_resources(self) -> Result<Vec<T>, Error> {
        self.resources.ok_or_else(|| missing("resources"))
    }
}

/// The error for a successful answer that lacks the key holding the data.
pub fn missing(key: &str) -> Error {
    Error::new(ErrorKind::Decode {
        path: key.to_owned(),
        body: String::new(),
    })
}

/// A field the caller required is missing from a server answer
/// (`stream.required_id()?` in a function returning this crate's `Error`).
impl From<speckle_types::MissingField> for Error {
    fn from(missing_field: speckle_types::MissingField) -> Self {
        missing(missing_field.field()).with_source(missing_field)
    }
}
