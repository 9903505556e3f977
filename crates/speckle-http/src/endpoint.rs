//! The [`Endpoint`] trait: a description of one request to one server route.
//!
//! An endpoint says which route it targets, its concrete path, query and body,
//! and which type its answer decodes into. It performs no I/O: [`execute`]
//! does, for every endpoint alike.
//!
//! [`execute`]: crate::execute

use std::borrow::Cow;
use std::fmt;

use serde::de::DeserializeOwned;
use speckle_types::percent::{percent_encode, EncodeSet};

use crate::query::Query;
use crate::Error;

/// An HTTP method used by the Speckle v1 API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `DELETE`
    Delete,
}

impl Method {
    /// The method's name, upper case.
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a route authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthMode {
    /// No token is sent.
    None,
    /// The token is sent when the client has one; anonymous otherwise.
    Optional,
    /// A token is required; without one the SDK fails before sending.
    Token,
    /// A token of an admin user is required.
    Admin,
}

/// Where a route's path starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mount {
    /// Under the API router (`/api/v1` or `/api`, as the client was configured).
    Api,
    /// Under the server root (`/api/plugins` exists only there).
    Root,
}

/// A server route: method and path template, as in the server's route table
/// (`/streams/:streamId`), plus its authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Route {
    /// The method.
    pub method: Method,
    /// The path template relative to the mount, e.g. `/streams/:streamId`.
    pub template: &'static str,
    /// How the route authenticates.
    pub auth: AuthMode,
    /// Where the template starts.
    pub mount: Mount,
}

impl Route {
    /// A route under the API router.
    pub const fn api(method: Method, template: &'static str, auth: AuthMode) -> Self {
        Self {
            method,
            template,
            auth,
            mount: Mount::Api,
        }
    }

    /// The concrete path of this route relative to its mount, without the
    /// leading slash: each `:param` of the template replaced, in order, by
    /// the next of `params`, percent-encoded as one path segment (so an id
    /// can never leave its segment or climb out of the route).
    ///
    /// This is the only place a path is built from a template: an
    /// endpoint's path cannot disagree with its [`Endpoint::ROUTE`].
    ///
    /// ```
    /// use speckle_http::{AuthMode, Method, Route};
    /// let route = Route::api(Method::Get, "/streams/:streamId/diff/:otherId", AuthMode::Optional);
    /// assert_eq!(route.path_with(&["a/b", "c"]), "streams/a%2Fb/diff/c");
    /// ```
    pub fn path_with(&self, params: &[&str]) -> Cow<'static, str> {
        let template = self.template.trim_matches('/');
        if !template.contains(':') {
            return Cow::Borrowed(template);
        }
        let mut params = params.iter();
        let segments: Vec<String> = template
            .split('/')
            .map(|part| match part.strip_prefix(':') {
                // A missing value leaves an empty segment, which no route
                // matches: the per-route tests pin every path exactly.
                Some(_) => percent_encode(
                    params.next().copied().unwrap_or_default(),
                    EncodeSet::PathSegment,
                ),
                None => part.to_owned(),
            })
            .collect();
        Cow::Owned(segments.join("/"))
    }

    /// The template as the server's route table writes it, with the `/api`
    /// prefix (`/api/streams/:streamId`).
    pub fn full_template(&self) -> String {
        match self.mount {
            Mount::Api => format!("/api{}", self.template.trim_end_matches('/')),
            Mount::Root => self.template.to_owned(),
        }
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.full_template())
    }
}

/// One request to one route.
///
/// Implementors are small structs with private fields, a `new` taking what the
/// route requires and consuming setters for the rest.
///
/// ```
/// use speckle_http::{Endpoint, Method};
/// use speckle_http::endpoints::streams::GetStream;
///
/// let endpoint = GetStream::new("60uCme_s0").fields(["name", "layers"]);
/// assert_eq!(GetStream::ROUTE.method, Method::Get);
/// assert_eq!(endpoint.path(), "streams/60uCme_s0");
/// assert_eq!(endpoint.query().to_query_string(), "fields=name,layers");
/// ```
pub trait Endpoint: Send + Sync {
    /// What a successful answer decodes into.
    type Response: DeserializeOwned;

    /// The route this endpoint targets.
    const ROUTE: Route;

    /// The values of the route template's `:params`, in template order
    /// (`["60uCme_s0"]` for `/streams/:streamId`). None by default.
    fn path_params(&self) -> Vec<&str> {
        Vec::new()
    }

    /// The concrete path relative to the mount, segments percent-encoded,
    /// without a leading slash (`streams/60uCme_s0`): always
    /// [`ROUTE`](Self::ROUTE)'s template filled with
    /// [`path_params`](Self::path_params).
    fn path(&self) -> Cow<'_, str> {
        Self::ROUTE.path_with(&self.path_params())
    }

    /// The query string parameters.
    fn query(&self) -> Query {
        Query::default()
    }

    /// The JSON body, if the route takes one.
    ///
    /// # Errors
    /// When the body cannot be serialized, or the caller's input is invalid
    /// for the route (checked here so that nothing is sent).
    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        Ok(None)
    }

    /// Whether an error status with a JSON body saying `success: true` is
    /// still a successful answer. Only delta GET does this (400 with a full
    /// body when a stream has no sender client).
    fn success_despite_status(&self) -> bool {
        false
    }

    /// Whether sending the request twice has the same effect as once, so that
    /// it may be retried after a timeout or a lost connection. By default GET,
    /// PUT and DELETE are; POST routes that only read (getbulk) or are
    /// content-addressed (object upload) say so themselves.
    fn idempotent(&self) -> bool {
        Self::ROUTE.method != Method::Post
    }

    /// Whether to gzip the body (`Content-Encoding: gzip`; the server inflates
    /// it and applies its size limit to the inflated body).
    fn gzip(&self) -> bool {
        false
    }
}

/// Serializes a request body to JSON bytes.
pub(crate) fn json_body<T: serde::Serialize + ?Sized>(value: &T) -> Result<Option<Vec<u8>>, Error> {
    serde_json::to_vec(value)
        .map(Some)
        .map_err(|e| Error::new(crate::ErrorKind::Encode).with_source(e))
}
