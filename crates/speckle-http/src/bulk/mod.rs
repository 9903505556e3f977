//! Moving many objects: [`push`] and [`pull`].
//!
//! - **Push** hashes every object client-side (so identical objects are sent
//!   once and the server's dedup works), packs requests by bytes *and* by
//!   object count, keeps several in flight, splits a request the server
//!   rejects as too large, reports objects that alone are too large instead of
//!   dropping them, and can skip what a local [`ObjectCache`] says the server
//!   already has. Memory holds the requests in flight, not the model.
//! - **Pull** fetches with getbulk in chunks, several in flight, and yields
//!   objects in request order as a `Stream`; the server's "no permission"
//!   stubs are [`Pulled::Unavailable`], never mixed into the data.
//! - [`check_writable`] proves, before a push meant for a stream, that the
//!   stream exists and the caller may write it.

mod adaptive;
mod cache;
mod decoder;
pub(crate) mod prepare;
mod progress;
mod pull;
mod pull_driver;
mod pull_schedule;
mod pull_sizing;
mod push;
mod raw;
mod writable;

pub use cache::ObjectCache;
pub use prepare::{content_hash, encode_array, encode_object, EncodedObject};
pub use progress::{Progress, ProgressFn};
pub use pull::{pull, PullOptions, Pulled};
pub use push::{push, push_stream, BodyBuilder, PushFailure, PushOptions, PushOutcome, PushStats};
pub use raw::{PushItem, RawObject};
pub use writable::check_writable;
