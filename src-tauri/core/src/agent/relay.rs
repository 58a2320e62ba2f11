//! The handle the shell holds: connect, send microphone audio, stop.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::SinkExt;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::Connector;

use super::task::{self, Task};
use super::{protocol, AgentEvent, AgentUrlPolicy, RelayLimits};
use crate::error::{Error, ErrorCode, Result};
use crate::gateway::upstream_error;
use crate::provider::Provider;
use crate::sensitive::Sensitive;

/// One microphone frame at most: 1 s of 16 kHz 16-bit mono PCM.
pub const MAX_FRAME_BYTES: usize = 32_000;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// Frames waiting for the socket. Beyond this the network has stalled and frames are
/// refused rather than buffered (a few seconds of audio at typical frame sizes).
const AUDIO_QUEUE: usize = 32;
/// How long `stop` waits for the task, which itself gives the close handshake 2 s.
const STOP_WAIT: Duration = Duration::from_secs(3);

/// A running relay. Dropping it ends the session, as `stop` does, without waiting.
pub struct AgentRelay {
    audio: mpsc::Sender<String>,
    stop: watch::Sender<bool>,
    done: watch::Receiver<bool>,
    running: Arc<AtomicBool>,
}

impl AgentRelay {
    /// Checks the signed URL against `policy`, opens the socket (15 s at most), sends the
    /// initiation message and starts relaying. `on_event` is called from the relay task,
    /// in order, ending with exactly one `Ended` or `Failed`.
    pub async fn connect<F>(
        signed_url: Sensitive<String>,
        policy: &AgentUrlPolicy,
        limits: RelayLimits,
        on_event: F,
    ) -> Result<AgentRelay>
    where
        F: Fn(AgentEvent) + Send + Sync + 'static,
    {
        let url = policy.check(signed_url.expose())?;
        drop(signed_url);
        let request = url
            .as_str()
            .into_client_request()
            .map_err(|_| Error::internal())?;
        drop(url);
        let config = WebSocketConfig::default()
            .max_message_size(Some(limits.max_message_bytes))
            .max_frame_size(Some(limits.max_message_bytes));
        let connector = Connector::Rustls(tls_config()?);
        let connecting = tokio_tungstenite::connect_async_tls_with_config(
            request,
            Some(config),
            true,
            Some(connector),
        );
        let (mut socket, _) = match tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
            Ok(Ok(connected)) => connected,
            Ok(Err(error)) => return Err(connect_error(&error)),
            Err(_) => {
                tracing::warn!("agent websocket handshake timed out");
                return Err(elevenlabs_error(ErrorCode::UpstreamTimeout));
            }
        };
        if let Err(error) = socket.send(Message::text(protocol::initiation())).await {
            return Err(task::socket_error(&error));
        }
        tracing::info!("agent conversation connected");

        let (audio_tx, audio_rx) = mpsc::channel(AUDIO_QUEUE);
        let (stop_tx, stop_rx) = watch::channel(false);
        let (done_tx, done_rx) = watch::channel(false);
        let running = Arc::new(AtomicBool::new(true));
        let task = Task {
            socket,
            audio: audio_rx,
            stop: stop_rx,
            done: done_tx,
            running: running.clone(),
            emit: Box::new(on_event),
            max_session: limits.max_session,
            last_interruption: 0,
        };
        tokio::spawn(task.run());
        Ok(AgentRelay {
            audio: audio_tx,
            stop: stop_tx,
            done: done_rx,
            running,
        })
    }

    /// Queues one microphone frame: 16 kHz 16-bit little-endian mono PCM, non-empty, whole
    /// samples, at most [`MAX_FRAME_BYTES`].
    pub fn send_audio(&self, pcm: &[u8]) -> Result<()> {
        if pcm.is_empty() || !pcm.len().is_multiple_of(2) || pcm.len() > MAX_FRAME_BYTES {
            return Err(Error::invalid_input(
                "That audio frame is not the expected size of microphone audio.",
            ));
        }
        if !self.is_running() {
            return Err(ended());
        }
        self.audio
            .try_send(protocol::user_audio(pcm))
            .map_err(|error| match error {
                mpsc::error::TrySendError::Full(_) => Error::new(
                    ErrorCode::UpstreamTimeout,
                    "The connection is too slow to keep up with your voice right now.",
                ),
                mpsc::error::TrySendError::Closed(_) => ended(),
            })
    }

    /// Ends the session: a 1000 close, up to 2 s for the handshake, then `Ended { Stopped }`.
    /// Does nothing if the session has already ended.
    pub async fn stop(&self) {
        self.running.store(false, Ordering::SeqCst);
        self.stop.send_replace(true);
        let mut done = self.done.clone();
        let _ = tokio::time::timeout(STOP_WAIT, done.wait_for(|done| *done)).await;
    }

    pub fn is_running(&self) -> bool {
        self.running.load(Ordering::SeqCst)
    }
}

impl Drop for AgentRelay {
    fn drop(&mut self) {
        // The task also stops when this sender goes; saying so explicitly costs nothing.
        self.stop.send_replace(true);
    }
}

/// TLS 1.2+ with ring and the platform's certificate verifier, as the gateway's client.
fn tls_config() -> Result<Arc<rustls::ClientConfig>> {
    use rustls_platform_verifier::BuilderVerifierExt;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|builder| builder.with_platform_verifier())
        .map(|builder| Arc::new(builder.with_no_client_auth()))
        .map_err(|error| {
            tracing::error!(%error, "could not build the agent TLS config");
            Error::internal()
        })
}

fn connect_error(error: &WsError) -> Error {
    match error {
        WsError::Http(response) => {
            let status = response.status().as_u16();
            tracing::warn!(status, "agent websocket handshake refused");
            match status {
                300..=399 => elevenlabs_error(ErrorCode::UpstreamUnexpected),
                // The signed URL is single-use and expires after 15 minutes.
                401 | 403 => Error::new(
                    ErrorCode::UpstreamRejected,
                    "ElevenLabs did not accept the conversation link. Please start the conversation again.",
                ),
                _ => {
                    let status = reqwest::StatusCode::from_u16(status)
                        .unwrap_or(reqwest::StatusCode::BAD_GATEWAY);
                    let body = response.body().as_deref().unwrap_or_default();
                    upstream_error::from_response(Provider::ElevenLabs, status, body, None)
                }
            }
        }
        WsError::Io(_) | WsError::Tls(_) => {
            tracing::warn!(
                kind = task::error_kind(error),
                "agent websocket connect failed"
            );
            elevenlabs_error(ErrorCode::NetworkUnavailable)
        }
        _ => {
            tracing::warn!(
                kind = task::error_kind(error),
                "agent websocket connect failed"
            );
            elevenlabs_error(ErrorCode::UpstreamUnexpected)
        }
    }
}

fn elevenlabs_error(code: ErrorCode) -> Error {
    Error::new(code, upstream_error::message(Provider::ElevenLabs, code))
}

fn ended() -> Error {
    Error::new(
        ErrorCode::UpstreamUnavailable,
        "The voice conversation has ended. Start a new one to keep talking.",
    )
}
