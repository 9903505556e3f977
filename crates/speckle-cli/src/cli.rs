//! The command line, as clap parses it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// speckle: move Speckle v1 data from the shell, with the accounts the other
/// Speckle tools on this machine already have.
#[derive(Debug, Parser)]
#[command(name = "speckle", version, propagate_version = true)]
pub struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub global: Global,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// Server to use (default: the default account's)
    #[arg(long, global = true, env = "SPECKLE_SERVER", value_name = "URL")]
    pub server: Option<String>,
    /// Account to use, by e-mail or account id (default: the default account)
    #[arg(
        allow_hyphen_values = true,
        long,
        global = true,
        env = "SPECKLE_ACCOUNT",
        value_name = "EMAIL|ID"
    )]
    pub account: Option<String>,
    /// Print data as JSON, for scripts
    #[arg(long, global = true)]
    pub json: bool,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Log in to a server and store the account where all Speckle tools find it
    Login(LoginArgs),
    /// The stored accounts
    #[command(subcommand)]
    Accounts(AccountsCommand),
    /// The server's name and version, and who you are on it
    Info,
    /// Streams
    #[command(subcommand)]
    Streams(StreamsCommand),
    /// Projects
    #[command(subcommand)]
    Projects(ProjectsCommand),
    /// Api clients (connected documents)
    #[command(subcommand)]
    Clients(ClientsCommand),
    /// Comments
    #[command(subcommand)]
    Comments(CommentsCommand),
    /// Upload objects (a JSON array or NDJSON) and set them as a stream's objects
    Push(PushArgs),
    /// Download a stream's objects, in order
    Pull(PullArgs),
    /// Print a stream's live events until Ctrl-C
    Watch(WatchArgs),
    /// Create or update projects, streams and clients from a resource file
    Apply(ApplyArgs),
    /// Run a local Speckle server (SQLite) from this binary
    #[cfg(feature = "serve")]
    Serve(ServeArgs),
    /// Print a shell completion script
    Completions(CompletionsArgs),
}

/// `speckle login`.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// E-mail; the password is prompted without echo (or read from stdin)
    #[arg(long)]
    pub email: Option<String>,
    /// An api token (`JWT …`) instead of e-mail and password (--email wins
    /// when both are given, so a SPECKLE_TOKEN in the environment does not
    /// get in the way)
    #[arg(long, env = "SPECKLE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Make this the default account
    #[arg(long)]
    pub default: bool,
    /// Create the user first (servers with open registration, like `speckle serve`)
    #[arg(long, requires = "email")]
    pub register: bool,
}

/// `speckle accounts`.
#[derive(Debug, Subcommand)]
pub enum AccountsCommand {
    /// List the stored accounts
    List,
    /// Make an account the default
    Use {
        /// Account id (see `speckle accounts list`) or e-mail
        #[arg(allow_hyphen_values = true)]
        account: String,
    },
    /// Forget an account
    Remove {
        /// Account id (see `speckle accounts list`) or e-mail
        #[arg(allow_hyphen_values = true)]
        account: String,
    },
}

/// `speckle streams`.
#[derive(Debug, Subcommand)]
pub enum StreamsCommand {
    /// Your streams
    List,
    /// One stream
    Get {
        /// Stream id
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
    /// Create a stream
    Create {
        /// Its name
        name: String,
    },
    /// Rename a stream
    Rename {
        /// Stream id
        #[arg(allow_hyphen_values = true)]
        id: String,
        /// New name
        name: String,
    },
    /// Delete a stream
    Delete {
        /// Stream id
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
    /// Clone a stream (the clone is a child of the original)
    Clone {
        /// Stream id
        #[arg(allow_hyphen_values = true)]
        id: String,
        /// Name of the clone
        #[arg(long)]
        name: Option<String>,
    },
    /// Compare two streams' objects and layers
    Diff {
        /// Stream id
        #[arg(allow_hyphen_values = true)]
        id: String,
        /// The other stream's id
        #[arg(allow_hyphen_values = true)]
        other: String,
    },
}

/// `speckle projects`.
#[derive(Debug, Subcommand)]
pub enum ProjectsCommand {
    /// Your projects
    List,
    /// One project
    Get {
        /// Project id
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
    /// Create a project
    Create {
        /// Its name
        name: String,
    },
    /// Rename a project
    Rename {
        /// Project id
        #[arg(allow_hyphen_values = true)]
        id: String,
        /// New name
        name: String,
    },
    /// Delete a project
    Delete {
        /// Project id
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
}

/// `speckle clients`.
#[derive(Debug, Subcommand)]
pub enum ClientsCommand {
    /// Your api clients
    List,
    /// One api client
    Get {
        /// Client id
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
    /// Register an api client for a stream
    Create {
        /// Stream id
        #[arg(allow_hyphen_values = true, long)]
        stream: String,
        /// Role (Sender or Receiver)
        #[arg(long, default_value = "Receiver")]
        role: String,
        /// Document name
        #[arg(long)]
        document_name: Option<String>,
    },
    /// Delete an api client
    Delete {
        /// Client id
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
}

/// `speckle comments`.
#[derive(Debug, Subcommand)]
pub enum CommentsCommand {
    /// Comments on a stream, or all yours
    List {
        /// Only the comments on this stream
        #[arg(allow_hyphen_values = true, long)]
        stream: Option<String>,
    },
    /// One comment
    Get {
        /// Comment id
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
    /// Comment on a stream
    Create {
        /// Stream id
        #[arg(allow_hyphen_values = true, long)]
        stream: String,
        /// The text
        text: String,
    },
    /// Delete a comment
    Delete {
        /// Comment id
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
}

/// `speckle push`.
#[derive(Debug, Args)]
pub struct PushArgs {
    /// A JSON array or NDJSON file of objects, or `-` for stdin
    pub file: PathBuf,
    /// The stream whose objects to set
    #[arg(
        allow_hyphen_values = true,
        long,
        required_unless_present = "new",
        conflicts_with = "new"
    )]
    pub stream: Option<String>,
    /// Create a new stream with this name
    #[arg(long, value_name = "NAME")]
    pub new: Option<String>,
    /// Send every object, ignoring the local cache of objects the server has
    #[arg(long)]
    pub no_cache: bool,
}

/// How `speckle pull` writes objects.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PullFormat {
    /// One object per line
    Ndjson,
    /// One JSON array
    Json,
}

/// `speckle pull`.
#[derive(Debug, Args)]
pub struct PullArgs {
    /// Stream id
    #[arg(allow_hyphen_values = true)]
    pub stream: String,
    /// Write to this file instead of stdout (`-`: stdout)
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value = "ndjson")]
    pub format: PullFormat,
    /// Only these fields (comma separated), as the server's `fields=`
    #[arg(long, value_delimiter = ',', conflicts_with = "omit")]
    pub fields: Vec<String>,
    /// Leave these fields out (comma separated), as the server's `omit=`
    #[arg(long, value_delimiter = ',')]
    pub omit: Vec<String>,
}

/// `speckle watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Stream id
    #[arg(allow_hyphen_values = true)]
    pub stream: String,
}

/// `speckle apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Resource file (JSON: one document, an array, or several documents)
    #[arg(short, long)]
    pub file: PathBuf,
}

/// `speckle serve`.
#[cfg(feature = "serve")]
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Port on 127.0.0.1
    #[arg(long, default_value_t = 3000)]
    pub port: u16,
    /// SQLite file to keep the data in
    #[arg(long, default_value = "speckle.db", conflicts_with = "memory")]
    pub data: PathBuf,
    /// Keep the data in memory only
    #[arg(long)]
    pub memory: bool,
}

/// `speckle completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell
    pub shell: clap_complete::Shell,
}
