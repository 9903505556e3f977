//! A local record of the objects a server already has (hash → object id), so
//! a second push of a mostly unchanged model uploads only what changed, like
//! the official connectors' `SentObject` cache.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use etcetera::BaseStrategy as _;
use speckle_types::ObjectId;

use super::prepare::{key_of_hash, HashKey};
use crate::{Error, ErrorKind, ServerUrl};

/// Hash → object id for one server. In memory, or backed by an append-only
/// file (`<hash>\t<id>` lines) that survives the process.
///
/// The cache trusts that the server still has what it once stored: an object
/// deleted on the server since (`DELETE /objects/:id`) would be referenced by
/// id without being re-uploaded. Use a fresh cache after deleting objects.
///
/// ```no_run
/// # fn demo() -> Result<(), speckle_http::Error> {
/// use speckle_http::{bulk::ObjectCache, ServerUrl};
/// let server = ServerUrl::parse("https://speckle.example.com", true)?;
/// let cache = ObjectCache::open_default(&server)?; // under the user's cache directory
/// println!("{} objects known", cache.len());
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct ObjectCache {
    known: Mutex<HashMap<HashKey, ObjectId>>,
    file: Option<Mutex<BufWriter<File>>>,
    path: Option<PathBuf>,
}

impl ObjectCache {
    /// A cache that lives only as long as the value.
    pub fn in_memory() -> Self {
        Self {
            known: Mutex::new(HashMap::new()),
            file: None,
            path: None,
        }
    }

    /// Opens (or creates) the cache file at `path`. Malformed lines (a write
    /// cut short by a crash) are skipped.
    ///
    /// # Errors
    /// When the file cannot be read or created.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref().to_path_buf();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io_error)?;
        }
        let mut known = HashMap::new();
        if let Ok(file) = File::open(&path) {
            for line in BufReader::new(file).lines() {
                let line = line.map_err(io_error)?;
                if let Some((hash, id)) = line.split_once('\t') {
                    if !hash.is_empty() && !id.is_empty() && !id.contains('\t') {
                        known.insert(key_of_hash(hash), ObjectId::new(id));
                    }
                }
            }
        }
        let torn = std::fs::read(&path)
            .ok()
            .is_some_and(|b| b.last().is_some_and(|l| *l != b'\n'));
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(io_error)?;
        if torn {
            // Start new entries on their own line after a write cut short.
            file.write_all(b"\n").map_err(io_error)?;
        }
        Ok(Self {
            known: Mutex::new(known),
            file: Some(Mutex::new(BufWriter::new(file))),
            path: Some(path),
        })
    }

    /// Opens the cache of `server` under the platform's cache directory
    /// (`$XDG_CACHE_HOME` or `~/.cache` on Linux and other Unix,
    /// `~/Library/Caches` on macOS, `%LOCALAPPDATA%` on Windows), in
    /// `speckle-rs/objects-<server>.tsv`.
    ///
    /// # Errors
    /// When no cache directory is known (no home directory) or the file
    /// cannot be opened.
    pub fn open_default(server: &ServerUrl) -> Result<Self, Error> {
        // The platform conventions are etcetera's, not hand-rolled here.
        let base = etcetera::base_strategy::choose_native_strategy()
            .map(|strategy| strategy.cache_dir())
            .map_err(|_| {
                Error::invalid_input("no cache directory (no home directory): pass a path")
            })?;
        let name: String = server
            .api()
            .as_str()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        Self::open(base.join("speckle-rs").join(format!("objects-{name}.tsv")))
    }

    /// The file behind the cache, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// How many objects are known.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether nothing is known.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<HashKey, ObjectId>> {
        self.known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The id stored for a hash.
    pub fn get(&self, hash: &str) -> Option<ObjectId> {
        self.lookup(&key_of_hash(hash))
    }

    pub(crate) fn lookup(&self, key: &HashKey) -> Option<ObjectId> {
        self.lock().get(key).cloned()
    }

    /// Records that the server stores `hash` as `id`.
    ///
    /// # Errors
    /// When the cache file cannot be written.
    pub fn insert(&self, hash: &str, id: &ObjectId) -> Result<(), Error> {
        let previous = self.lock().insert(key_of_hash(hash), id.clone());
        if previous.as_ref() == Some(id) {
            return Ok(());
        }
        if let Some(file) = &self.file {
            let mut file = file
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            writeln!(file, "{hash}\t{id}").map_err(io_error)?;
        }
        Ok(())
    }

    /// Writes buffered entries to the file.
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn flush(&self) -> Result<(), Error> {
        if let Some(file) = &self.file {
            file.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .flush()
                .map_err(io_error)?;
        }
        Ok(())
    }
}

impl Drop for ObjectCache {
    fn drop(&mut self) {
        // Best effort: an unflushed line is only a cache miss next time.
        let _ = self.flush();
    }
}

fn io_error(e: std::io::Error) -> Error {
    // The I/O error is the source: the text does not repeat it.
    Error::new(ErrorKind::InvalidInput(
        "the object cache failed".to_owned(),
    ))
    .with_source(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn survives_reopening_and_skips_torn_lines() {
        let dir = std::env::temp_dir().join(format!("speckle-cache-test-{}", std::process::id()));
        let path = dir.join("c.tsv");
        let _ = std::fs::remove_file(&path);
        {
            let cache = ObjectCache::open(&path).unwrap();
            cache.insert("h1", &ObjectId::new("o1")).unwrap();
            cache.insert("h2", &ObjectId::new("o2")).unwrap();
        }
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"torn-line-without-tab")
            .unwrap();
        let cache = ObjectCache::open(&path).unwrap();
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.get("h2"), Some(ObjectId::new("o2")));
        assert_eq!(cache.get("h3"), None);
        let _ = std::fs::remove_dir_all(dir);
    }
}
