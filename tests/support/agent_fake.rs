//! A fake ElevenLabs agent websocket that follows the contract and the official SDKs:
//! metadata first, a greeting later corrected, audio, a ping it expects answered, a client tool call it
//! expects answered with an error result, and an interruption followed by stale audio
//! (older `event_id`) the app must drop; on request an in-band error. It counts the
//! microphone chunks it gets, answers them with a transcript, and logs how each socket ended.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

pub const AGENT_ID: &str = "agent_serene_test01";
pub const GREETING: &str = "Hello. I'm here to listen, whenever you're ready.";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SocketEnd {
    Open,
    /// The app sent a close frame with this code.
    ClosedByApp(u16),
    /// The connection ended without a close frame from the app.
    Vanished,
    /// The fake dropped it on purpose.
    DroppedByFake,
}

#[derive(Default)]
pub struct AgentLog {
    pub sockets: Mutex<Vec<SocketEnd>>,
    pub audio_chunks: AtomicUsize,
    pub audio_bytes: AtomicUsize,
    pub pongs: Mutex<Vec<u64>>,
    pub first_message: Mutex<Option<Value>>,
    /// `client_tool_result` messages the app sent back.
    pub tool_results: Mutex<Vec<Value>>,
}

#[derive(Clone)]
pub struct AgentFake {
    pub ws_url: String,
    pub log: Arc<AgentLog>,
    drop_next: Arc<AtomicBool>,
    error_next: Arc<AtomicBool>,
}

impl AgentFake {
    pub async fn start() -> AgentFake {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let fake = AgentFake {
            ws_url: format!(
                "ws://{}/v1/convai/conversation",
                listener.local_addr().unwrap()
            ),
            log: Arc::default(),
            drop_next: Arc::default(),
            error_next: Arc::default(),
        };
        let server = fake.clone();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let server = server.clone();
                tokio::spawn(async move { server.session(tcp).await });
            }
        });
        fake
    }

    /// The signed URL the fake `get-signed-url` endpoint hands out.
    pub fn signed_url(&self) -> String {
        format!(
            "{}?agent_id={AGENT_ID}&conversation_signature=fake-signature-123",
            self.ws_url
        )
    }

    /// The next socket is dropped (no close frame) a moment after it opens.
    pub fn drop_next_socket(&self) {
        self.drop_next.store(true, Ordering::SeqCst);
    }

    /// The next socket also gets an in-band error after the greeting.
    pub fn send_error_next(&self) {
        self.error_next.store(true, Ordering::SeqCst);
    }

    pub fn sockets(&self) -> Vec<SocketEnd> {
        self.log.sockets.lock().unwrap().clone()
    }

    async fn session(&self, tcp: tokio::net::TcpStream) {
        let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else {
            return;
        };
        let index = {
            let mut sockets = self.log.sockets.lock().unwrap();
            sockets.push(SocketEnd::Open);
            sockets.len() - 1
        };
        let end = |how: SocketEnd| self.log.sockets.lock().unwrap()[index] = how;
        let send = |value: Value| Message::text(value.to_string());
        let drop_this = self.drop_next.swap(false, Ordering::SeqCst);
        let error_this = self.error_next.swap(false, Ordering::SeqCst);

        if let Some(Ok(Message::Text(first))) = ws.next().await {
            *self.log.first_message.lock().unwrap() = serde_json::from_str(first.as_str()).ok();
        }
        let silence = base64::engine::general_purpose::STANDARD.encode(vec![0u8; 16_000]);
        for message in [
            json!({"type": "conversation_initiation_metadata", "conversation_initiation_metadata_event": {
                "conversation_id": "conv_fake_1", "agent_output_audio_format": "pcm_16000",
                "user_input_audio_format": "pcm_16000"}}),
            // The greeting runs on, the person interrupts, and the agent corrects its text to
            // what was actually spoken, as ElevenLabs does.
            json!({"type": "agent_response", "agent_response_event": {
                "agent_response": format!("{GREETING} And there was more to say")}}),
            json!({"type": "audio", "audio_event": {"audio_base_64": silence, "event_id": 1}}),
            json!({"type": "ping", "ping_event": {"event_id": 42, "ping_ms": 20}}),
            json!({"type": "client_tool_call", "client_tool_call": {
                "tool_name": "show_calendar", "tool_call_id": "tool_call_1", "parameters": {}}}),
            json!({"type": "interruption", "interruption_event": {"event_id": 3}}),
            json!({"type": "agent_response_correction", "agent_response_correction_event": {
                "original_agent_response": format!("{GREETING} And there was more to say"),
                "corrected_agent_response": GREETING}}),
            // Generated before the interruption: stale, must not be played.
            json!({"type": "audio", "audio_event": {"audio_base_64": silence, "event_id": 2}}),
            json!({"type": "audio", "audio_event": {"audio_base_64": silence, "event_id": 3}}),
        ] {
            if ws.send(send(message)).await.is_err() {
                return end(SocketEnd::Vanished);
            }
        }
        if error_this {
            let error = json!({"type": "error", "error_event": {
                "error_type": "internal_error", "code": 1011, "message": "Internal error"}});
            if ws.send(send(error)).await.is_err() {
                return end(SocketEnd::Vanished);
            }
        }
        if drop_this {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            end(SocketEnd::DroppedByFake);
            return; // drops the TCP connection without a close frame
        }
        let mut answered = false;
        while let Some(message) = ws.next().await {
            match message {
                Ok(Message::Text(text)) => {
                    let value: Value = serde_json::from_str(text.as_str()).unwrap_or_default();
                    if let Some(chunk) = value["user_audio_chunk"].as_str() {
                        let bytes = base64::engine::general_purpose::STANDARD
                            .decode(chunk)
                            .unwrap_or_default();
                        self.log
                            .audio_bytes
                            .fetch_add(bytes.len(), Ordering::SeqCst);
                        let chunks = self.log.audio_chunks.fetch_add(1, Ordering::SeqCst) + 1;
                        if chunks >= 5 && !answered {
                            answered = true;
                            let heard = json!({"type": "user_transcript",
                                "user_transcription_event": {"user_transcript": "I had a long week."}});
                            let reply = json!({"type": "agent_response",
                                "agent_response_event": {"agent_response": "That sounds tiring. Tell me more."}});
                            let _ = ws.send(send(heard)).await;
                            let _ = ws.send(send(reply)).await;
                        }
                    } else if value["type"] == "client_tool_result" {
                        self.log.tool_results.lock().unwrap().push(value);
                    } else if value["type"] == "pong" {
                        self.log
                            .pongs
                            .lock()
                            .unwrap()
                            .push(value["event_id"].as_u64().unwrap_or(0));
                    }
                }
                Ok(Message::Close(frame)) => {
                    end(SocketEnd::ClosedByApp(
                        frame.map_or(1005, |f| u16::from(f.code)),
                    ));
                    let _ = ws.close(None).await;
                    return;
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        end(SocketEnd::Vanished);
    }
}
