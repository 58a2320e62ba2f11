//! Streamed speech through the core against a loopback fake of ElevenLabs's stream
//! endpoint: chunks are passed on as they arrive, a 20 MB stream leaves memory flat, Stop
//! closes the upstream request, and the request is the contract's.

mod support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use serene_core::provider::Provider;
use serene_core::service::Service;
use serene_core::voice::speech::SpeechText;
use serene_core::ErrorCode;
use support::counting_alloc::{peak_growth, start_measuring, Counting};
use support::{dirs, gateway, key, MemoryStore, ELEVEN_KEY};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// What the fake saw.
#[derive(Default)]
struct Seen {
    request_head: Mutex<String>,
    request_body: Mutex<String>,
    finished_sending: Mutex<Option<Instant>>,
    client_went_away: AtomicBool,
}

/// Serves one streamed speech response: `chunks` chunks of `chunk_size` bytes, `pace`
/// apart, as chunked transfer (what the contract says the endpoint sends).
async fn fake_stream(chunks: usize, chunk_size: usize, pace: Duration) -> (String, Arc<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Seen::default());
    let record = seen.clone();
    tokio::spawn(async move {
        // Every key is checked live before it is saved: answer that check (an account's
        // model list), then serve the one speech stream.
        let mut socket = loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut peek = [0u8; 16];
            let n = socket.peek(&mut peek).await.unwrap();
            if !peek[..n].starts_with(b"GET /v1/models") {
                break socket;
            }
            let _ = socket.read(&mut [0u8; 4096]).await;
            let _ = socket
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n[]")
                .await;
        };
        let mut raw = Vec::new();
        let mut buf = [0u8; 4096];
        let body_start = loop {
            let n = socket.read(&mut buf).await.unwrap();
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
                    .strip_prefix("content-length: ")
                    .map(|v| v.trim().parse().unwrap())
            })
            .unwrap_or(0);
        while raw.len() < body_start + length {
            let n = socket.read(&mut buf).await.unwrap();
            raw.extend_from_slice(&buf[..n]);
        }
        *record.request_body.lock().unwrap() =
            String::from_utf8_lossy(&raw[body_start..]).to_string();
        *record.request_head.lock().unwrap() = head;
        let header =
            "HTTP/1.1 200 OK\r\ncontent-type: audio/mpeg\r\ntransfer-encoding: chunked\r\n\r\n";
        socket.write_all(header.as_bytes()).await.unwrap();
        let chunk = vec![0xFFu8; chunk_size];
        for _ in 0..chunks {
            let framed = [format!("{chunk_size:x}\r\n").as_bytes(), &chunk, b"\r\n"].concat();
            if socket.write_all(&framed).await.is_err() || socket.flush().await.is_err() {
                record.client_went_away.store(true, Ordering::SeqCst);
                return;
            }
            tokio::time::sleep(pace).await;
        }
        let _ = socket.write_all(b"0\r\n\r\n").await;
        *record.finished_sending.lock().unwrap() = Some(Instant::now());
    });
    (url, seen)
}

async fn ready(url: &str, root: &std::path::Path) -> Service<MemoryStore> {
    let service = Service::new(MemoryStore::default(), gateway(url, url), dirs(root))
        .confirming_with(serene_core::confirm::AcceptAll);
    service
        .set_key(Provider::ElevenLabs, &key(ELEVEN_KEY))
        .await
        .unwrap();
    service
        .update_settings(
            serde_json::from_value(json!({"elevenlabsVoiceId": "21m00Tcm4TlvDq8ikWAM"})).unwrap(),
        )
        .await
        .unwrap();
    service
}

fn step(exercise: &str, step: usize) -> SpeechText {
    SpeechText::ExerciseStep {
        exercise: exercise.into(),
        step,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_first_chunk_is_passed_on_before_the_upstream_finishes() {
    let (url, seen) = fake_stream(20, 4096, Duration::from_millis(100)).await;
    let root = tempfile::tempdir().unwrap();
    let service = ready(&url, root.path()).await;
    let mut first_chunk_at = None;
    let done = service
        .speak(step("box-breathing", 0), |_chunk| {
            first_chunk_at.get_or_insert_with(Instant::now);
            true
        })
        .await
        .unwrap();
    assert_eq!(done.bytes, 20 * 4096);
    assert!(!done.stopped);
    let finished = seen
        .finished_sending
        .lock()
        .unwrap()
        .expect("the fake finished");
    let first = first_chunk_at.expect("a chunk arrived");
    assert!(
        first + Duration::from_millis(1500) < finished,
        "the first chunk came {:?} before the end of a 2 s stream",
        finished - first
    );

    // The request is the contract's: the voice in the path, mp3 at 128 kbit/s, logging off,
    // the key in its header, and only our own script as the text.
    let head = seen.request_head.lock().unwrap().clone();
    assert!(head.starts_with(
        "POST /v1/text-to-speech/21m00Tcm4TlvDq8ikWAM/stream?output_format=mp3_44100_128&enable_logging=false HTTP/1.1"
    ), "{head}");
    assert!(head
        .to_ascii_lowercase()
        .contains(&format!("xi-api-key: {ELEVEN_KEY}").to_ascii_lowercase()));
    let body: serde_json::Value = serde_json::from_str(&seen.request_body.lock().unwrap()).unwrap();
    assert_eq!(body["model_id"], "eleven_multilingual_v2");
    assert!(body["text"]
        .as_str()
        .unwrap()
        .starts_with("Let's slow your breathing"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_20_mb_stream_leaves_memory_flat() {
    let (url, seen) = fake_stream(320, 64 * 1024, Duration::ZERO).await;
    let root = tempfile::tempdir().unwrap();
    let service = ready(&url, root.path()).await;
    let baseline = start_measuring();
    let done = service
        .speak(step("body-scan", 1), |chunk| {
            drop(chunk);
            true
        })
        .await
        .unwrap();
    assert_eq!(done.bytes, 20 * 1024 * 1024);
    assert!(seen.finished_sending.lock().unwrap().is_some());
    let growth = peak_growth(baseline);
    assert!(
        growth < 5 * 1024 * 1024,
        "memory grew by {growth} bytes while streaming 20 MB"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn stop_closes_the_upstream_request_at_once() {
    let (url, seen) = fake_stream(200, 4096, Duration::from_millis(50)).await;
    let root = tempfile::tempdir().unwrap();
    let service = Arc::new(ready(&url, root.path()).await);
    let stopper = service.clone();
    let received = Arc::new(AtomicUsize::new(0));
    let counter = received.clone();
    let speaking = tokio::spawn(async move {
        service
            .speak(step("grounding-54321", 2), move |chunk| {
                counter.fetch_add(chunk.len(), Ordering::SeqCst);
                true
            })
            .await
    });
    while received.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stopper.stop_speech();
    let done = speaking.await.unwrap().unwrap();
    assert!(done.stopped);
    let deadline = Instant::now() + Duration::from_secs(2);
    while !seen.client_went_away.load(Ordering::SeqCst) {
        assert!(
            Instant::now() < deadline,
            "the upstream request stayed open after Stop"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(seen.finished_sending.lock().unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_is_spoken_without_a_voice_or_beyond_the_script() {
    let (url, _seen) = fake_stream(1, 16, Duration::ZERO).await;
    let root = tempfile::tempdir().unwrap();
    let service = Service::new(
        MemoryStore::default(),
        gateway(&url, &url),
        dirs(root.path()),
    )
    .confirming_with(serene_core::confirm::AcceptAll);
    let err = service
        .speak(SpeechText::Preview {}, |_| true)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::KeyMissing);
    service
        .set_key(Provider::ElevenLabs, &key(ELEVEN_KEY))
        .await
        .unwrap();
    let err = service
        .speak(SpeechText::Preview {}, |_| true)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput);
    assert!(err.message.contains("Choose a voice"));
}

#[tokio::test(flavor = "multi_thread")]
async fn speech_stops_at_the_daily_budget_and_typed_text_at_its_cap() {
    let (url, seen) = fake_stream(1, 16, Duration::ZERO).await;
    let root = tempfile::tempdir().unwrap();
    let service = ready(&url, root.path()).await;

    let long = "a".repeat(serene_core::policy::budget::TYPED_SPEECH_MAX_CHARS + 1);
    let err = service
        .speak(SpeechText::Typed { text: long }, |_| true)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::SpendingLimit);

    service
        .update_settings(serde_json::from_value(json!({"dailySpeechCharacters": 100})).unwrap())
        .await
        .unwrap();
    let err = service
        .speak(step("body-scan", 1), |_| true)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::SpendingLimit, "{err:?}");
    assert!(
        err.message.contains("100 characters left"),
        "{}",
        err.message
    );
    assert!(
        seen.request_head.lock().unwrap().is_empty(),
        "a refused request reached ElevenLabs"
    );
    let budgets = service.budgets().unwrap();
    assert_eq!(budgets.speech_characters.left, 100);
    let audit = service.audit().unwrap();
    assert!(audit.records.iter().any(|r| matches!(
        &r.event,
        serene_core::privacy::audit::AuditEvent::LimitRefused { limit } if limit == "daily_speech_characters"
    )));

    // What is spoken is counted, in characters.
    service
        .speak(SpeechText::Preview {}, |_| true)
        .await
        .unwrap();
    let spent = 100 - service.budgets().unwrap().speech_characters.left;
    assert_eq!(
        spent as usize,
        serene_core::voice::speech::PREVIEW_TEXT.chars().count()
    );
}
