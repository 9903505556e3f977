//! What a program using the SDK needs in scope besides the client:
//! `StreamExt`, to consume pull streams and socket events with
//! `.next().await` without depending on `futures-util` itself.

pub use futures_util::StreamExt;
