//! `speckle completions SHELL`.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};

/// Prints the completion script for the shell.
pub fn run(args: &CompletionsArgs) {
    let mut command = Cli::command();
    clap_complete::generate(args.shell, &mut command, "speckle", &mut std::io::stdout());
}
