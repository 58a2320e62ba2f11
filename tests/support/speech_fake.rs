//! A loopback fake of ElevenLabs for voice tests: the JSON endpoints the app needs, and
//! the speech stream sent slowly as chunked MP3 (silent frames), with a log of every
//! stream request and how it ended, so a test can prove none was left open.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::fakes::{eleven_bodies, eleven_models, eleven_voices, ELEVEN_KEY};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    Open,
    Finished,
    /// The app closed the request before the fake finished (Stop).
    ClosedByClient,
}

#[derive(Debug, Clone)]
pub struct StreamRequest {
    pub path: String,
    pub text: String,
    pub ended: Ended,
    pub finished_at: Option<Instant>,
}

#[derive(Clone)]
pub struct SpeechFake {
    pub url: String,
    /// What `get-signed-url` hands out for the fake agent, once set.
    agent_url: Arc<Mutex<Option<String>>>,
    streams: Arc<Mutex<Vec<StreamRequest>>>,
    quota_used_up: Arc<AtomicBool>,
}

/// One silent MPEG-1 Layer III frame (128 kbit/s, 44.1 kHz): header, then empty data.
fn silent_frame() -> Vec<u8> {
    let mut frame = vec![0u8; 417];
    frame[..4].copy_from_slice(&[0xFF, 0xFB, 0x90, 0x64]);
    frame
}

/// Chunks per stream and the pause between them: about four seconds of sending.
const CHUNKS: usize = 40;
const FRAMES_PER_CHUNK: usize = 8;
const PACE: Duration = Duration::from_millis(100);

impl SpeechFake {
    pub async fn start() -> SpeechFake {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let fake = SpeechFake {
            url: format!("http://{}", listener.local_addr().unwrap()),
            streams: Arc::default(),
            quota_used_up: Arc::default(),
            agent_url: Arc::default(),
        };
        let server = fake.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let server = server.clone();
                tokio::spawn(async move { server.serve(socket).await });
            }
        });
        fake
    }

    /// Serves `signed_url` for the fake agent's id.
    pub fn serve_agent(&self, signed_url: String) {
        *self.agent_url.lock().unwrap() = Some(signed_url);
    }

    /// From now on the account's character quota is used up.
    pub fn use_up_quota(&self) {
        self.quota_used_up.store(true, Ordering::SeqCst);
    }

    pub fn streams(&self) -> Vec<StreamRequest> {
        self.streams.lock().unwrap().clone()
    }

    async fn serve(&self, mut socket: TcpStream) {
        let Some((head, body)) = read_request(&mut socket).await else {
            return;
        };
        let mut request_line = head.lines().next().unwrap_or_default().split_whitespace();
        let (method, target) = (
            request_line.next().unwrap_or_default().to_string(),
            request_line.next().unwrap_or_default().to_string(),
        );
        let path = target.split('?').next().unwrap_or_default().to_string();
        let keyed = head
            .lines()
            .any(|l| l.eq_ignore_ascii_case(&format!("xi-api-key: {ELEVEN_KEY}")));
        let quota_used_up = self.quota_used_up.load(Ordering::SeqCst);
        let answer = |status: &str, body: serde_json::Value| (status.to_string(), body);
        // Route first: an unknown path is 404 and a wrong method 405, whatever the key.
        let allowed = match path.as_str() {
            p if p.starts_with("/v1/text-to-speech/") && p.ends_with("/stream") => "POST",
            "/v1/convai/conversation/get-signed-url"
            | "/v1/models"
            | "/v2/voices"
            | "/v1/user/subscription" => "GET",
            _ => "",
        };
        let (status, json_body) = match (method.as_str(), path.as_str()) {
            _ if allowed.is_empty() => answer("404 Not Found", serde_json::Value::Null),
            (m, _) if m != allowed => answer("405 Method Not Allowed", serde_json::Value::Null),
            _ if !keyed => answer(
                "401 Unauthorized",
                eleven_bodies::error("invalid_api_key", "Invalid API key"),
            ),
            ("POST", _) => {
                if quota_used_up {
                    answer(
                        "401 Unauthorized",
                        eleven_bodies::error(
                            "quota_exceeded",
                            "This request exceeds your quota of 10000. You have 0 credits remaining.",
                        ),
                    )
                } else {
                    let text = serde_json::from_slice::<serde_json::Value>(&body)
                        .ok()
                        .and_then(|b| b["text"].as_str().map(str::to_string))
                        .unwrap_or_default();
                    self.stream(socket, target, text).await;
                    return;
                }
            }
            (_, "/v1/convai/conversation/get-signed-url") => {
                match self.agent_url.lock().unwrap().clone() {
                    Some(url)
                        if target
                            .contains(&format!("agent_id={}", super::agent_fake::AGENT_ID)) =>
                    {
                        answer("200 OK", eleven_bodies::signed_url(&url))
                    }
                    // The contract documents no body for an unknown agent: a bare 404.
                    _ => answer("404 Not Found", serde_json::Value::Null),
                }
            }
            (_, "/v1/models") => answer("200 OK", eleven_models()),
            (_, "/v2/voices") => answer("200 OK", eleven_voices()),
            _ => answer(
                "200 OK",
                eleven_bodies::subscription(if quota_used_up { 30000 } else { 1200 }),
            ),
        };
        let body = if json_body.is_null() {
            String::new()
        } else {
            json_body.to_string()
        };
        let response = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = socket.write_all(response.as_bytes()).await;
    }

    async fn stream(&self, mut socket: TcpStream, path: String, text: String) {
        let index = {
            let mut streams = self.streams.lock().unwrap();
            streams.push(StreamRequest {
                path,
                text,
                ended: Ended::Open,
                finished_at: None,
            });
            streams.len() - 1
        };
        let set = |ended: Ended| {
            let mut streams = self.streams.lock().unwrap();
            streams[index].ended = ended;
            streams[index].finished_at = Some(Instant::now());
        };
        let head = "HTTP/1.1 200 OK\r\ncontent-type: audio/mpeg\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n";
        let chunk: Vec<u8> = silent_frame().repeat(FRAMES_PER_CHUNK);
        let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
        if socket.write_all(head.as_bytes()).await.is_err() {
            return set(Ended::ClosedByClient);
        }
        for _ in 0..CHUNKS {
            if socket.write_all(&framed).await.is_err() || socket.flush().await.is_err() {
                return set(Ended::ClosedByClient);
            }
            tokio::time::sleep(PACE).await;
            // A peer that closed shows as a readable EOF before writes start failing.
            let mut probe = [0u8; 1];
            if let Ok(Ok(0)) =
                tokio::time::timeout(Duration::from_millis(1), socket.read(&mut probe)).await
            {
                return set(Ended::ClosedByClient);
            }
        }
        let _ = socket.write_all(b"0\r\n\r\n").await;
        set(Ended::Finished);
    }
}

async fn read_request(socket: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    let body_start = loop {
        let n = socket.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        raw.extend_from_slice(&buf[..n]);
        if let Some(at) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&raw[..body_start]).to_string();
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .and_then(|v| v.trim().parse().ok())
        })
        .unwrap_or(0);
    while raw.len() < body_start + length {
        let n = socket.read(&mut buf).await.ok()?;
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
    }
    Some((head, raw[body_start..].to_vec()))
}
