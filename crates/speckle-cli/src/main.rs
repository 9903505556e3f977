//! `speckle`: the Speckle v1 command-line tool (see `speckle --help`).

mod cli;
mod commands;
mod failure;
mod input;
mod output;
mod progress;
mod session;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::failure::Failure;

/// Exit code after Ctrl-C, as shells report a SIGINT death.
const INTERRUPTED: u8 = 130;

fn main() -> ExitCode {
    // clap prints usage errors itself and exits with 2.
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return report(&Failure::from(e)),
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Interrupted) => ExitCode::from(INTERRUPTED),
        Err(failure) => report(&failure),
    }
}

fn report(failure: &Failure) -> ExitCode {
    eprintln!("error: {}", failure.one_line());
    ExitCode::FAILURE
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let global = &cli.global;
    match cli.command {
        Command::Login(args) => commands::login::run(global, args).await,
        Command::Accounts(command) => commands::accounts::run(global, command),
        Command::Info => commands::info::run(global).await,
        Command::Streams(command) => commands::streams::run(global, command).await,
        Command::Projects(command) => commands::projects::run(global, command).await,
        Command::Clients(command) => commands::clients::run(global, command).await,
        Command::Comments(command) => commands::comments::run(global, command).await,
        Command::Push(args) => commands::push::run(global, args).await,
        Command::Pull(args) => commands::pull::run(global, args).await,
        Command::Watch(args) => commands::watch::run(global, args).await,
        Command::Apply(args) => commands::apply::run(global, args).await,
        #[cfg(feature = "serve")]
        Command::Serve(args) => commands::serve::run(args).await,
        Command::Completions(args) => {
            commands::completions::run(&args);
            Ok(())
        }
    }
}
