//! Throwaway users for tests on a shared server: a unique email and a
//! password nobody else knows, since the first user of an empty server is an
//! admin and users cannot be deleted afterwards.

use speckle::{Register, SpeckleClient};

use crate::target::unique;

/// A client logged in as a user registered just now, named after `label`.
///
/// # Panics
/// When the server refuses the registration (a test harness failure).
pub async fn fresh_user(url: &str, label: &str) -> SpeckleClient {
    #[allow(clippy::expect_used)] // test harness: no user, no test
    let client = SpeckleClient::new(url).expect("a client for the server URL");
    let email = format!("{label}-{}@example.com", unique());
    let password = format!("pw-{}-{}", unique(), unique());
    #[allow(clippy::expect_used)]
    client
        .register(Register::new(email, password))
        .await
        .expect("the server registers a fresh user");
    client
}
