//! The core's one way out to Tavus and ElevenLabs.
//!
//! Every request goes through [`Gateway::send`]: the local rate limit first, then HTTPS
//! (TLS 1.2+, rustls with ring) to a compiled-in base URL, with the key in the provider's
//! header. Redirects are never followed (a 3xx is an error, so the key is never sent to
//! another host), bodies are size-capped, and only idempotent GETs are retried, on 429 and
//! 5xx, a bounded number of times with jittered backoff. The log keeps the operation,
//! status, timing and a correlation id, never a body, a header or a key.

pub mod elevenlabs;
pub mod ids;
pub mod tavus;
pub mod upstream_error;

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use reqwest::header::{HeaderValue, ACCEPT, RETRY_AFTER};
use reqwest::{Method, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::endpoints::Endpoints;
use crate::error::{Error, ErrorCode, Result};
use crate::policy::rate_limit::RollingWindow;
use crate::provider::Provider;
use crate::sensitive::Sensitive;

/// Timeouts, size caps and retry bounds.
#[derive(Debug, Clone)]
pub struct Limits {
    pub connect_timeout: Duration,
    /// Whole request, for JSON calls (streams use `stream_idle_timeout` instead).
    pub request_timeout: Duration,
    /// Longest silence allowed inside a stream.
    pub stream_idle_timeout: Duration,
    pub max_body_bytes: usize,
    /// Extra attempts for an idempotent GET.
    pub retries: u32,
    pub backoff_base: Duration,
    /// A `Retry-After` longer than this is not waited for: the person is told instead.
    pub max_retry_wait: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            stream_idle_timeout: Duration::from_secs(20),
            max_body_bytes: 2 * 1024 * 1024,
            retries: 2,
            backoff_base: Duration::from_millis(400),
            max_retry_wait: Duration::from_secs(5),
        }
    }
}

pub struct Gateway {
    client: reqwest::Client,
    streaming: reqwest::Client,
    endpoints: Endpoints,
    limits: Limits,
    upstream_calls: RollingWindow,
    /// When the local limit refused a call (Unix seconds), for the audit log to collect.
    local_refusals: std::sync::Mutex<Vec<u64>>,
}

/// One upstream call, described before it is sent.
pub(crate) struct Call {
    /// A fixed name for the log ("tavus.list_replicas"); never the path, which holds ids.
    pub op: &'static str,
    pub method: Method,
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    pub body: Option<Value>,
    /// False only for delete-everything, which paces its own calls (`service::deletion`).
    pub ordinary_limit: bool,
}

impl Call {
    pub fn get(op: &'static str, path: impl Into<String>) -> Self {
        Self {
            op,
            method: Method::GET,
            path: path.into(),
            query: Vec::new(),
            body: None,
            ordinary_limit: true,
        }
    }

    /// Outside the ordinary 10-a-minute limit: the caller paces these calls itself.
    pub fn paced_by_caller(mut self) -> Self {
        self.ordinary_limit = false;
        self
    }

    pub fn with_method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    pub fn query(mut self, name: &'static str, value: impl ToString) -> Self {
        self.query.push((name, value.to_string()));
        self
    }

    pub fn json(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    fn idempotent(&self) -> bool {
        self.method == Method::GET
    }
}

fn install_crypto_provider() {
    // reqwest is built without a default provider; ring is the one the app uses elsewhere.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Gateway {
    pub fn new(endpoints: Endpoints) -> Result<Self> {
        Self::with_limits(
            endpoints,
            Limits::default(),
            RollingWindow::upstream_calls(),
        )
    }

    pub fn with_limits(
        endpoints: Endpoints,
        limits: Limits,
        upstream_calls: RollingWindow,
    ) -> Result<Self> {
        install_crypto_provider();
        // Production endpoints are HTTPS; only the e2e feature's loopback fakes are not.
        let https_only =
            endpoints.tavus.scheme() == "https" && endpoints.elevenlabs.scheme() == "https";
        let builder = || {
            reqwest::Client::builder()
                .https_only(https_only)
                .tls_version_min(reqwest::tls::Version::TLS_1_2)
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(limits.connect_timeout)
                .no_proxy()
                .user_agent(concat!("Serene/", env!("CARGO_PKG_VERSION")))
        };
        let build = |b: reqwest::ClientBuilder| {
            b.build().map_err(|error| {
                tracing::error!(%error, "could not build the HTTP client");
                Error::internal()
            })
        };
        Ok(Self {
            client: build(builder().timeout(limits.request_timeout))?,
            streaming: build(builder().read_timeout(limits.stream_idle_timeout))?,
            endpoints,
            limits,
            upstream_calls,
            local_refusals: std::sync::Mutex::new(Vec::new()),
        })
    }

    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// The local limit, counting refusals for the audit log.
    fn admit(&self) -> Result<()> {
        self.upstream_calls
            .try_acquire(Instant::now())
            .inspect_err(|_| {
                let at = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or_default();
                let mut refusals = self
                    .local_refusals
                    .lock()
                    .unwrap_or_else(|p| p.into_inner());
                if refusals.len() < 100 {
                    refusals.push(at);
                }
            })
    }

    /// Times of local-limit refusals since the last call (at most 100 are kept).
    pub fn drain_local_refusals(&self) -> Vec<u64> {
        std::mem::take(
            &mut *self
                .local_refusals
                .lock()
                .unwrap_or_else(|p| p.into_inner()),
        )
    }

    /// Sends a call and decodes a JSON success body.
    pub(crate) async fn json<T: DeserializeOwned>(
        &self,
        provider: Provider,
        key: &Sensitive<String>,
        call: Call,
    ) -> Result<T> {
        let op = call.op;
        let (_, body) = self.send(provider, key, call).await?;
        serde_json::from_slice(&body).map_err(|error| {
            tracing::warn!(op, %error, "upstream JSON did not match the contract");
            unexpected(provider)
        })
    }

    /// Sends a call whose success body does not matter (any 2xx, body optional).
    pub(crate) async fn empty(
        &self,
        provider: Provider,
        key: &Sensitive<String>,
        call: Call,
    ) -> Result<StatusCode> {
        Ok(self.send(provider, key, call).await?.0)
    }

    /// Opens a streamed response; the caller reads it chunk by chunk. Never retried once
    /// open, since audio may already have reached the person.
    pub(crate) async fn stream(
        &self,
        provider: Provider,
        key: &Sensitive<String>,
        call: Call,
    ) -> Result<Response> {
        if call.ordinary_limit {
            self.admit()?;
        }
        let id = correlation_id();
        let started = Instant::now();
        let response = self
            .request(&self.streaming, provider, key, &call)?
            .send()
            .await
            .map_err(|error| transport_error(provider, call.op, &id, &error))?;
        let status = response.status();
        log_outcome(provider, call.op, &id, Some(status), started);
        if status.is_success() {
            return Ok(response);
        }
        let retry_after = retry_after(&response);
        let body = self.read_capped(provider, call.op, response).await?;
        Err(status_error(provider, status, &body, retry_after))
    }

    async fn send(
        &self,
        provider: Provider,
        key: &Sensitive<String>,
        call: Call,
    ) -> Result<(StatusCode, Bytes)> {
        let attempts = if call.idempotent() {
            1 + self.limits.retries
        } else {
            1
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            // The local limit's refusal is final: retrying would only wait and refuse again.
            if call.ordinary_limit {
                self.admit()?;
            }
            let (error, retry_after) = match self.attempt(provider, key, &call).await {
                Ok(done) => return Ok(done),
                Err(failed) => failed,
            };
            let retryable = matches!(
                error.code,
                ErrorCode::RateLimited
                    | ErrorCode::UpstreamUnavailable
                    | ErrorCode::UpstreamTimeout
                    | ErrorCode::NetworkUnavailable
            );
            if !retryable || attempt >= attempts {
                return Err(error);
            }
            let wait = match retry_after.map(Duration::from_secs) {
                Some(wait) if wait > self.limits.max_retry_wait => return Err(error),
                Some(wait) => wait,
                None => {
                    let backoff = self.limits.backoff_base * 2u32.pow(attempt - 1);
                    let jitter = backoff.mul_f64(fastrand::f64() * 0.5);
                    backoff + jitter
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// One attempt: `Err((error, retry_after))` on any failure.
    async fn attempt(
        &self,
        provider: Provider,
        key: &Sensitive<String>,
        call: &Call,
    ) -> std::result::Result<(StatusCode, Bytes), (Error, Option<u64>)> {
        let id = correlation_id();
        let started = Instant::now();
        let response = self
            .request(&self.client, provider, key, call)
            .map_err(|e| (e, None))?
            .send()
            .await
            .map_err(|error| (transport_error(provider, call.op, &id, &error), None))?;
        let status = response.status();
        let retry_after = retry_after(&response);
        let body = self
            .read_capped(provider, call.op, response)
            .await
            .map_err(|e| (e, None))?;
        log_outcome(provider, call.op, &id, Some(status), started);
        if status.is_success() {
            Ok((status, body))
        } else {
            Err((
                status_error(provider, status, &body, retry_after),
                retry_after,
            ))
        }
    }

    fn request(
        &self,
        client: &reqwest::Client,
        provider: Provider,
        key: &Sensitive<String>,
        call: &Call,
    ) -> Result<reqwest::RequestBuilder> {
        let base = match provider {
            Provider::Tavus => &self.endpoints.tavus,
            Provider::ElevenLabs => &self.endpoints.elevenlabs,
        };
        let mut url = base.join(&call.path).map_err(|_| Error::internal())?;
        if !call.query.is_empty() {
            url.query_pairs_mut().extend_pairs(call.query.iter());
        }
        let auth = key_header(key)?;
        let header = match provider {
            Provider::Tavus => "x-api-key",
            Provider::ElevenLabs => "xi-api-key",
        };
        let mut request = client
            .request(call.method.clone(), url)
            .header(header, auth)
            .header(ACCEPT, "application/json");
        if let Some(body) = &call.body {
            request = request.json(body);
        }
        Ok(request)
    }

    /// Reads a body, refusing more than `max_body_bytes` before it is all in memory.
    async fn read_capped(
        &self,
        provider: Provider,
        op: &'static str,
        mut response: Response,
    ) -> Result<Bytes> {
        let cap = self.limits.max_body_bytes;
        if response
            .content_length()
            .is_some_and(|len| len > cap as u64)
        {
            tracing::warn!(op, cap, "upstream body larger than the cap");
            return Err(unexpected(provider));
        }
        let mut body = BytesMut::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > cap {
                        tracing::warn!(op, cap, "upstream body larger than the cap");
                        return Err(unexpected(provider));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => return Ok(body.freeze()),
                Err(error) => {
                    return Err(transport_error(provider, op, "-", &error));
                }
            }
        }
    }
}

fn status_error(provider: Provider, status: StatusCode, body: &[u8], retry: Option<u64>) -> Error {
    if status.is_redirection() {
        // Never followed: a redirect could carry the key to another host.
        tracing::warn!(status = status.as_u16(), "upstream redirect refused");
        return unexpected(provider);
    }
    upstream_error::from_response(provider, status, body, retry)
}

fn unexpected(provider: Provider) -> Error {
    Error::new(
        ErrorCode::UpstreamUnexpected,
        upstream_error::message(provider, ErrorCode::UpstreamUnexpected),
    )
}

fn transport_error(provider: Provider, op: &str, id: &str, error: &reqwest::Error) -> Error {
    let code = if error.is_timeout() {
        ErrorCode::UpstreamTimeout
    } else if error.is_connect() {
        ErrorCode::NetworkUnavailable
    } else if error.is_redirect() {
        ErrorCode::UpstreamUnexpected
    } else {
        // A body cut off mid-way, a reset, a protocol error.
        ErrorCode::UpstreamUnavailable
    };
    // reqwest's Display includes the URL, which can hold ids; log the kind only.
    tracing::warn!(
        op,
        correlation_id = id,
        timeout = error.is_timeout(),
        connect = error.is_connect(),
        body = error.is_body(),
        "upstream request failed"
    );
    Error::new(code, upstream_error::message(provider, code))
}

fn retry_after(response: &Response) -> Option<u64> {
    response
        .headers()
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(|seconds| seconds.min(3600))
}

fn log_outcome(
    provider: Provider,
    op: &'static str,
    id: &str,
    status: Option<StatusCode>,
    started: Instant,
) {
    tracing::info!(
        provider = provider.display_name(),
        op,
        correlation_id = id,
        status = status.map(|s| s.as_u16()),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "upstream call"
    );
}

fn correlation_id() -> String {
    format!("{:016x}", fastrand::u64(..))
}

/// The key as a header value that is marked sensitive (kept out of debug output and HTTP/2
/// header compression tables) and whose bytes are zeroised when the request that carries
/// it is dropped. Copies the HTTP stack makes while writing the request are its own.
pub(crate) fn key_header(key: &Sensitive<String>) -> Result<HeaderValue> {
    let owned = zeroize::Zeroizing::new(key.expose().as_bytes().to_vec());
    let mut value = HeaderValue::from_maybe_shared(Bytes::from_owner(ZeroizingBytes(owned)))
        .map_err(|_| {
            Error::invalid_input("The saved key has characters a key never has. Add it again.")
        })?;
    value.set_sensitive(true);
    Ok(value)
}

struct ZeroizingBytes(zeroize::Zeroizing<Vec<u8>>);

impl AsRef<[u8]> for ZeroizingBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

#[cfg(test)]
mod key_header_tests {
    use super::*;

    #[test]
    fn the_key_header_is_sensitive_and_refuses_what_no_key_contains() {
        let value = key_header(&Sensitive::new("sk_fake_key_1234".to_string())).unwrap();
        assert!(value.is_sensitive());
        assert_eq!(value.as_bytes(), b"sk_fake_key_1234");
        assert!(format!("{value:?}").contains("Sensitive"));
        assert!(key_header(&Sensitive::new("bad\nkey".to_string())).is_err());
    }
}
