//! `speckle serve`: the local devserver from this binary.

use speckle_devserver::{Config, DevServer};

use crate::cli::ServeArgs;
use crate::failure::Failure;

/// Serves until Ctrl-C.
pub async fn run(args: ServeArgs) -> Result<(), Failure> {
    let mut config = Config::default().port(args.port);
    config = if args.memory {
        config.in_memory()
    } else {
        config.data_file(args.data)
    };
    let server = DevServer::start(config)
        .await
        .map_err(|e| Failure::msg(e.to_string()))?;
    println!("speckle server listening on {}/api", server.url());
    println!("log in with: speckle login --server {}", server.url());
    let _ = tokio::signal::ctrl_c().await;
    server.shutdown().await;
    Ok(())
}
