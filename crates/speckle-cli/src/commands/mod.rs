//! One module per command.

pub mod accounts;
pub mod apply;
pub mod clients;
pub mod comments;
pub mod completions;
pub mod info;
pub mod login;
pub mod projects;
pub mod pull;
pub mod push;
#[cfg(feature = "serve")]
pub mod serve;
pub mod streams;
pub mod watch;

use crate::failure::Failure;

/// Runs `work` until it ends or Ctrl-C is pressed; Ctrl-C drops the work
/// (cancelling requests in flight) and gives [`Failure::Interrupted`].
pub async fn until_interrupted<T>(
    work: impl std::future::Future<Output = Result<T, Failure>>,
) -> Result<T, Failure> {
    tokio::select! {
        result = work => result,
        _ = tokio::signal::ctrl_c() => Err(Failure::Interrupted),
    }
}
