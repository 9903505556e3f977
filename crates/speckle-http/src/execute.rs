//! [`execute`]: the one function that sends requests.
//!
//! Building the URL, attaching the token, retrying, classifying the answer and
//! decoding it happen here and nowhere else, for every endpoint alike.

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tracing::Instrument;

use crate::client::expose;
use crate::endpoint::{AuthMode, Endpoint, Mount};
use crate::explain::SentRequest;
use crate::redact::{RedactedMessage, Redactor};
use crate::transport::{HttpRequest, HttpResponse, TransportError};
use crate::{Client, Error, ErrorKind};

/// Bodies kept in errors are cut to this many bytes.
const MAX_ERROR_BODY: usize = 16 * 1024;

/// Sends `endpoint` with `client` and decodes the answer.
///
/// - Routes that need a token fail with [`ErrorKind::NotAuthenticated`]
///   before sending when the client has none; optional-auth routes send the
///   token when there is one.
/// - A 2xx answer decodes into `E::Response`; a JSON body saying
///   `success: false` is an error even under 2xx.
/// - Any other status is an [`ErrorKind::Api`] error carrying the status, the
///   JSON `message` (any JSON value) and the raw body when it is not JSON.
///   The one exception: endpoints whose answer may come with an error status
///   and `success: true` (delta GET) get their data.
///
/// # Errors
/// See [`Error`].
///
/// ```no_run
/// # async fn demo(client: speckle_http::Client) -> Result<(), speckle_http::Error> {
/// use speckle_http::endpoints::streams::ListStreams;
/// let envelope = speckle_http::execute(&client, &ListStreams::new()).await?;
/// for stream in envelope.resources.unwrap_or_default() {
///     println!("{:?}", stream.name);
/// }
/// # Ok(()) }
/// ```
pub async fn execute<E: Endpoint>(client: &Client, endpoint: &E) -> Result<E::Response, Error> {
    let (response, sent) = send(client, endpoint, client.max_response_bytes()).await?;
    decode_response::<E::Response>(
        &response,
        endpoint.success_despite_status(),
        &client_redactor(client),
    )
    .map_err(|e| sent.explain(e.at(E::ROUTE), client))
}

/// A redactor that knows the client's own tokens, so that an answer echoing
/// them (or a decoder quoting them) never puts them into an error.
pub(crate) fn client_redactor(client: &Client) -> Redactor {
    let token = client.token();
    let apitoken = client.apitoken();
    Redactor::with_secrets(token.iter().chain(apitoken.iter()).map(expose))
}

/// Sends `endpoint` and returns the raw answer when its status is 2xx (for
/// callers that want the bytes: a proxy, a cache). Error statuses are errors
/// as in [`execute`].
///
/// # Errors
/// See [`execute`].
pub async fn execute_raw<E: Endpoint>(client: &Client, endpoint: &E) -> Result<Bytes, Error> {
    execute_raw_within(client, endpoint, client.max_response_bytes()).await
}

/// [`execute_raw`] with an answer limit of its own, kept below the client's:
/// a pull stops reading an answer far larger than it aimed at (a
/// [`ErrorKind::ResponseTooLarge`] carrying `limit`) and asks again for less.
pub(crate) async fn execute_raw_within<E: Endpoint>(
    client: &Client,
    endpoint: &E,
    limit: u64,
) -> Result<Bytes, Error> {
    let limit = limit.min(client.max_response_bytes());
    let (response, sent) = send(client, endpoint, limit).await?;
    if (200..300).contains(&response.status) {
        Ok(response.body)
    } else {
        let error = api_error(&response, &client_redactor(client)).at(E::ROUTE);
        Err(sent.explain(error, client))
    }
}

/// Where the template has a `:parameter`, the path must have a value: an
/// empty id would turn `/streams/:streamId` into `/streams/`, another route.
fn check_parameters(template: &str, path: &str) -> Result<(), Error> {
    let names = template.trim_start_matches('/').split('/');
    let values = path.trim_start_matches('/').split('/');
    if names.clone().count() != values.clone().count() {
        return Ok(());
    }
    for (name, value) in names.zip(values) {
        if let Some(name) = name.strip_prefix(':') {
            if value.is_empty() {
                return Err(Error::invalid_input(format!("`{name}` is empty")));
            }
        }
    }
    Ok(())
}

/// Builds the request, sends it (with retries) and returns the HTTP answer,
/// whatever its status; an answer over `limit` bytes is an error (and not
/// read further).
async fn send<E: Endpoint>(
    client: &Client,
    endpoint: &E,
    limit: u64,
) -> Result<(HttpResponse, SentRequest), Error> {
    let route = E::ROUTE;
    let mut request = build_request(client, endpoint).map_err(|e| e.at(route))?;
    request.max_response_bytes = Some(limit);
    let sent = SentRequest::new(&request, &client_redactor(client));
    let span =
        tracing::debug_span!("speckle_request", method = %route.method, route = route.template);
    async move {
        let policy = client.retry_policy();
        let idempotent = endpoint.idempotent();
        let mut attempt = 0u32;
        loop {
            attempt = attempt.saturating_add(1);
            match client.transport().send(request.clone()).await {
                // A transport of the user's may not know the limit: check again.
                Ok(response) if response.body.len() as u64 > limit => {
                    tracing::debug!(bytes = response.body.len(), limit, "answer too large");
                    return Err(sent.explain(too_large(limit, None).at(route), client));
                }
                Ok(response) => {
                    if let Some(wait) = policy.retry_response(&response, attempt, idempotent) {
                        tracing::debug!(status = response.status, attempt, ?wait, "retrying");
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    tracing::debug!(
                        status = response.status,
                        bytes = response.body.len(),
                        "answered"
                    );
                    return Ok((response, sent));
                }
                Err(cause) => {
                    let retry = policy.retry_error(&cause, attempt, idempotent);
                    let explained = sent.explain_transport(&cause, client);
                    // Logged as the error the caller would get: redacted.
                    let mut error = transport_error(cause, &client_redactor(client))
                        .on_request(sent.line.clone(), None);
                    if let Some((detail, hint)) = explained {
                        error = error.with_detail(detail).with_hint(hint);
                    }
                    if let Some(wait) = retry {
                        tracing::debug!(%error, attempt, ?wait, "retrying");
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    tracing::debug!(%error, "failed");
                    return Err(error.at(route));
                }
            }
        }
    }
    .instrument(span)
    .await
}

/// The request without its answer limit: [`send`] sets it.
fn build_request<E: Endpoint>(client: &Client, endpoint: &E) -> Result<HttpRequest, Error> {
    let route = E::ROUTE;
    let base = match route.mount {
        Mount::Api => client.server_url().api(),
        Mount::Root => client.server_url().root(),
    };
    check_parameters(route.template, &endpoint.path())?;
    let mut url = base
        .join(endpoint.path().trim_start_matches('/'))
        .map_err(|e| Error::invalid_input(format!("bad path: {e}")))?;
    let query = endpoint.query();
    if let Some(reason) = query.refusal() {
        return Err(Error::invalid_input(reason));
    }
    let query = query.to_query_string();
    if !query.is_empty() {
        url.set_query(Some(&query));
    }
    let authorization = match route.auth {
        AuthMode::None => None,
        AuthMode::Optional => client.token(),
        AuthMode::Token | AuthMode::Admin => Some(
            client
                .token()
                .ok_or_else(|| Error::new(ErrorKind::NotAuthenticated))?,
        ),
    };
    let mut request = HttpRequest::new(route.method, url);
    request.authorization = authorization;
    request.body = match endpoint.body()? {
        Some(body) if endpoint.gzip() => {
            request.content_encoding = Some("gzip");
            Some(Bytes::from(gzip(&body)?))
        }
        other => other.map(Bytes::from),
    };
    // The token is attached above; make sure it is a valid header value now,
    // so a bad token is an input error rather than a transport failure.
    if let Some(token) = &request.authorization {
        if expose(token).chars().any(|c| c.is_control()) {
            return Err(Error::invalid_input(
                "the token contains control characters",
            ));
        }
    }
    Ok(request)
}

fn gzip(body: &[u8]) -> Result<Vec<u8>, Error> {
    use std::io::Write;
    // Fast compression: bodies are large JSON and the goal is fewer bytes on
    // the wire, not the smallest possible.
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 4),
        flate2::Compression::fast(),
    );
    encoder
        .write_all(body)
        .and_then(|()| encoder.finish())
        .map_err(|e| Error::new(ErrorKind::Encode).with_source(e))
}

fn too_large(limit: u64, announced: Option<u64>) -> Error {
    Error::new(ErrorKind::ResponseTooLarge { limit, announced })
}

fn transport_error(error: TransportError, redactor: &Redactor) -> Error {
    let (not_sent, cause) = match error {
        TransportError::Timeout => return Error::new(ErrorKind::Timeout),
        TransportError::TooLarge { limit, announced } => return too_large(limit, announced),
        TransportError::Connect(cause) => (true, cause),
        TransportError::Other(cause) => (false, cause),
    };
    let kind = ErrorKind::Transport { not_sent };
    // The source chain is kept as is (callers may downcast it) unless some
    // text in it is a secret, e.g. a custom transport quoting a header. The
    // wrapper is left out: `Display` already says connect or not.
    let chain = chain_text(&*cause);
    let redacted = redactor.text(&chain);
    if redacted == chain {
        Error::new(kind).with_boxed_source(cause)
    } else {
        Error::new(kind).with_source(RedactedMessage(redacted))
    }
}

/// The messages of an error and all its sources, joined with `: `.
pub(crate) fn chain_text(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Classifies and decodes an answer. Public inside the crate so the bulk
/// helpers can reuse it on bodies they fetched through [`execute_raw`].
pub(crate) fn decode_response<T: DeserializeOwned>(
    response: &HttpResponse,
    success_despite_status: bool,
    redactor: &Redactor,
) -> Result<T, Error> {
    let ok_status = (200..300).contains(&response.status);
    if !ok_status {
        if success_despite_status && says_success(&response.body) == Some(true) {
            return decode(&response.body, redactor);
        }
        return Err(api_error(response, redactor));
    }
    if says_success(&response.body) == Some(false) {
        return Err(api_error(response, redactor));
    }
    decode(&response.body, redactor)
}

/// The `success` flag of a JSON object body, without decoding the rest.
fn says_success(body: &[u8]) -> Option<bool> {
    #[derive(serde::Deserialize)]
    struct Flag {
        success: Option<bool>,
    }
    // Only objects have the flag; arrays (plugins) and bad JSON say nothing.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return None;
    }
    serde_json::from_slice::<Flag>(body)
        .ok()
        .and_then(|f| f.success)
}

fn decode<T: DeserializeOwned>(body: &[u8], redactor: &Redactor) -> Result<T, Error> {
    let decode_error = |path: String, source: serde_json::Error| {
        // The decoder's message may quote the body (`invalid type: string
        // "JWT …"`), and the path names keys of the body: redact all of it.
        let redactor = body_redactor(redactor, body);
        Error::new(ErrorKind::Decode {
            path: redactor.text(&path),
            body: redactor.text(&lossy_truncated(body)),
        })
        // The decoder's words are the cause: shown in `Display`, not kept
        // as a source too (reporters would print them twice).
        .with_detail(redactor.text(&source.to_string()))
    };
    // Tracking the path makes decoding a getbulk answer up to two thirds
    // slower (every key and index is recorded on the way), so it is done
    // only to name where a failed decode failed.
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = match <T as serde::Deserialize>::deserialize(&mut deserializer) {
        Ok(value) => value,
        Err(error) => {
            let mut again = serde_json::Deserializer::from_slice(body);
            let path = serde_path_to_error::deserialize::<_, T>(&mut again)
                .err()
                .map(|e| e.path().to_string())
                .unwrap_or_default();
            return Err(decode_error(path, error));
        }
    };
    // Trailing garbage after the JSON value means a broken answer.
    deserializer
        .end()
        .map_err(|e| decode_error(String::new(), e))?;
    Ok(value)
}

/// `redactor` plus the secrets found in `body`.
fn body_redactor(redactor: &Redactor, body: &[u8]) -> Redactor {
    let mut redactor = redactor.clone();
    redactor.learn_from_body(body);
    redactor
}

fn api_error(response: &HttpResponse, redactor: &Redactor) -> Error {
    let redactor = body_redactor(redactor, &response.body);
    let parsed: Option<Value> = serde_json::from_slice(&response.body).ok();
    let message = match parsed {
        Some(Value::Object(mut map)) => map
            .remove("message")
            // The v0 route answers `{error: …}`.
            .or_else(|| map.remove("error")),
        _ => None,
    };
    // The raw body is kept whatever it holds, `message` or not.
    let body = Some(redactor.text(&lossy_truncated(&response.body))).filter(|b| !b.is_empty());
    Error::new(ErrorKind::Api {
        status: response.status,
        message: message.map(|m| redactor.value(&m)),
        body,
    })
}

fn lossy_truncated(body: &[u8]) -> String {
    let cut = body.get(..MAX_ERROR_BODY).unwrap_or(body);
    String::from_utf8_lossy(cut).into_owned()
}
