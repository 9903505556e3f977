//! SQLite storage on a dedicated thread.
//!
//! Every collection is a table of JSON documents (the exact text, so key
//! order survives) plus the indexed columns the server looks things up by.
//! One thread owns the connection and runs whole request handlers as jobs,
//! each inside one transaction: the async runtime never waits on SQLite, a
//! bulk save is one commit, and handlers see a consistent database without
//! locks (the real server has no transactions either, so a job's partial
//! writes are kept when it fails half-way, like MongoDB's).

mod docs;

pub(crate) use docs::Coll;

use std::cell::Cell;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::Connection;

use crate::auth::Secret;
use crate::json::{self, map_text, Json, Map};

type Job = Box<dyn FnOnce(&mut Db) + Send>;

thread_local! {
    /// Set on the storage thread when a statement of the running job found
    /// the data file locked by another process: the job's reply is then
    /// replaced by a retryable 503 and its writes rolled back.
    static BUSY: Cell<bool> = const { Cell::new(false) };
}

/// Whether an SQLite error means "locked by someone else, try again".
fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// The data file was locked for longer than the busy timeout.
#[derive(Debug, thiserror::Error)]
#[error("the database is busy; try again shortly")]
pub(crate) struct Busy;

/// A handle to the storage thread; cheap to clone.
#[derive(Clone, Debug)]
pub(crate) struct Store {
    tx: mpsc::Sender<Job>,
}

/// The storage thread has stopped (the server is shutting down).
#[derive(Debug, thiserror::Error)]
#[error("the storage thread has stopped")]
pub(crate) struct StoreGone;

impl Store {
    /// Opens (or creates) the database and starts its thread. Returns the
    /// token secret: `given` when there is one, else the data file's own
    /// (created on first use), else for a memory database a fresh one.
    pub(crate) fn open(
        file: Option<&Path>,
        busy_timeout: Duration,
        given: Option<&Secret>,
    ) -> Result<(Store, Secret), rusqlite::Error> {
        let fresh = || crate::auth::random_secret();
        let conn = match file {
            Some(path) => {
                let c = Connection::open(path)?;
                // Another process may hold the file's write lock for a
                // moment: wait for it rather than failing at once.
                c.busy_timeout(busy_timeout)?;
                // WAL: readers of the file (e.g. the sqlite3 shell) never
                // block the server, and commits are cheaper.
                c.pragma_update(None, "journal_mode", "WAL")?;
                c.pragma_update(None, "synchronous", "NORMAL")?;
                c
            }
            None => Connection::open_in_memory()?,
        };
        let in_file = file.is_some();
        let mut db = Db { conn };
        db.migrate()?;
        let secret = match given {
            Some(secret) => secret.clone(),
            None if in_file => Secret::new(db.jwt_secret(fresh)?),
            None => Secret::new(fresh()),
        };
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("speckle-devserver-db".into())
            .spawn(move || {
                while let Ok(job) = rx.recv() {
                    // A panicking handler must not take the storage (and so
                    // the whole server) down: its caller gets a 500 instead.
                    let run = std::panic::AssertUnwindSafe(|| job(&mut db));
                    if std::panic::catch_unwind(run).is_err() {
                        tracing::error!("a storage job panicked");
                        let _ = db.conn.execute_batch("ROLLBACK");
                    }
                }
            })
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        Ok((Store { tx }, secret))
    }

    /// Runs `f` on the storage thread inside one transaction and returns its
    /// result.
    pub(crate) async fn call<R, F>(&self, f: F) -> Result<R, StoreGone>
    where
        R: Send + 'static,
        F: FnOnce(&mut Db) -> R + Send + 'static,
    {
        Ok(self.call_unless_busy(f).await?.0)
    }

    /// Like [`Store::call`], and also says whether the data file was
    /// locked by another process during the job (`Err(Busy)`); the job's
    /// writes are then rolled back, so the whole request can be retried.
    pub(crate) async fn call_or_busy<R, F>(&self, f: F) -> Result<Result<R, Busy>, StoreGone>
    where
        R: Send + 'static,
        F: FnOnce(&mut Db) -> R + Send + 'static,
    {
        let (out, busy) = self.call_unless_busy(f).await?;
        Ok(if busy { Err(Busy) } else { Ok(out) })
    }

    async fn call_unless_busy<R, F>(&self, f: F) -> Result<(R, bool), StoreGone>
    where
        R: Send + 'static,
        F: FnOnce(&mut Db) -> R + Send + 'static,
    {
        let (done, wait) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |db: &mut Db| {
            BUSY.with(|b| b.set(false));
            let began = db.conn.execute_batch("BEGIN").is_ok();
            let out = f(db);
            let mut busy = BUSY.with(Cell::get);
            if began {
                if busy {
                    let _ = db.conn.execute_batch("ROLLBACK");
                } else if let Err(e) = db.conn.execute_batch("COMMIT") {
                    busy = is_busy(&e);
                    tracing::error!("commit failed: {e}");
                    let _ = db.conn.execute_batch("ROLLBACK");
                }
            }
            let _ = done.send((out, busy));
        });
        self.tx.send(job).map_err(|_| StoreGone)?;
        wait.await.map_err(|_| StoreGone)
    }
}

/// The connection, owned by the storage thread.
pub(crate) struct Db {
    conn: Connection,
}

/// Who may read an object, as far as its row says without parsing it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ObjectAccess {
    /// `private: false`: anyone may read it.
    pub(crate) public: bool,
    /// The owner's user id.
    pub(crate) owner: Option<String>,
}

/// A storage failure inside a job.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DbError {
    #[error("{0}")]
    Sqlite(rusqlite::Error),
    #[error("stored document is not valid JSON: {0}")]
    Corrupt(String),
    /// A new document's `_id` is in use (MongoDB's duplicate key error).
    #[error("E11000 duplicate key error collection: {0} index: _id_ dup key: {{ _id: {1} }}")]
    Duplicate(&'static str, String),
}

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> Self {
        // Every statement error of a job passes through here, whatever the
        // handler then makes of it: note a lock so the reply becomes a 503.
        if is_busy(&e) {
            BUSY.with(|b| b.set(true));
        }
        DbError::Sqlite(e)
    }
}

pub(crate) type DbResult<T> = Result<T, DbError>;

fn parse_doc(text: &str) -> DbResult<Json> {
    json::parse(text.as_bytes()).map_err(|e| DbError::Corrupt(e.message))
}

impl Db {
    /// A private in-memory database for unit tests.
    #[cfg(test)]
    pub(crate) fn memory() -> Db {
        let mut db = Db {
            conn: Connection::open_in_memory().expect("in-memory sqlite"),
        };
        db.migrate().expect("schema");
        db
    }

    fn migrate(&mut self) -> rusqlite::Result<()> {
        self.conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS users (
                 id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, apitoken TEXT,
                 password TEXT NOT NULL, doc TEXT NOT NULL);
             CREATE INDEX IF NOT EXISTS users_apitoken ON users(apitoken);
             CREATE TABLE IF NOT EXISTS streams (
                 id TEXT PRIMARY KEY, stream_id TEXT NOT NULL, doc TEXT NOT NULL);
             CREATE INDEX IF NOT EXISTS streams_stream_id ON streams(stream_id);
             CREATE TABLE IF NOT EXISTS objects (
                 id TEXT PRIMARY KEY, hash TEXT, pub INTEGER NOT NULL DEFAULT 0,
                 doc TEXT NOT NULL);
             CREATE INDEX IF NOT EXISTS objects_hash ON objects(hash);
             CREATE TABLE IF NOT EXISTS clients (
                 id TEXT PRIMARY KEY, stream_id TEXT, doc TEXT NOT NULL);
             CREATE INDEX IF NOT EXISTS clients_stream_id ON clients(stream_id);
             CREATE TABLE IF NOT EXISTS comments (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS projects (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
        )
    }

    /// The token secret kept in this data file, stored first from `fresh`
    /// when the file has none, so tokens survive a restart of the file.
    fn jwt_secret(&mut self, fresh: impl FnOnce() -> String) -> rusqlite::Result<String> {
        let stored: Option<String> = self
            .conn
            .prepare("SELECT value FROM settings WHERE key = 'jwt_secret'")?
            .query_row([], |r| r.get(0))
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                other => Err(other),
            })?;
        if let Some(secret) = stored {
            return Ok(secret);
        }
        let secret = fresh();
        self.conn.execute(
            "INSERT INTO settings (key, value) VALUES ('jwt_secret', ?1)",
            [&secret],
        )?;
        Ok(secret)
    }

    /// One document by `_id`.
    pub(crate) fn get(&self, coll: Coll, id: &str) -> DbResult<Option<Json>> {
        let sql = format!("SELECT doc FROM {} WHERE id = ?1", coll.table());
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query([id])?;
        match rows.next()? {
            Some(row) => Ok(Some(parse_doc(&row.get::<_, String>(0)?)?)),
            None => Ok(None),
        }
    }

    /// For getbulk: each object's stored text and whether anyone may read
    /// it (`private: false`), so public objects go out unparsed. Calls
    /// `each` in id order, with one prepared statement, until it returns
    /// false; returns how many ids were visited.
    pub(crate) fn each_object_for_bulk(
        &self,
        ids: &[String],
        mut each: impl FnMut(Option<(bool, String)>) -> bool,
    ) -> DbResult<usize> {
        let mut stmt = self
            .conn
            .prepare("SELECT pub, doc FROM objects WHERE id = ?1")?;
        let mut visited = 0;
        for id in ids {
            let mut rows = stmt.query([id])?;
            let found = match rows.next()? {
                Some(row) => Some((row.get::<_, i64>(0)? == 1, row.get(1)?)),
                None => None,
            };
            visited += 1;
            if !each(found) {
                break;
            }
        }
        Ok(visited)
    }

    /// For each id, whether the object is public and who owns it, without
    /// parsing it (`None` when there is no such object); one prepared
    /// statement for the whole list.
    pub(crate) fn objects_access(&self, ids: &[String]) -> DbResult<Vec<Option<ObjectAccess>>> {
        let mut stmt = self
            .conn
            .prepare("SELECT pub, json_extract(doc, '$.owner') FROM objects WHERE id = ?1")?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let mut rows = stmt.query([id])?;
            out.push(match rows.next()? {
                Some(row) => Some(ObjectAccess {
                    public: row.get::<_, i64>(0)? == 1,
                    owner: row.get::<_, Option<String>>(1).ok().flatten(),
                }),
                None => None,
            });
        }
        Ok(out)
    }

    /// Objects by id with their natural position (rowid); missing ids are
    /// skipped.
    pub(crate) fn objects_by_ids(&self, ids: &[String]) -> DbResult<Vec<(i64, Json)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT rowid, doc FROM objects WHERE id = ?1")?;
        let mut out = Vec::new();
        for id in ids {
            let mut rows = stmt.query([id])?;
            if let Some(row) = rows.next()? {
                out.push((row.get(0)?, parse_doc(&row.get::<_, String>(1)?)?));
            }
        }
        Ok(out)
    }

    /// Every document of a collection in insertion (natural) order.
    pub(crate) fn all(&self, coll: Coll) -> DbResult<Vec<Json>> {
        let sql = format!("SELECT doc FROM {} ORDER BY rowid", coll.table());
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(parse_doc(&row.get::<_, String>(0)?)?);
        }
        Ok(out)
    }

    /// A stream by its `streamId`.
    pub(crate) fn stream(&self, stream_id: &str) -> DbResult<Option<Json>> {
        let mut stmt = self
            .conn
            .prepare("SELECT doc FROM streams WHERE stream_id = ?1 ORDER BY rowid LIMIT 1")?;
        let mut rows = stmt.query([stream_id])?;
        match rows.next()? {
            Some(row) => Ok(Some(parse_doc(&row.get::<_, String>(0)?)?)),
            None => Ok(None),
        }
    }

    /// Whether a streamId is taken.
    pub(crate) fn stream_id_taken(&self, stream_id: &str) -> DbResult<bool> {
        let mut stmt = self
            .conn
            .prepare("SELECT 1 FROM streams WHERE stream_id = ?1 LIMIT 1")?;
        Ok(stmt.exists([stream_id])?)
    }

    /// Clients whose `streamId` is the given one, in natural order.
    pub(crate) fn clients_of_stream(&self, stream_id: &str) -> DbResult<Vec<Json>> {
        let mut stmt = self
            .conn
            .prepare("SELECT doc FROM clients WHERE stream_id = ?1 ORDER BY rowid")?;
        let mut rows = stmt.query([stream_id])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(parse_doc(&row.get::<_, String>(0)?)?);
        }
        Ok(out)
    }

    /// For each distinct hash, the `_id` of the last-inserted object with it
    /// that `owner` owns (BulkObjectSave maps every match in turn, so the
    /// last one wins). Objects of other users never match: their owner
    /// could change them later, under the caller's streams.
    pub(crate) fn object_ids_by_hashes(
        &self,
        hashes: &[&str],
        owner: &str,
    ) -> DbResult<std::collections::HashMap<String, String>> {
        let mut stmt = self.conn.prepare(
            "SELECT id FROM objects WHERE hash = ?1 AND json_extract(doc, '$.owner') = ?2
             ORDER BY rowid DESC LIMIT 1",
        )?;
        let mut out = std::collections::HashMap::new();
        for h in hashes {
            if out.contains_key(*h) {
                continue;
            }
            let mut rows = stmt.query([h, &owner])?;
            if let Some(row) = rows.next()? {
                out.insert((*h).to_string(), row.get(0)?);
            }
        }
        Ok(out)
    }

    /// Inserts new objects with one prepared statement.
    pub(crate) fn insert_objects(&self, docs: &[Map]) -> DbResult<()> {
        let mut stmt = self
            .conn
            .prepare("INSERT INTO objects (id, hash, pub, doc) VALUES (?1, ?2, ?3, ?4)")?;
        for doc in docs {
            let id = doc.get("_id").and_then(Json::as_str).unwrap_or_default();
            stmt.execute(rusqlite::params![
                id,
                doc.get("hash").map(key_text),
                is_public(doc),
                map_text(doc)
            ])?;
        }
        Ok(())
    }

    /// A user and their password hash, by e-mail.
    pub(crate) fn user_by_email(&self, email: &str) -> DbResult<Option<(Json, String)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT doc, password FROM users WHERE email = ?1")?;
        let mut rows = stmt.query([email])?;
        match rows.next()? {
            Some(row) => Ok(Some((
                parse_doc(&row.get::<_, String>(0)?)?,
                row.get::<_, String>(1)?,
            ))),
            None => Ok(None),
        }
    }

    /// A user by exact apitoken (the websocket's authentication).
    pub(crate) fn user_by_apitoken(&self, token: &str) -> DbResult<Option<Json>> {
        let mut stmt = self
            .conn
            .prepare("SELECT doc FROM users WHERE apitoken = ?1 ORDER BY rowid LIMIT 1")?;
        let mut rows = stmt.query([token])?;
        match rows.next()? {
            Some(row) => Ok(Some(parse_doc(&row.get::<_, String>(0)?)?)),
            None => Ok(None),
        }
    }

    /// Number of stored objects.
    pub(crate) fn object_count(&self) -> DbResult<i64> {
        Ok(self
            .conn
            .query_row("SELECT COUNT(*) FROM objects", [], |r| r.get(0))?)
    }

    /// Number of users.
    pub(crate) fn user_count(&self) -> DbResult<i64> {
        Ok(self
            .conn
            .query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))?)
    }

    /// Inserts a new user; `Ok(false)` when the e-mail is taken.
    pub(crate) fn insert_user(&self, doc: &Map, password_hash: &str) -> DbResult<bool> {
        let id = doc.get("_id").and_then(Json::as_str).unwrap_or_default();
        let email = doc.get("email").and_then(Json::as_str).unwrap_or_default();
        let token = doc.get("apitoken").and_then(Json::as_str);
        let mut stmt = self.conn.prepare(
            "INSERT OR IGNORE INTO users (id, email, apitoken, password, doc) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        let n = stmt.execute(rusqlite::params![
            id,
            email,
            token,
            password_hash,
            map_text(doc)
        ])?;
        Ok(n == 1)
    }

    /// Inserts a document (its `_id` and indexed fields are read from it).
    /// A client may choose the `_id` of what it creates: one in use is a
    /// duplicate key, as in MongoDB, never a replacement of the stored
    /// document (which may be another user's).
    pub(crate) fn insert(&self, coll: Coll, doc: &Map) -> DbResult<()> {
        let id = doc.get("_id").and_then(Json::as_str).unwrap_or_default();
        if self.get(coll, id)?.is_some() {
            return Err(DbError::Duplicate(coll.table(), id.to_string()));
        }
        let text = map_text(doc);
        if coll == Coll::Objects {
            self.conn
                .prepare("INSERT INTO objects (id, hash, pub, doc) VALUES (?1, ?2, ?3, ?4)")?
                .execute(rusqlite::params![
                    id,
                    doc.get("hash").map(key_text),
                    is_public(doc),
                    text
                ])?;
            return Ok(());
        }
        match coll.key_field() {
            Some((column, field)) => {
                let sql = format!(
                    "INSERT INTO {} (id, {column}, doc) VALUES (?1, ?2, ?3)",
                    coll.table()
                );
                let key = doc.get(field).map(key_text);
                self.conn
                    .prepare(&sql)?
                    .execute(rusqlite::params![id, key, text])?;
            }
            None => {
                let sql = format!("INSERT INTO {} (id, doc) VALUES (?1, ?2)", coll.table());
                self.conn
                    .prepare(&sql)?
                    .execute(rusqlite::params![id, text])?;
            }
        }
        Ok(())
    }

    /// Replaces a stored document (matched by `_id`), keeping its natural
    /// position.
    pub(crate) fn update(&self, coll: Coll, doc: &Map) -> DbResult<()> {
        let id = doc.get("_id").and_then(Json::as_str).unwrap_or_default();
        let text = map_text(doc);
        if coll == Coll::Objects {
            self.conn
                .prepare("UPDATE objects SET hash = ?2, pub = ?3, doc = ?4 WHERE id = ?1")?
                .execute(rusqlite::params![
                    id,
                    doc.get("hash").map(key_text),
                    is_public(doc),
                    text
                ])?;
            return Ok(());
        }
        if coll == Coll::Users {
            let email = doc.get("email").and_then(Json::as_str).unwrap_or_default();
            let token = doc.get("apitoken").and_then(Json::as_str);
            self.conn
                .prepare("UPDATE users SET email = ?2, apitoken = ?3, doc = ?4 WHERE id = ?1")?
                .execute(rusqlite::params![id, email, token, text])?;
            return Ok(());
        }
        match coll.key_field() {
            Some((column, field)) => {
                let sql = format!(
                    "UPDATE {} SET {column} = ?2, doc = ?3 WHERE id = ?1",
                    coll.table()
                );
                let key = doc.get(field).map(key_text);
                self.conn
                    .prepare(&sql)?
                    .execute(rusqlite::params![id, key, text])?;
            }
            None => {
                let sql = format!("UPDATE {} SET doc = ?2 WHERE id = ?1", coll.table());
                self.conn
                    .prepare(&sql)?
                    .execute(rusqlite::params![id, text])?;
            }
        }
        Ok(())
    }

    /// Deletes by `_id`; returns how many were removed.
    pub(crate) fn delete(&self, coll: Coll, id: &str) -> DbResult<usize> {
        let sql = format!("DELETE FROM {} WHERE id = ?1", coll.table());
        Ok(self.conn.prepare(&sql)?.execute([id])?)
    }

    /// Deletes streams by streamId; returns how many were removed.
    pub(crate) fn delete_streams(&self, stream_ids: &[String]) -> DbResult<usize> {
        let mut n = 0;
        let mut stmt = self
            .conn
            .prepare("DELETE FROM streams WHERE stream_id = ?1")?;
        for sid in stream_ids {
            n += stmt.execute([sid])?;
        }
        Ok(n)
    }

    /// Whether an e-mail is registered.
    pub(crate) fn email_taken(&self, email: &str) -> DbResult<bool> {
        let mut stmt = self.conn.prepare("SELECT 1 FROM users WHERE email = ?1")?;
        Ok(stmt.exists([email])?)
    }
}

/// Whether an object is readable by anyone.
fn is_public(doc: &Map) -> bool {
    matches!(doc.get("private"), Some(Json::Bool(false)))
}

/// The text stored in an index column (hashes may arrive as numbers).
fn key_text(v: &Json) -> String {
    match v {
        Json::Str(s) => s.clone(),
        other => other.js_string(),
    }
}
