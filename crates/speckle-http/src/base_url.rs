//! Turning what users type as a server address into the API base URL.

use url::Url;

use crate::Error;

/// The server's address, normalised: its root and the API router's base.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerUrl {
    root: Url,
    api: Url,
    /// The user typed no scheme and `use_ssl` chose it (errors say so).
    scheme_chosen: bool,
}

impl ServerUrl {
    /// Accepts, as the Python and C# clients do:
    /// - `https://host` or `http://host:3000` (the API is at `/api/v1`);
    /// - a full API URL, `https://host/api/v1` or `https://host/api`;
    /// - a bare `host` or `host:port`, with `use_ssl` choosing the scheme;
    /// - a server under a sub-path, `https://host/speckle` (API at
    ///   `/speckle/api/v1`).
    ///
    /// ```
    /// use speckle_http::ServerUrl;
    /// let url = ServerUrl::parse("hestia.speckle.works", true).unwrap();
    /// assert_eq!(url.api().as_str(), "https://hestia.speckle.works/api/v1/");
    /// let url = ServerUrl::parse("http://127.0.0.1:3000/api", true).unwrap();
    /// assert_eq!(url.api().as_str(), "http://127.0.0.1:3000/api/");
    /// assert_eq!(url.root().as_str(), "http://127.0.0.1:3000/");
    /// ```
    ///
    /// # Errors
    /// When the text is not a usable http(s) URL.
    pub fn parse(input: &str, use_ssl: bool) -> Result<Self, Error> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(Error::invalid_input("the server URL is empty"));
        }
        let scheme_chosen = !trimmed.contains("://");
        let with_scheme = if !scheme_chosen {
            trimmed.to_owned()
        } else {
            let scheme = if use_ssl { "https" } else { "http" };
            format!("{scheme}://{trimmed}")
        };
        // Errors quote the URL as given, minus any credentials in it.
        let shown = without_credentials(trimmed);
        let parsed = Url::parse(&with_scheme)
            .map_err(|e| Error::invalid_input(format!("`{shown}` is not a URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(Error::invalid_input(format!(
                "`{shown}`: only http and https servers are supported"
            )));
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(Error::invalid_input(format!("`{shown}` has no host")));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(Error::invalid_input(
                "the server URL must not carry credentials: log in instead",
            ));
        }
        let path = parsed.path().trim_end_matches('/');
        let (root_path, api_path) = if let Some(prefix) = path.strip_suffix("/api/v1") {
            (prefix.to_owned(), path.to_owned())
        } else if let Some(prefix) = path.strip_suffix("/api") {
            (prefix.to_owned(), path.to_owned())
        } else {
            (path.to_owned(), format!("{path}/api/v1"))
        };
        let mut root = parsed.clone();
        root.set_query(None);
        root.set_fragment(None);
        root.set_path(&format!("{root_path}/"));
        let mut api = root.clone();
        api.set_path(&format!("{api_path}/"));
        Ok(Self {
            root,
            api,
            scheme_chosen,
        })
    }

    /// The server root, with a trailing slash (`https://host/`).
    pub fn root(&self) -> &Url {
        &self.root
    }

    /// The API router's base, with a trailing slash (`https://host/api/v1/`).
    pub fn api(&self) -> &Url {
        &self.api
    }

    /// Whether the address was given without a scheme, so that `use_ssl`
    /// chose it (`127.0.0.1:3000` means `https://127.0.0.1:3000`).
    pub fn scheme_was_chosen(&self) -> bool {
        self.scheme_chosen
    }
}

/// `text` with the user-info part of a URL (`user:password@`) and any
/// token in it replaced, for error messages.
fn without_credentials(text: &str) -> String {
    let (scheme, rest) = match text.find("://") {
        Some(at) => text.split_at(at + 3),
        None => ("", text),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let shown = match rest.get(..authority_end).and_then(|a| a.rfind('@')) {
        Some(at) => format!(
            "{scheme}{}@{}",
            crate::redact::REDACTED,
            rest.get(at + 1..).unwrap_or("")
        ),
        None => text.to_owned(),
    };
    crate::redact::Redactor::default().text(&shown)
}

/// Shows the server's root without its trailing slash (`https://host`,
/// `https://host/speckle`), the form people type. A `ServerUrl` never holds
/// credentials, so printing it is safe.
///
/// ```
/// use speckle_http::ServerUrl;
/// let url = ServerUrl::parse("http://127.0.0.1:3000/api/v1", true).unwrap();
/// assert_eq!(url.to_string(), "http://127.0.0.1:3000");
/// let url = ServerUrl::parse("host.example.com/speckle", true).unwrap();
/// assert_eq!(format!("server: {url}"), "server: https://host.example.com/speckle");
/// ```
impl std::fmt::Display for ServerUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.root.as_str().trim_end_matches('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_every_documented_form() {
        let cases = [
            (
                "https://host",
                true,
                "https://host/",
                "https://host/api/v1/",
            ),
            (
                "https://host/",
                true,
                "https://host/",
                "https://host/api/v1/",
            ),
            ("host", false, "http://host/", "http://host/api/v1/"),
            (
                "host:3000",
                true,
                "https://host:3000/",
                "https://host:3000/api/v1/",
            ),
            (
                "https://host/api/v1/",
                true,
                "https://host/",
                "https://host/api/v1/",
            ),
            (
                "http://host:3000/api",
                true,
                "http://host:3000/",
                "http://host:3000/api/",
            ),
            (
                "https://host/speckle",
                true,
                "https://host/speckle/",
                "https://host/speckle/api/v1/",
            ),
        ];
        for (input, ssl, root, api) in cases {
            let url = ServerUrl::parse(input, ssl).unwrap();
            assert_eq!(url.root().as_str(), root, "{input}");
            assert_eq!(url.api().as_str(), api, "{input}");
        }
    }

    #[test]
    fn rejects_unusable_urls() {
        for input in ["", "ftp://host", "https://user:pw@host", "http://"] {
            assert!(ServerUrl::parse(input, true).is_err(), "{input}");
        }
    }
}
