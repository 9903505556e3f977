//! The collections and their indexed columns.

/// A MongoDB collection of the real server, as a table here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coll {
    Users,
    Streams,
    Objects,
    Clients,
    Comments,
    Projects,
}

impl Coll {
    pub(crate) fn table(self) -> &'static str {
        match self {
            Coll::Users => "users",
            Coll::Streams => "streams",
            Coll::Objects => "objects",
            Coll::Clients => "clients",
            Coll::Comments => "comments",
            Coll::Projects => "projects",
        }
    }

    /// The indexed column and the document field it mirrors.
    pub(crate) fn key_field(self) -> Option<(&'static str, &'static str)> {
        match self {
            Coll::Streams => Some(("stream_id", "streamId")),
            Coll::Objects => Some(("hash", "hash")),
            Coll::Clients => Some(("stream_id", "streamId")),
            Coll::Users | Coll::Comments | Coll::Projects => None,
        }
    }
}
