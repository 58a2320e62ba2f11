//! Loopback fakes of the upstream services, built so that the fake itself costs as little
//! as possible (responses are prepared before they are timed, nothing is allocated while a
//! stream is sent) and stamps the moment it sends or receives.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

/// Reads one request (head and any content-length body) from `buf`/`socket`; returns the
/// head, or `None` when the client closed the connection.
async fn read_request(socket: &mut TcpStream, buf: &mut Vec<u8>) -> Option<String> {
    let head_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let mut chunk = [0u8; 4096];
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let length: usize = head
        .lines()
        .find_map(|line| {
            let line = line.to_ascii_lowercase();
            line.strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap_or(0))
        })
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let mut chunk = [0u8; 4096];
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    buf.drain(..head_end + length);
    Some(head)
}

/// What ElevenLabs answers the live check every key passes before Serene saves it (its
/// model list), for the fakes below: none of them is about that check.
const KEY_CHECK_ANSWER: &[u8] =
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n[]";

fn is_key_check(head: &str) -> bool {
    head.starts_with("GET /v1/models")
}

/// An HTTP/1.1 server answering every request, on kept-alive connections, with one
/// prepared JSON response (and the key check with an empty model list).
pub async fn json_server(body: &[u8]) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let mut response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    response.extend_from_slice(body);
    let response = Arc::new(response);
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let _ = socket.set_nodelay(true);
            let response = response.clone();
            tokio::spawn(async move {
                let mut buf = Vec::with_capacity(8192);
                while let Some(head) = read_request(&mut socket, &mut buf).await {
                    let answer = if is_key_check(&head) {
                        KEY_CHECK_ANSWER
                    } else {
                        &response[..]
                    };
                    if socket.write_all(answer).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    url
}

/// What a streamed speech response looks like.
#[derive(Clone, Copy, Debug)]
pub struct StreamPlan {
    pub chunks: usize,
    pub chunk_size: usize,
    /// Between the response headers and the first audio byte (a real service synthesises
    /// first), so the first-chunk figure is about forwarding, not about header handling.
    pub first_byte_after: Duration,
    /// Between chunks.
    pub pace: Duration,
}

/// A fake of ElevenLabs's streamed speech endpoint: any POST gets a chunked `audio/mpeg`
/// answer following the current plan; the instant just before each response's first audio
/// byte is written goes to the returned receiver.
pub struct SpeechServer {
    pub url: String,
    plan: Arc<Mutex<(StreamPlan, Arc<Vec<u8>>)>>,
    pub first_bytes: mpsc::UnboundedReceiver<Instant>,
}

fn framed_chunk(size: usize) -> Arc<Vec<u8>> {
    let mut framed = format!("{size:x}\r\n").into_bytes();
    framed.resize(framed.len() + size, 0xFF);
    framed.extend_from_slice(b"\r\n");
    Arc::new(framed)
}

impl SpeechServer {
    pub async fn start(plan: StreamPlan) -> SpeechServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let shared = Arc::new(Mutex::new((plan, framed_chunk(plan.chunk_size))));
        let (tx, rx) = mpsc::unbounded_channel();
        let plans = shared.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let _ = socket.set_nodelay(true);
                let plans = plans.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::with_capacity(8192);
                    while let Some(head) = read_request(&mut socket, &mut buf).await {
                        if is_key_check(&head) {
                            if socket.write_all(KEY_CHECK_ANSWER).await.is_err() {
                                return;
                            }
                            continue;
                        }
                        let (plan, framed) = plans.lock().unwrap().clone();
                        let header = b"HTTP/1.1 200 OK\r\ncontent-type: audio/mpeg\r\ntransfer-encoding: chunked\r\n\r\n";
                        if socket.write_all(header).await.is_err() {
                            return;
                        }
                        tokio::time::sleep(plan.first_byte_after).await;
                        for i in 0..plan.chunks {
                            if i == 0 {
                                let _ = tx.send(Instant::now());
                            } else if !plan.pace.is_zero() {
                                tokio::time::sleep(plan.pace).await;
                            }
                            if socket.write_all(&framed).await.is_err() {
                                return;
                            }
                        }
                        if socket.write_all(b"0\r\n\r\n").await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        SpeechServer {
            url,
            plan: shared,
            first_bytes: rx,
        }
    }

    pub fn set_plan(&self, plan: StreamPlan) {
        *self.plan.lock().unwrap() = (plan, framed_chunk(plan.chunk_size));
    }
}

/// A fake of the ElevenLabs agent websocket for one connection: answers the initiation
/// message with the session metadata, stamps each audio chunk it receives, and sends a
/// prepared audio event on request, stamping the moment just before it does.
pub struct AgentServer {
    pub url: String,
    /// When each `user_audio_chunk` arrived.
    pub received: mpsc::UnboundedReceiver<Instant>,
    send: mpsc::UnboundedSender<Utf8Bytes>,
    /// When each requested message was about to be written.
    pub sent: mpsc::UnboundedReceiver<Instant>,
}

pub fn metadata() -> String {
    serde_json::json!({
        "type": "conversation_initiation_metadata",
        "conversation_initiation_metadata_event": {
            "conversation_id": "conv_bench",
            "agent_output_audio_format": "pcm_16000",
            "user_input_audio_format": "pcm_16000"
        }
    })
    .to_string()
}

impl AgentServer {
    pub async fn start() -> AgentServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "ws://{}/v1/convai/conversation?agent_id=agent_bench",
            listener.local_addr().unwrap()
        );
        let (received_tx, received) = mpsc::unbounded_channel();
        let (send, mut to_send) = mpsc::unbounded_channel::<Utf8Bytes>();
        let (sent_tx, sent) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let _ = tcp.set_nodelay(true);
            let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
            loop {
                tokio::select! {
                    message = to_send.recv() => {
                        let Some(message) = message else { return };
                        let _ = sent_tx.send(Instant::now());
                        if ws.send(Message::Text(message)).await.is_err() {
                            return;
                        }
                    }
                    incoming = ws.next() => match incoming {
                        Some(Ok(Message::Text(text))) => {
                            let at = Instant::now();
                            if text.contains("user_audio_chunk") {
                                let _ = received_tx.send(at);
                            } else if text.contains("conversation_initiation_client_data")
                                && ws.send(Message::text(metadata())).await.is_err()
                            {
                                return;
                            }
                        }
                        Some(Ok(_)) => {}
                        Some(Err(_)) | None => return,
                    }
                }
            }
        });
        AgentServer {
            url,
            received,
            send,
            sent,
        }
    }

    pub fn send(&self, message: Utf8Bytes) {
        self.send.send(message).unwrap();
    }
}
