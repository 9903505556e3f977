//! Why a command failed, as one line for stderr.

use std::fmt;

/// A failed command. Its text is the SDK's `Display` (which never holds a
/// token) or a sentence of our own.
#[derive(Debug)]
pub enum Failure {
    /// Something went wrong; exit code 1.
    Message(String),
    /// Ctrl-C stopped the command; the caller exits with 130.
    Interrupted,
}

impl Failure {
    /// A failure with a sentence of our own.
    pub fn msg(text: impl Into<String>) -> Self {
        Self::Message(text.into())
    }

    /// The message on one line: errors with causes or server text can hold
    /// line breaks, and scripts read stderr line by line.
    pub fn one_line(&self) -> String {
        self.to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Message(text) => f.write_str(text),
            Self::Interrupted => f.write_str("interrupted"),
        }
    }
}

macro_rules! failure_from_display {
    ($($ty:ty),* $(,)?) => {$(
        impl From<$ty> for Failure {
            fn from(e: $ty) -> Self {
                Self::Message(e.to_string())
            }
        }
    )*};
}

failure_from_display!(
    speckle::Error,
    speckle::accounts::AccountError,
    speckle::ws::WsError,
    std::io::Error,
    serde_json::Error,
);
