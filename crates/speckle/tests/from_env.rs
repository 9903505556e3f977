//! `SpeckleClient::from_env()`: the server, then a token or e-mail and
//! password, from `SPECKLE_*` variables. One test function, because the
//! variables belong to the whole process.
// Test code: a panic is a failed test, with its message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use speckle::{ExposeSecret, Register, SpeckleClient};
use speckle_devserver::{Config, DevServer};

const VARS: [&str; 4] = [
    "SPECKLE_SERVER",
    "SPECKLE_TOKEN",
    "SPECKLE_EMAIL",
    "SPECKLE_PASSWORD",
];

fn set(vars: &[(&str, &str)]) {
    for name in VARS {
        std::env::remove_var(name);
    }
    for (name, value) in vars {
        std::env::set_var(name, value);
    }
}

#[tokio::test]
async fn from_env_logs_in_with_what_the_variables_give() {
    let server = DevServer::start(Config::default()).await.unwrap();
    let url = server.url();
    let password = "from-env-password-123";
    let owner = SpeckleClient::new(&url).unwrap();
    let me = owner
        .register(Register::new("env@example.com", password).name("Env"))
        .await
        .unwrap();

    set(&[]);
    let error = SpeckleClient::from_env().await.unwrap_err();
    assert!(error.to_string().contains("SPECKLE_SERVER"), "{error}");

    set(&[
        ("SPECKLE_SERVER", &url),
        ("SPECKLE_EMAIL", "env@example.com"),
        ("SPECKLE_PASSWORD", password),
    ]);
    let client = SpeckleClient::from_env().await.unwrap();
    assert_eq!(client.user_id(), me.id);
    assert_eq!(client.server_url().to_string(), url);

    let token = owner.apitoken().unwrap().expose_secret().to_owned();
    set(&[("SPECKLE_SERVER", &url), ("SPECKLE_TOKEN", &token)]);
    let client = SpeckleClient::from_env().await.unwrap();
    assert_eq!(client.user_id(), me.id);

    // Empty variables are unset: an anonymous client.
    set(&[("SPECKLE_SERVER", &url), ("SPECKLE_TOKEN", "")]);
    let client = SpeckleClient::from_env().await.unwrap();
    assert!(client.token().is_none());
    assert!(client.server_info().await.is_ok());

    set(&[
        ("SPECKLE_SERVER", &url),
        ("SPECKLE_EMAIL", "env@example.com"),
    ]);
    let error = SpeckleClient::from_env().await.unwrap_err();
    assert!(error.to_string().contains("SPECKLE_PASSWORD"), "{error}");

    // A wrong password fails, and the error never shows it.
    let wrong = "wrong-password-456";
    set(&[
        ("SPECKLE_SERVER", &url),
        ("SPECKLE_EMAIL", "env@example.com"),
        ("SPECKLE_PASSWORD", wrong),
    ]);
    let error = SpeckleClient::from_env().await.unwrap_err();
    assert!(error.is_unauthorized(), "{error}");
    for shown in [error.to_string(), format!("{error:?}")] {
        assert!(!shown.contains(wrong), "{shown}");
    }
    set(&[]);
}
