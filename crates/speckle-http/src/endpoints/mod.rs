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

/// Calls the macro `$callback` with the path of every endpoint type of this
/// crate, comma-separated: the one list of endpoints. [`ALL_ROUTES`] is
/// built from it, and so is anything else that must see every endpoint
/// (the contract suite's replay of recorded exchanges). A unit test reads
/// every source file of the crate and fails when an `impl Endpoint for`
/// anywhere in it is not listed here.
#[doc(hidden)]
#[macro_export]
macro_rules! for_each_endpoint {
    ($callback:ident) => {
        $callback! {
            $crate::endpoints::server::GetServerInfo,
            $crate::endpoints::server::GetPlugins,
            $crate::endpoints::accounts::Register,
            $crate::endpoints::accounts::Login,
            $crate::endpoints::accounts::GetProfile,
            $crate::endpoints::accounts::ListAllUsers,
            $crate::endpoints::accounts::UpdateProfile,
            $crate::endpoints::accounts::GetUser,
            $crate::endpoints::accounts::AdminUpdateUser,
            $crate::endpoints::accounts::SearchUsers,
            $crate::endpoints::clients::CreateClient,
            $crate::endpoints::clients::ListClients,
            $crate::endpoints::clients::GetClient,
            $crate::endpoints::clients::UpdateClient,
            $crate::endpoints::clients::DeleteClient,
            $crate::endpoints::streams::CreateStream,
            $crate::endpoints::streams::ListStreams,
            $crate::endpoints::streams::ListAllStreams,
            $crate::endpoints::streams::GetStream,
            $crate::endpoints::streams::UpdateStream,
            $crate::endpoints::streams::DeleteStream,
            $crate::endpoints::streams::CloneStream,
            $crate::endpoints::streams::DiffStreams,
            $crate::endpoints::streams::GetStreamDelta,
            $crate::endpoints::streams::ApplyStreamDelta,
            $crate::endpoints::streams::ListStreamObjects,
            $crate::endpoints::streams::ListStreamClients,
            $crate::endpoints::objects::CreateObjects,
            $crate::endpoints::objects::DeriveObjects,
            $crate::endpoints::objects::GetObject,
            $crate::endpoints::objects::GetBulkObjects,
            $crate::endpoints::objects::UpdateObject,
            $crate::endpoints::objects::UpdateObjectProperties,
            $crate::endpoints::objects::DeleteObject,
            $crate::endpoints::comments::ListComments,
            $crate::endpoints::comments::ListAssignedComments,
            $crate::endpoints::comments::CreateComment,
            $crate::endpoints::comments::ListResourceComments,
            $crate::endpoints::comments::GetComment,
            $crate::endpoints::comments::UpdateComment,
            $crate::endpoints::comments::DeleteComment,
            $crate::endpoints::projects::CreateProject,
            $crate::endpoints::projects::ListProjects,
            $crate::endpoints::projects::ListAllProjects,
            $crate::endpoints::projects::GetProject,
            $crate::endpoints::projects::UpdateProject,
            $crate::endpoints::projects::AddProjectStream,
            $crate::endpoints::projects::RemoveProjectStream,
            $crate::endpoints::projects::AddProjectUser,
            $crate::endpoints::projects::RemoveProjectUser,
            $crate::endpoints::projects::UpgradeProjectUser,
            $crate::endpoints::projects::DowngradeProjectUser,
            $crate::endpoints::projects::DeleteProject
        }
    };
}

macro_rules! routes_of {
    ($($ty:path),* $(,)?) => {
        /// The route of every endpoint type in this crate.
        pub const ALL_ROUTES: &[Route] = &[$(<$ty as Endpoint>::ROUTE),*];

        /// The name of every endpoint type, for the registry test.
        #[cfg(test)]
        const ENDPOINT_NAMES: &[&str] = &[$(stringify!($ty)),*];
    };
}

for_each_endpoint!(routes_of);

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
    use super::ENDPOINT_NAMES;

    /// Every Rust source file of this crate, found at test time: a new file
    /// with an endpoint in it cannot escape the check by not being listed.
    fn crate_sources() -> Vec<(std::path::PathBuf, String)> {
        let mut pending = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src"
        ))];
        let mut sources = Vec::new();
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(&dir).expect("the crate's src is readable") {
                let path = entry.expect("a directory entry").path();
                if path.is_dir() {
                    pending.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).expect("a readable source");
                    sources.push((path, text));
                }
            }
        }
        sources
    }

    /// The endpoint types a source declares: every `impl Endpoint for X`
    /// (generic impls included) and the endpoints declared through a
    /// `member_route!(…, Name, …)` macro call.
    fn declared(source: &str) -> Vec<String> {
        let mut names: Vec<String> = source
            .lines()
            .map(str::trim_start)
            .filter(|line| line.starts_with("impl"))
            .filter_map(|line| line.split_once("Endpoint for ").map(|(_, rest)| rest))
            .filter_map(|rest| {
                rest.split(|c: char| !c.is_alphanumeric() && c != '_')
                    .next()
            })
            // `$name` inside a macro: the macro's calls are counted below.
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
            .collect();
        for call in source.split("member_route!(").skip(1) {
            // The type name follows the doc comment lines.
            let name = call
                .lines()
                .map(str::trim)
                .find(|line| !line.is_empty() && !line.starts_with("///"))
                .and_then(|line| line.split(',').next())
                .map(str::trim);
            if let Some(name) =
                name.filter(|n| n.chars().all(|c| c.is_alphanumeric() || c == '_') && !n.is_empty())
            {
                names.push(name.to_owned());
            }
        }
        names
    }

    #[test]
    fn every_endpoint_type_is_registered() {
        // Registered names are written with `$crate` (`$crate::endpoints::streams::GetStream`
        // stringifies with spaces): compare type names.
        let registered: Vec<String> = ENDPOINT_NAMES
            .iter()
            .map(|path| path.replace(' ', ""))
            .collect();
        let mut seen = 0;
        for (path, source) in crate_sources() {
            for name in declared(&source) {
                let suffix = format!("::{name}");
                assert!(
                    registered.iter().any(|r| r.ends_with(&suffix)),
                    "endpoint {name} ({}) is not listed in for_each_endpoint!: \
                     the coverage tests would not see it",
                    path.display()
                );
                seen += 1;
            }
        }
        assert_eq!(
            seen,
            registered.len(),
            "a registered endpoint was not found in the sources"
        );
    }

    #[test]
    fn the_registry_check_sees_plain_generic_and_macro_declared_endpoints() {
        // Each line starts with a quote, so this test's own source does not
        // count as declaring endpoints.
        let source = [
            "impl Endpoint for Plain {",
            "  impl<T: Send> Endpoint for Generic<T> {",
            "impl crate::Endpoint for Qualified {",
            "// impl Endpoint for Commented",
            "member_route!(",
            "    /// docs",
            "    ByMacro,",
        ]
        .join("\n");
        assert_eq!(
            declared(&source),
            ["Plain", "Generic", "Qualified", "ByMacro"]
        );
    }
}
