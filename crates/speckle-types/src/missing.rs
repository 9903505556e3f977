//! The error of the accessors that need a field the server normally sends.

use std::fmt;

/// A field that should be there is not: the value was not read from the
/// server (a struct built locally), or was read with a `fields` projection
/// that left the field out.
///
/// ```
/// use speckle_types::Stream;
/// let error = Stream::default().required_id().unwrap_err();
/// assert_eq!(error.field(), "streamId");
/// assert!(error.to_string().contains("streamId"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissingField {
    model: &'static str,
    field: &'static str,
}

impl MissingField {
    pub(crate) fn new(model: &'static str, field: &'static str) -> Self {
        Self { model, field }
    }

    /// The missing field, as the server names it (`streamId`).
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// The model it is missing from (`stream`).
    pub fn model(&self) -> &'static str {
        self.model
    }
}

impl fmt::Display for MissingField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the {} has no `{}`: it was not read from the server, or read with a \
             `fields` projection that left it out",
            self.model, self.field
        )
    }
}

impl std::error::Error for MissingField {}
