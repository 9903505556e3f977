//! One type per server route, grouped by resource. The route each type
//! targets is its [`Endpoint::ROUTE`] and the first
//! line of its docs.
//!
//! | module | routes |
//! |---|---|
//! | [`server`] | `GET /api`, `/api/plugins` |
//! | [`accounts`] | `/accounts…`: register, login, profile, users, search, admin |
//! | [`clients`] | `/clients…`: api clients |
//! | [`streams`] | `/streams…`: CRUD, clone, diff, delta, objects, clients |
//! | [`objects`] | `/objects…`: create, derive, get, getbulk, update, properties, delete |
//! | [`comments`] | `/comments…` |
//! | [`projects`] | `/projects…`: CRUD, streams and members |
//!
//! [`ALL_ROUTES`] lists the route of every endpoint type; a test checks it
//! against the server's route table.

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use serde_json::Value;
use speckle_types::Envelope;

pub mod accounts;
pub mod clients;
pub mod comments;
pub mod objects;
pub mod projects;
pub mod server;
pub mod streams;

use crate::endpoint::{Endpoint, Route};

/// The answer of routes that only say `{success, message}`.
pub type MessageResponse = Envelope<Value>;

/// Characters escaped in a path segment: anything that could end the segment
/// or the path (`/`, `?`, `#`), `%` itself, and what URLs may not contain.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// Percent-encodes one path segment. `.` and `..` are encoded too, so an id
/// can never climb out of its route.
pub(crate) fn seg(id: &str) -> String {
    match id {
        "." => "%2E".to_owned(),
        ".." => "%2E%2E".to_owned(),
        _ => utf8_percent_encode(id, SEGMENT).to_string(),
    }
}

/// Adds the projection/sort/filter setters to an endpoint with a `query` field.
macro_rules! query_setters {
    ($ty:ident) => {
        impl $ty {
            /// Only return these keys.
            pub fn fields<S: Into<String>>(mut self, keys: impl IntoIterator<Item = S>) -> Self {
                self.query = self.query.fields(keys);
                self
            }

            /// Leave these keys out.
            pub fn omit<S: Into<String>>(mut self, keys: impl IntoIterator<Item = S>) -> Self {
                self.query = self.query.omit(keys);
                self
            }

            /// Merges a whole [`Query`](crate::query::Query) (filters, sort,
            /// paging: see the route's docs for what it honours).
            pub fn with_query(mut self, query: crate::query::Query) -> Self {
                self.query = self.query.merge(query);
                self
            }
        }
    };
}
pub(crate) use query_setters;

macro_rules! all_routes {
    ($($ty:ty),* $(,)?) => {
        /// The route of every endpoint type in this crate.
        pub const ALL_ROUTES: &[Route] = &[$(<$ty as Endpoint>::ROUTE),*];
    };
}

all_routes![
    server::GetServerInfo,
    server::GetPlugins,
    accounts::Register,
    accounts::Login,
    accounts::GetProfile,
    accounts::ListAllUsers,
    accounts::UpdateProfile,
    accounts::GetUser,
    accounts::AdminUpdateUser,
    accounts::SearchUsers,
    clients::CreateClient,
    clients::ListClients,
    clients::GetClient,
    clients::UpdateClient,
    clients::DeleteClient,
    streams::CreateStream,
    streams::ListStreams,
    streams::ListAllStreams,
    streams::GetStream,
    streams::UpdateStream,
    streams::DeleteStream,
    streams::CloneStream,
    streams::DiffStreams,
    streams::GetStreamDelta,
    streams::ApplyStreamDelta,
    streams::ListStreamObjects,
    streams::ListStreamClients,
    objects::CreateObjects,
    objects::DeriveObjects,
    objects::GetObject,
    objects::GetBulkObjects,
    objects::UpdateObject,
    objects::UpdateObjectProperties,
    objects::DeleteObject,
    comments::ListComments,
    comments::ListAssignedComments,
    comments::CreateComment,
    comments::ListResourceComments,
    comments::GetComment,
    comments::UpdateComment,
    comments::DeleteComment,
    projects::CreateProject,
    projects::ListProjects,
    projects::ListAllProjects,
    projects::GetProject,
    projects::UpdateProject,
    projects::AddProjectStream,
    projects::RemoveProjectStream,
    projects::AddProjectUser,
    projects::RemoveProjectUser,
    projects::UpgradeProjectUser,
    projects::DowngradeProjectUser,
    projects::DeleteProject,
];

/// The route a request path targets: the endpoint route whose template
/// matches `path` (`/api/v1/streams/abc`, `/api/streams/abc` or
/// `/api/plugins`), preferring literal segments (`/streams/admin` over
/// `/streams/:streamId`) and ignoring case, as the server's router does.
/// For recording transports and logs.
///
/// ```
/// use speckle_http::{endpoints::route_for, Method};
/// let route = route_for(Method::Get, "/api/v1/streams/admin").unwrap();
/// assert_eq!(route.template, "/streams/admin");
/// assert_eq!(route_for(Method::Get, "/api/streams/60uCme_s0").unwrap().template, "/streams/:streamId");
/// ```
pub fn route_for(method: crate::Method, path: &str) -> Option<Route> {
    let path = match path.strip_prefix("/api/v1") {
        Some(rest) => format!("/api{rest}"),
        None => path.to_owned(),
    };
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    ALL_ROUTES
        .iter()
        .filter(|route| route.method == method)
        .filter_map(|route| {
            let template = route.full_template();
            let parts: Vec<&str> = template.split('/').filter(|s| !s.is_empty()).collect();
            if parts.len() != segments.len() {
                return None;
            }
            let mut literal = 0;
            for (part, segment) in parts.iter().zip(&segments) {
                if part.starts_with(':') {
                    continue;
                }
                if !part.eq_ignore_ascii_case(segment) {
                    return None;
                }
                literal += 1;
            }
            Some((literal, *route))
        })
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, route)| route)
}

#[cfg(test)]
mod tests {
    use super::seg;

    #[test]
    fn segments_cannot_escape_their_route() {
        assert_eq!(seg("60uCme_s0"), "60uCme_s0");
        assert_eq!(seg("a/b?c#d"), "a%2Fb%3Fc%23d");
        assert_eq!(seg(".."), "%2E%2E");
        assert_eq!(seg("100%"), "100%25");
        assert_eq!(seg("naïve id"), "na%C3%AFve%20id");
    }
}
