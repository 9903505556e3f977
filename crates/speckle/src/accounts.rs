//! The user's Speckle accounts, in the local SQLite cache that the Python
//! client (`SpeckleCache`) and the .NET core (`LocalContext`) share with the
//! desktop connectors: `SpeckleSettings/SpeckleCache.db`, table `Account`.
//!
//! Reading finds the accounts those tools wrote; writing uses the same table,
//! columns and path, so they see the accounts written here.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use speckle::accounts::AccountStore;
//! let store = AccountStore::open_default()?;
//! for account in store.list()? {
//!     println!("{} on {}", account.email, account.rest_api);
//! }
//! let client = speckle::SpeckleClient::from_default_account()?;
//! println!("{:?}", client.streams().list().await?.len());
//! # Ok(()) }
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use rusqlite::types::Value as SqlValue;
use rusqlite::{params, Connection};
use secrecy::{ExposeSecret, SecretString};

use crate::http::ServerUrl;

/// Overrides where the account cache lives (a path to the `.db` file).
pub const CACHE_DB_ENV: &str = "SPECKLE_CACHE_DB";

/// The folder the Speckle tools keep their settings in.
const SETTINGS_FOLDER: &str = "SpeckleSettings";
/// The cache file inside it.
const CACHE_FILE: &str = "SpeckleCache.db";

/// The tables as the Python client creates them (column names, types and the
/// `UNIQUE(RestApi, Email)` constraint the .NET core relies on too). Only
/// `Account` is used here; the others are created so a Python client that
/// finds the file does not try (and fail) to create them half-way.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS Account
    ([AccountId] integer NOT NULL PRIMARY KEY AUTOINCREMENT, [ServerName] varchar,
     [RestApi] varchar, [Email] varchar, [Token] varchar, [IsDefault] integer,
     UNIQUE(RestApi, Email));
CREATE TABLE IF NOT EXISTS CachedObject
    ([CombinedHash] varchar NOT NULL PRIMARY KEY, [RestApi] varchar, [DatabaseId] varchar,
     [Hash] varchar, [AddedOn] bigint, [Bytes] blob);
CREATE TABLE IF NOT EXISTS CachedStream
    ([CombinedHash] varchar NOT NULL PRIMARY KEY, [RestApi] varchar, [StreamId] varchar,
     [AddedOn] bigint, [UpdatedOn] bigint, [Bytes] blob);
CREATE TABLE IF NOT EXISTS SentObject ([RestApi] varchar, [DatabaseId] varchar, [Hash] varchar);
";

/// One stored account: a user on a server and the api token to act as them.
#[derive(Clone)]
pub struct Account {
    /// `AccountId`, the row's key.
    pub id: i64,
    /// `ServerName`, as the server announced it.
    pub server_name: String,
    /// `RestApi`, the server's API base (`https://host/api/v1`, no trailing slash).
    pub rest_api: String,
    /// `Email`.
    pub email: String,
    /// `Token`: the api token (`JWT …`), used for requests and websockets.
    pub token: SecretString,
    /// `IsDefault`: the account tools use when none is named.
    pub is_default: bool,
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("id", &self.id)
            .field("server_name", &self.server_name)
            .field("rest_api", &self.rest_api)
            .field("email", &self.email)
            .field("token", &"<redacted>")
            .field("is_default", &self.is_default)
            .finish()
    }
}

impl Account {
    /// Whether this account belongs to the server at `server` (any form
    /// [`ServerUrl::parse`] accepts; `https` when no scheme is given).
    pub fn is_on(&self, server: &str) -> bool {
        // By root: the server answers under both `/api` and `/api/v1`, and
        // tools store either.
        match (
            ServerUrl::parse(server, true),
            ServerUrl::parse(&self.rest_api, true),
        ) {
            (Ok(wanted), Ok(mine)) => wanted.root() == mine.root(),
            _ => false,
        }
    }
}

/// What to store for a new (or refreshed) account.
#[derive(Clone)]
pub struct NewAccount {
    /// The server's name.
    pub server_name: String,
    /// The server's address, in any form [`ServerUrl::parse`] accepts; stored
    /// as its API base.
    pub server: String,
    /// The user's e-mail.
    pub email: String,
    /// The api token.
    pub token: SecretString,
}

impl fmt::Debug for NewAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewAccount")
            .field("server_name", &self.server_name)
            .field("server", &self.server)
            .field("email", &self.email)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// Why the account cache could not be used.
#[derive(Debug)]
#[non_exhaustive]
pub enum AccountError {
    /// No place for the cache is known (no `SPECKLE_CACHE_DB`,
    /// `LOCALAPPDATA`, `XDG_CONFIG_HOME` or `HOME`).
    NoLocation,
    /// The cache file or its folder could not be created or read.
    Io(PathBuf, std::io::Error),
    /// SQLite refused (a locked or corrupt file, a table of another shape).
    Database(PathBuf, rusqlite::Error),
    /// No account matches.
    NotFound(String),
    /// A stored server address is unusable.
    Client(crate::Error),
}

impl fmt::Display for AccountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoLocation => write!(
                f,
                "no place for the account cache: set {CACHE_DB_ENV}, XDG_CONFIG_HOME or HOME"
            ),
            Self::Io(path, e) => write!(f, "account cache {}: {e}", path.display()),
            Self::Database(path, e) => write!(f, "account cache {}: {e}", path.display()),
            Self::NotFound(what) => write!(f, "{what}"),
            Self::Client(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for AccountError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io(_, e) => Some(e),
            Self::Database(_, e) => Some(e),
            Self::Client(e) => Some(e),
            Self::NoLocation | Self::NotFound(_) => None,
        }
    }
}

/// The account cache file, open.
#[derive(Debug)]
pub struct AccountStore {
    connection: Connection,
    path: PathBuf,
}

impl AccountStore {
    /// Where the cache is: `$SPECKLE_CACHE_DB` if set; else
    /// `%LOCALAPPDATA%\SpeckleSettings\SpeckleCache.db`, where the .NET core
    /// and the Python client keep it; else (where no `LOCALAPPDATA` exists)
    /// `$XDG_CONFIG_HOME/SpeckleSettings/SpeckleCache.db` or
    /// `~/.config/SpeckleSettings/SpeckleCache.db`.
    ///
    /// # Errors
    /// [`AccountError::NoLocation`] when none of these variables is set.
    pub fn default_path() -> Result<PathBuf, AccountError> {
        let non_empty = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        if let Some(path) = non_empty(CACHE_DB_ENV) {
            return Ok(PathBuf::from(path));
        }
        let settings_base = non_empty("LOCALAPPDATA")
            .map(PathBuf::from)
            .or_else(|| non_empty("XDG_CONFIG_HOME").map(PathBuf::from))
            .or_else(|| non_empty("HOME").map(|home| PathBuf::from(home).join(".config")))
            .ok_or(AccountError::NoLocation)?;
        Ok(settings_base.join(SETTINGS_FOLDER).join(CACHE_FILE))
    }

    /// Opens the cache at [`default_path`](Self::default_path), creating it
    /// if needed.
    ///
    /// # Errors
    /// When no location is known or the file cannot be opened.
    pub fn open_default() -> Result<Self, AccountError> {
        Self::open(Self::default_path()?)
    }

    /// Opens (or creates, readable by its owner only) the cache at `path`.
    ///
    /// # Errors
    /// When the file cannot be created or opened, or is not an SQLite database.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, AccountError> {
        let path = path.as_ref().to_path_buf();
        create_owner_only(&path)?;
        let connection =
            Connection::open(&path).map_err(|e| AccountError::Database(path.clone(), e))?;
        // Another Speckle tool may be writing at the same moment.
        connection
            .busy_timeout(std::time::Duration::from_secs(5))
            .and_then(|()| connection.execute_batch(SCHEMA))
            .map_err(|e| AccountError::Database(path.clone(), e))?;
        Ok(Self { connection, path })
    }

    /// The cache file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn db<T>(&self, result: rusqlite::Result<T>) -> Result<T, AccountError> {
        result.map_err(|e| AccountError::Database(self.path.clone(), e))
    }

    /// All accounts, in the order they were added.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub fn list(&self) -> Result<Vec<Account>, AccountError> {
        let mut statement = self.db(self.connection.prepare(
            "SELECT AccountId, ServerName, RestApi, Email, Token, IsDefault FROM Account ORDER BY AccountId",
        ))?;
        let rows = self.db(statement.query_map([], account_of_row))?;
        rows.map(|row| self.db(row)).collect()
    }

    /// The account marked default, if any.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub fn default_account(&self) -> Result<Option<Account>, AccountError> {
        Ok(self.list()?.into_iter().find(|a| a.is_default))
    }

    /// The account with `AccountId` `id`.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub fn get(&self, id: i64) -> Result<Option<Account>, AccountError> {
        Ok(self.list()?.into_iter().find(|a| a.id == id))
    }

    /// The account to use for `server` and/or `email` (either may be left
    /// out): the default one among the matches, else the first match. With
    /// neither, the default account, else the only account.
    ///
    /// # Errors
    /// [`AccountError::NotFound`] when nothing (or, with no filter and no
    /// default, more than one account) matches.
    pub fn select(
        &self,
        server: Option<&str>,
        email: Option<&str>,
    ) -> Result<Account, AccountError> {
        let all = self.list()?;
        let any_filter = server.is_some() || email.is_some();
        let mut matches: Vec<Account> = all
            .into_iter()
            .filter(|a| server.is_none_or(|s| a.is_on(s)))
            .filter(|a| email.is_none_or(|e| a.email.eq_ignore_ascii_case(e.trim())))
            .collect();
        if let Some(at) = matches.iter().position(|a| a.is_default) {
            return Ok(matches.swap_remove(at));
        }
        if matches.len() == 1 || (any_filter && !matches.is_empty()) {
            return Ok(matches.swap_remove(0));
        }
        let what = match (server, email) {
            (Some(s), Some(e)) => format!("no account for {e} on {s}: run `speckle login`"),
            (Some(s), None) => format!("no account on {s}: run `speckle login --server {s}`"),
            (None, Some(e)) => format!("no account for {e}: run `speckle login`"),
            (None, None) if matches.is_empty() => "no account: run `speckle login`".to_owned(),
            (None, None) => {
                "several accounts and none is the default: run `speckle accounts use ID`".to_owned()
            }
        };
        Err(AccountError::NotFound(what))
    }

    /// Stores an account, or refreshes the name and token of the one with the
    /// same server and e-mail (the table allows one per pair). The first
    /// account stored becomes the default.
    ///
    /// # Errors
    /// When the server address is unusable or the database cannot be written.
    pub fn save(&self, account: &NewAccount) -> Result<Account, AccountError> {
        let rest_api = rest_api_of(&account.server).map_err(AccountError::Client)?;
        let email = account.email.trim();
        let token = account.token.expose_secret();
        let existing = self
            .list()?
            .into_iter()
            .find(|a| a.is_on(&rest_api) && a.email.eq_ignore_ascii_case(email));
        let id =
            if let Some(existing) = existing {
                self.db(self.connection.execute(
                    "UPDATE Account SET ServerName = ?1, Token = ?2 WHERE AccountId = ?3",
                    params![account.server_name, token, existing.id],
                ))?;
                existing.id
            } else {
                let no_default = self.default_account()?.is_none();
                self.db(self.connection.execute(
                "INSERT INTO Account (AccountId, ServerName, RestApi, Email, Token, IsDefault) \
                 VALUES (NULL, ?1, ?2, ?3, ?4, ?5)",
                params![account.server_name, rest_api, email, token, i64::from(no_default)],
            ))?;
                self.connection.last_insert_rowid()
            };
        self.get(id)?
            .ok_or_else(|| AccountError::NotFound(format!("account {id} vanished while saving")))
    }

    /// Makes account `id` the default and clears the flag on all others.
    ///
    /// # Errors
    /// [`AccountError::NotFound`] for an unknown id, or a database error.
    pub fn set_default(&self, id: i64) -> Result<(), AccountError> {
        if self.get(id)?.is_none() {
            return Err(AccountError::NotFound(format!("no account with id {id}")));
        }
        self.db(self.connection.execute_batch("BEGIN IMMEDIATE"))?;
        let result = self
            .connection
            .execute("UPDATE Account SET IsDefault = 0", [])
            .and_then(|_| {
                self.connection.execute(
                    "UPDATE Account SET IsDefault = 1 WHERE AccountId = ?1",
                    params![id],
                )
            });
        let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
        let ended = self.connection.execute_batch(end);
        self.db(result)?;
        self.db(ended)
    }

    /// Removes account `id`; returns whether it existed.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub fn remove(&self, id: i64) -> Result<bool, AccountError> {
        let removed = self.db(self
            .connection
            .execute("DELETE FROM Account WHERE AccountId = ?1", params![id]))?;
        Ok(removed > 0)
    }
}

/// The `RestApi` form of a server address: the API base without the
/// trailing slash, as the Python client stores it.
fn rest_api_of(server: &str) -> Result<String, crate::Error> {
    let url = ServerUrl::parse(server, true)?;
    Ok(url.api().as_str().trim_end_matches('/').to_owned())
}

fn account_of_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Account> {
    let text = |index: usize| -> rusqlite::Result<String> {
        Ok(row.get::<_, Option<String>>(index)?.unwrap_or_default())
    };
    Ok(Account {
        id: row.get(0)?,
        server_name: text(1)?,
        rest_api: text(2)?,
        email: text(3)?,
        token: SecretString::from(text(4)?),
        is_default: is_true(&row.get::<_, SqlValue>(5)?),
    })
}

/// `IsDefault` is an integer for the Python client and sqlite-net (1/0), but
/// older writers may have left text (`'true'`).
fn is_true(value: &SqlValue) -> bool {
    match value {
        SqlValue::Integer(n) => *n != 0,
        SqlValue::Real(x) => *x != 0.0,
        SqlValue::Text(t) => matches!(t.trim().to_ascii_lowercase().as_str(), "1" | "true"),
        SqlValue::Null | SqlValue::Blob(_) => false,
    }
}

/// Creates the file, readable and writable by its owner only, before any
/// token is written into it. An existing file is left as it is.
fn create_owner_only(path: &Path) -> Result<(), AccountError> {
    let io = |e| AccountError::Io(path.to_path_buf(), e);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(io(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_db(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "speckle-accounts-{name}-{}-{}",
            std::process::id(),
            fastrand_suffix()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        dir.join("SpeckleSettings").join("SpeckleCache.db")
    }

    fn fastrand_suffix() -> u128 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    }

    #[test]
    fn reads_an_account_written_with_the_python_clients_sql() {
        let path = temp_db("python");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "CREATE TABLE Account ([AccountId] integer NOT NULL PRIMARY KEY AUTOINCREMENT,\
                 [ServerName] varchar, [RestApi] varchar, [Email] varchar, [Token] varchar,\
                 [IsDefault] integer, UNIQUE(RestApi,Email));\
                 INSERT INTO Account(AccountId,ServerName,RestApi,Email,Token,IsDefault)\
                 VALUES(NULL,'Hestia','https://hestia.speckle.works/api/v1','a@b.c','JWT abc',0);",
            )
            .unwrap();
        }
        let store = AccountStore::open(&path).unwrap();
        let account = store.select(Some("hestia.speckle.works"), None).unwrap();
        assert_eq!(account.email, "a@b.c");
        assert_eq!(account.token.expose_secret(), "JWT abc");
        assert!(!format!("{account:?}").contains("abc"));
        let _ = std::fs::remove_dir_all(path.parent().unwrap().parent().unwrap());
    }

    #[test]
    fn first_account_becomes_default_and_use_moves_it() {
        let path = temp_db("default");
        let store = AccountStore::open(&path).unwrap();
        let new = |email: &str| NewAccount {
            server_name: "S".into(),
            server: "http://127.0.0.1:3000".into(),
            email: email.into(),
            token: SecretString::from("JWT t"),
        };
        let first = store.save(&new("one@x.y")).unwrap();
        let second = store.save(&new("two@x.y")).unwrap();
        assert!(first.is_default && !second.is_default);
        assert_eq!(first.rest_api, "http://127.0.0.1:3000/api/v1");
        store.set_default(second.id).unwrap();
        assert_eq!(store.default_account().unwrap().unwrap().id, second.id);
        // Without a name, and among several on one server, the default wins.
        assert_eq!(store.select(None, None).unwrap().id, second.id);
        assert_eq!(
            store
                .select(Some("127.0.0.1:3000"), None)
                .map(|a| a.id)
                .ok(),
            None,
            "no scheme means https: another server"
        );
        assert_eq!(
            store
                .select(Some("http://127.0.0.1:3000/api"), None)
                .unwrap()
                .id,
            second.id
        );
        assert_eq!(store.select(None, Some("ONE@x.y")).unwrap().id, first.id);
        assert_eq!(
            store
                .list()
                .unwrap()
                .iter()
                .filter(|a| a.is_default)
                .count(),
            1
        );
        // Saving again refreshes instead of adding a row.
        store.save(&new("one@x.y")).unwrap();
        assert_eq!(store.list().unwrap().len(), 2);
        assert!(store.remove(first.id).unwrap());
        assert!(!store.remove(first.id).unwrap());
        let _ = std::fs::remove_dir_all(path.parent().unwrap().parent().unwrap());
    }

    #[cfg(unix)]
    #[test]
    fn a_new_cache_file_is_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let path = temp_db("mode");
        AccountStore::open(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let _ = std::fs::remove_dir_all(path.parent().unwrap().parent().unwrap());
    }
}
