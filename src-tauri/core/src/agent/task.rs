//! The relay task: owns the socket until the session ends, then closes it.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, Sleep};
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::protocol::{self, Inbound};
use super::{AgentEvent, EndHow};
use crate::error::{Error, ErrorCode};

pub(super) type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Longest wait for the other side's half of a close handshake.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

pub(super) struct Task {
    pub socket: Socket,
    pub audio: mpsc::Receiver<String>,
    pub stop: watch::Receiver<bool>,
    pub done: watch::Sender<bool>,
    pub running: Arc<AtomicBool>,
    pub emit: Box<dyn Fn(AgentEvent) + Send + Sync>,
    pub max_session: Duration,
    /// The latest interruption's `event_id`: older agent audio is stale.
    pub last_interruption: u64,
}

enum Outcome {
    /// We end it: close 1000 and wait for the reply.
    Close(EndHow),
    /// The agent sent a close frame: finish the handshake, then report.
    AgentClosed(Option<Error>),
    /// The socket is unusable or the agent broke the contract: drop it.
    Failed(Error),
}

impl Task {
    pub async fn run(mut self) {
        let outcome = self.relay().await;
        self.running.store(false, Ordering::SeqCst);
        let event = match outcome {
            Outcome::Close(how) => {
                let frame = CloseFrame {
                    code: CloseCode::Normal,
                    reason: "".into(),
                };
                let socket = &mut self.socket;
                let _ = tokio::time::timeout(CLOSE_WAIT, async {
                    if socket.close(Some(frame)).await.is_ok() {
                        while let Some(Ok(_)) = socket.next().await {}
                    }
                })
                .await;
                AgentEvent::Ended { how }
            }
            Outcome::AgentClosed(error) => {
                // Reading on sends tungstenite's queued close reply.
                let socket = &mut self.socket;
                let _ = tokio::time::timeout(CLOSE_WAIT, async {
                    while let Some(Ok(_)) = socket.next().await {}
                })
                .await;
                match error {
                    None => AgentEvent::Ended {
                        how: EndHow::ClosedByAgent,
                    },
                    Some(error) => AgentEvent::Failed { error },
                }
            }
            Outcome::Failed(error) => AgentEvent::Failed { error },
        };
        let Task {
            socket, emit, done, ..
        } = self;
        drop(socket);
        tracing::info!(ended = ?event, "agent conversation ended");
        emit(event);
        done.send_replace(true);
    }

    async fn relay(&mut self) -> Outcome {
        let now = Instant::now();
        let deadline = now
            .checked_add(self.max_session)
            .unwrap_or_else(|| now + Duration::from_secs(365 * 24 * 3600));
        let time_cap = tokio::time::sleep_until(deadline);
        tokio::pin!(time_cap);
        loop {
            let step = tokio::select! {
                // A change, or the handle (the sender) gone: either way, stop.
                _ = self.stop.changed() => Err(Outcome::Close(EndHow::Stopped)),
                () = &mut time_cap => Err(Outcome::Close(EndHow::TimeCap)),
                Some(frame) = self.audio.recv() => {
                    self.send(Message::text(frame), time_cap.as_mut()).await
                }
                // Reading also flushes tungstenite's automatic replies to websocket pings.
                incoming = self.socket.next() => match incoming {
                    Some(Ok(message)) => self.handle(message, time_cap.as_mut()).await,
                    Some(Err(error)) => Err(Outcome::Failed(socket_error(&error))),
                    None => Err(Outcome::Failed(lost())),
                },
            };
            if let Err(outcome) = step {
                return outcome;
            }
        }
    }

    /// Sends one message. While the network stalls, a stop or the time cap still ends the
    /// session instead of waiting on the write.
    async fn send(&mut self, message: Message, time_cap: Pin<&mut Sleep>) -> Result<(), Outcome> {
        tokio::select! {
            sent = self.socket.send(message) => {
                sent.map_err(|error| Outcome::Failed(socket_error(&error)))
            }
            _ = self.stop.changed() => Err(Outcome::Close(EndHow::Stopped)),
            () = time_cap => Err(Outcome::Close(EndHow::TimeCap)),
        }
    }

    /// `Err` when the message ends the session.
    async fn handle(&mut self, message: Message, time_cap: Pin<&mut Sleep>) -> Result<(), Outcome> {
        match message {
            Message::Text(text) => match protocol::parse(&text) {
                Ok(Inbound::Event(AgentEvent::AgentAudio {
                    event_id: Some(id), ..
                })) if id < self.last_interruption => {
                    tracing::debug!(
                        event_id = id,
                        "stale agent audio dropped after an interruption"
                    );
                }
                Ok(Inbound::Event(event)) => (self.emit)(event),
                Ok(Inbound::Interruption(event_id)) => {
                    if let Some(id) = event_id {
                        self.last_interruption = self.last_interruption.max(id);
                    }
                    (self.emit)(AgentEvent::Interruption { event_id });
                }
                Ok(Inbound::ToolCall(id)) => {
                    let answer = Message::text(protocol::tool_refused(&id));
                    self.send(answer, time_cap).await?;
                }
                Ok(Inbound::Ping(event_id)) => {
                    let pong = Message::text(protocol::pong(event_id));
                    self.send(pong, time_cap).await?;
                }
                Ok(Inbound::Ignored) => {}
                Err(protocol::ProtocolViolation) => {
                    tracing::warn!("agent message did not match the contract");
                    return Err(Outcome::Failed(unexpected()));
                }
            },
            Message::Binary(_) => {
                tracing::warn!("agent sent a binary message, which the contract has none of");
                return Err(Outcome::Failed(unexpected()));
            }
            Message::Close(frame) => {
                let code = frame.as_ref().map(|f| f.code);
                return Err(Outcome::AgentClosed(match code {
                    None | Some(CloseCode::Normal) => None,
                    Some(code) => {
                        // The code only: the reason is upstream text.
                        tracing::warn!(code = u16::from(code), "agent closed the conversation");
                        Some(Error::new(
                            ErrorCode::UpstreamUnavailable,
                            "ElevenLabs ended the conversation unexpectedly. Please start a new one.",
                        ))
                    }
                }));
            }
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
        }
        Ok(())
    }
}

/// A failure of an open socket, as an error for the UI. Never the error's text: it can
/// carry upstream content.
pub(super) fn socket_error(error: &WsError) -> Error {
    tracing::warn!(kind = error_kind(error), "agent websocket failed");
    match error {
        WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => lost(),
        WsError::Capacity(_) | WsError::Utf8(_) | WsError::AttackAttempt | WsError::Protocol(_) => {
            unexpected()
        }
        _ => lost(),
    }
}

pub(super) fn error_kind(error: &WsError) -> &'static str {
    match error {
        WsError::ConnectionClosed | WsError::AlreadyClosed => "closed",
        WsError::Io(_) => "io",
        WsError::Tls(_) => "tls",
        WsError::Capacity(_) => "too_large",
        WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => "reset",
        WsError::Protocol(_) => "protocol",
        WsError::WriteBufferFull(_) => "write_buffer_full",
        WsError::Utf8(_) => "utf8",
        WsError::AttackAttempt => "attack",
        WsError::Url(_) => "url",
        WsError::Http(_) => "http",
        WsError::HttpFormat(_) => "http_format",
    }
}

fn lost() -> Error {
    Error::new(
        ErrorCode::UpstreamUnavailable,
        "The connection to the voice conversation was lost. Please start a new one.",
    )
}

fn unexpected() -> Error {
    Error::new(
        ErrorCode::UpstreamUnexpected,
        "ElevenLabs sent something Serene couldn't use, so the conversation was ended. Please start a new one.",
    )
}
