//! The agent relay against a fake ElevenLabs agent websocket on loopback that follows
//! `shared/contracts/elevenlabs.md` (Agents websocket) and records what it receives.
#![cfg(feature = "e2e")]

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use serene_core::agent::{
    AgentEvent, AgentRelay, AgentUrlPolicy, EndHow, RelayLimits, AGENT_HOSTS, MAX_FRAME_BYTES,
};
use serene_core::endpoints::Endpoints;
use serene_core::{ErrorCode, Sensitive};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(5);

/// What the test tells the fake to do.
enum Act {
    Send(Message),
    /// Drop the TCP connection without a close frame.
    Vanish,
}

/// What the fake saw from the relay.
#[derive(Debug, PartialEq)]
enum Seen {
    Text(Value),
    Pong(Vec<u8>),
    Close(Option<u16>),
    /// The socket ended (after a close handshake or without one).
    Eof,
}

struct Fake {
    url: String,
    act: mpsc::UnboundedSender<Act>,
    seen: mpsc::UnboundedReceiver<Seen>,
}

impl Fake {
    async fn start() -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "ws://{}/v1/convai/conversation?agent_id=agent_1&conversation_signature=sig_secret",
            listener.local_addr().unwrap()
        );
        let (act_tx, mut act_rx) = mpsc::unbounded_channel();
        let (seen_tx, seen_rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
            loop {
                tokio::select! {
                    act = act_rx.recv() => match act {
                        Some(Act::Send(message)) => {
                            if ws.send(message).await.is_err() {
                                let _ = seen_tx.send(Seen::Eof);
                                return;
                            }
                        }
                        Some(Act::Vanish) | None => return,
                    },
                    incoming = ws.next() => {
                        let seen = match incoming {
                            Some(Ok(Message::Text(text))) => {
                                Seen::Text(serde_json::from_str(&text).unwrap())
                            }
                            Some(Ok(Message::Pong(data))) => Seen::Pong(data.to_vec()),
                            Some(Ok(Message::Close(frame))) => {
                                Seen::Close(frame.map(|f| u16::from(f.code)))
                            }
                            Some(Ok(other)) => panic!("the fake got {other:?}"),
                            Some(Err(_)) | None => {
                                let _ = seen_tx.send(Seen::Eof);
                                return;
                            }
                        };
                        let _ = seen_tx.send(seen);
                    }
                }
            }
        });
        Fake {
            url,
            act: act_tx,
            seen: seen_rx,
        }
    }

    fn send(&self, value: Value) {
        self.act
            .send(Act::Send(Message::text(value.to_string())))
            .unwrap();
    }

    fn send_message(&self, message: Message) {
        self.act.send(Act::Send(message)).unwrap();
    }

    async fn next(&mut self) -> Seen {
        timeout(WAIT, self.seen.recv())
            .await
            .expect("the fake saw nothing in time")
            .expect("the fake has stopped")
    }

    /// The first message of every session.
    async fn expect_initiation(&mut self) {
        assert_eq!(
            self.next().await,
            Seen::Text(json!({"type": "conversation_initiation_client_data"}))
        );
    }
}

struct Events(mpsc::UnboundedReceiver<AgentEvent>);

impl Events {
    async fn next(&mut self) -> AgentEvent {
        timeout(WAIT, self.0.recv())
            .await
            .expect("no event in time")
            .expect("the relay dropped its sink")
    }

    async fn none_within(&mut self, wait: Duration) {
        if let Ok(Some(event)) = timeout(wait, self.0.recv()).await {
            panic!("unexpected event {event:?}");
        }
    }
}

fn loopback_policy() -> AgentUrlPolicy {
    let endpoints = Endpoints::resolve(|_| Some("http://127.0.0.1:9".into()));
    AgentUrlPolicy::for_endpoints(&endpoints)
}

async fn connect(fake: &Fake, limits: RelayLimits) -> (AgentRelay, Events) {
    let (tx, rx) = mpsc::unbounded_channel();
    let relay = AgentRelay::connect(
        Sensitive::new(fake.url.clone()),
        &loopback_policy(),
        limits,
        move |event| {
            let _ = tx.send(event);
        },
    )
    .await
    .expect("connects to the fake");
    (relay, Events(rx))
}

fn metadata() -> Value {
    json!({
        "type": "conversation_initiation_metadata",
        "conversation_initiation_metadata_event": {
            "conversation_id": "conv_1",
            "agent_output_audio_format": "pcm_16000",
            "user_input_audio_format": "pcm_16000"
        }
    })
}

async fn started(fake: &mut Fake, events: &mut Events) {
    fake.expect_initiation().await;
    fake.send(metadata());
    assert!(matches!(events.next().await, AgentEvent::Started { .. }));
}

fn pcm(seed: u8, len: usize) -> Vec<u8> {
    (0..len).map(|i| seed.wrapping_add(i as u8)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relays_both_ways_in_order() {
    let mut fake = Fake::start().await;
    let (relay, mut events) = connect(&fake, RelayLimits::default()).await;
    fake.expect_initiation().await;

    fake.send(metadata());
    fake.send(json!({"type": "vad_score", "vad_score_event": {"vad_score": 0.9}}));
    fake.send(json!({"type": "a_type_from_the_future", "x": 1}));
    fake.send(json!({"type": "user_transcript", "user_transcription_event": {"user_transcript": "I feel\u{7} tense\nlately"}}));
    fake.send(json!({"type": "agent_response", "agent_response_event": {"agent_response": "Let's breathe together."}}));
    fake.send(json!({"type": "audio", "audio_event": {"audio_base_64": "AAEC", "event_id": 4}}));
    fake.send(json!({"type": "interruption", "interruption_event": {"event_id": 4}}));
    fake.send(json!({"type": "agent_response_correction", "agent_response_correction_event": {"original_agent_response": "Let's breathe together.", "corrected_agent_response": "Let's"}}));

    assert_eq!(
        events.next().await,
        AgentEvent::Started {
            conversation_id: "conv_1".into(),
            agent_output_format: "pcm_16000".into(),
            user_input_format: "pcm_16000".into(),
        }
    );
    assert_eq!(
        events.next().await,
        AgentEvent::UserTranscript {
            text: "I feel tense\nlately".into()
        }
    );
    assert_eq!(
        events.next().await,
        AgentEvent::AgentResponse {
            text: "Let's breathe together.".into()
        }
    );
    assert_eq!(
        events.next().await,
        AgentEvent::AgentAudio {
            pcm_base64: "AAEC".into(),
            event_id: Some(4)
        }
    );
    assert_eq!(
        events.next().await,
        AgentEvent::Interruption { event_id: Some(4) }
    );
    assert_eq!(
        events.next().await,
        AgentEvent::AgentCorrection {
            text: "Let's".into()
        }
    );

    let frames = [pcm(1, 640), pcm(2, 3200), pcm(3, MAX_FRAME_BYTES)];
    for frame in &frames {
        relay.send_audio(frame).unwrap();
    }
    for frame in &frames {
        let Seen::Text(message) = fake.next().await else {
            panic!("expected an audio chunk");
        };
        assert_eq!(message.as_object().unwrap().len(), 1, "{message}");
        let chunk = message["user_audio_chunk"].as_str().unwrap();
        assert_eq!(&STANDARD.decode(chunk).unwrap(), frame);
    }
    assert!(relay.is_running());
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audio_from_before_an_interruption_is_dropped() {
    let mut fake = Fake::start().await;
    let (relay, mut events) = connect(&fake, RelayLimits::default()).await;
    started(&mut fake, &mut events).await;
    let audio = |id: u64| json!({"type": "audio", "audio_event": {"audio_base_64": "AAEC", "event_id": id}});
    fake.send(audio(5));
    fake.send(json!({"type": "interruption", "interruption_event": {"event_id": 7}}));
    // Still in flight when the person spoke: older than the interruption.
    fake.send(audio(5));
    fake.send(audio(6));
    // The agent's answer to what the person said.
    fake.send(audio(7));
    fake.send(audio(8));
    let mut ids = Vec::new();
    for _ in 0..4 {
        match events.next().await {
            AgentEvent::AgentAudio { event_id, .. } => ids.push(event_id.unwrap()),
            AgentEvent::Interruption { event_id } => {
                assert_eq!(event_id, Some(7));
                ids.push(0);
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(ids, [5, 0, 7, 8]);
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_tool_calls_are_answered_with_an_error_result() {
    let mut fake = Fake::start().await;
    let (relay, mut events) = connect(&fake, RelayLimits::default()).await;
    started(&mut fake, &mut events).await;
    fake.send(json!({"type": "client_tool_call", "client_tool_call": {
        "tool_name": "open_calendar", "tool_call_id": "call_9", "parameters": {"day": "today"}}}));
    assert_eq!(
        fake.next().await,
        Seen::Text(
            json!({"type": "client_tool_result", "tool_call_id": "call_9",
            "result": "This client runs no tools.", "is_error": true})
        )
    );
    assert!(relay.is_running());
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_in_band_error_reaches_the_person_typed() {
    let mut fake = Fake::start().await;
    let (relay, mut events) = connect(&fake, RelayLimits::default()).await;
    started(&mut fake, &mut events).await;
    fake.send(
        json!({"type": "error", "error_event": {"error_type": "quota_exceeded", "code": 1008,
        "message": "upstream words sk_not_for_the_page"}}),
    );
    match events.next().await {
        AgentEvent::AgentError { error } => {
            assert_eq!(error.code, ErrorCode::OutOfCredits);
            assert!(!error.message.contains("sk_not_for_the_page"));
        }
        other => panic!("{other:?}"),
    }
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_pings_with_the_same_id() {
    let mut fake = Fake::start().await;
    let (relay, mut events) = connect(&fake, RelayLimits::default()).await;
    started(&mut fake, &mut events).await;

    fake.send(json!({"type": "ping", "ping_event": {"event_id": 7, "ping_ms": 40}}));
    let answered = timeout(Duration::from_secs(2), fake.next()).await.unwrap();
    assert_eq!(answered, Seen::Text(json!({"type": "pong", "event_id": 7})));

    // A websocket-level ping is answered too, by tungstenite, while the relay reads.
    fake.send_message(Message::Ping(b"keepalive".to_vec().into()));
    let answered = timeout(Duration::from_secs(2), fake.next()).await.unwrap();
    assert_eq!(answered, Seen::Pong(b"keepalive".to_vec()));

    events.none_within(Duration::from_millis(200)).await;
    assert!(relay.is_running());
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_closes_cleanly_once() {
    let mut fake = Fake::start().await;
    let (relay, mut events) = connect(&fake, RelayLimits::default()).await;
    started(&mut fake, &mut events).await;

    timeout(Duration::from_secs(3), relay.stop())
        .await
        .expect("stop returns promptly");
    assert_eq!(fake.next().await, Seen::Close(Some(1000)));
    assert_eq!(fake.next().await, Seen::Eof);
    assert_eq!(
        events.next().await,
        AgentEvent::Ended {
            how: EndHow::Stopped
        }
    );
    assert!(!relay.is_running());
    assert!(relay.send_audio(&pcm(0, 640)).is_err());

    relay.stop().await;
    events.none_within(Duration::from_millis(300)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_handle_closes_the_socket() {
    let mut fake = Fake::start().await;
    let (relay, mut events) = connect(&fake, RelayLimits::default()).await;
    started(&mut fake, &mut events).await;

    drop(relay);
    let seen = timeout(Duration::from_secs(2), fake.next()).await.unwrap();
    assert!(
        matches!(seen, Seen::Close(Some(1000)) | Seen::Eof),
        "{seen:?}"
    );
    assert_eq!(
        events.next().await,
        AgentEvent::Ended {
            how: EndHow::Stopped
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_time_cap_ends_the_session() {
    let mut fake = Fake::start().await;
    let limits = RelayLimits {
        max_session: Duration::from_millis(400),
        ..RelayLimits::default()
    };
    let (relay, mut events) = connect(&fake, limits).await;
    started(&mut fake, &mut events).await;

    assert_eq!(fake.next().await, Seen::Close(Some(1000)));
    assert_eq!(
        events.next().await,
        AgentEvent::Ended {
            how: EndHow::TimeCap
        }
    );
    assert!(!relay.is_running());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_closing_cleanly_ends_the_session() {
    let mut fake = Fake::start().await;
    let (relay, mut events) = connect(&fake, RelayLimits::default()).await;
    started(&mut fake, &mut events).await;

    fake.send_message(Message::Close(Some(
        tokio_tungstenite::tungstenite::protocol::CloseFrame {
            code: CloseCode::Normal,
            reason: "bye".into(),
        },
    )));
    assert_eq!(
        events.next().await,
        AgentEvent::Ended {
            how: EndHow::ClosedByAgent
        }
    );
    assert!(!relay.is_running());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_closing_with_an_error_code_fails() {
    let mut fake = Fake::start().await;
    let (relay, mut events) = connect(&fake, RelayLimits::default()).await;
    started(&mut fake, &mut events).await;

    fake.send_message(Message::Close(Some(
        tokio_tungstenite::tungstenite::protocol::CloseFrame {
            code: CloseCode::Policy,
            reason: "quota exceeded for sk_upstream_detail".into(),
        },
    )));
    let AgentEvent::Failed { error } = events.next().await else {
        panic!("expected Failed");
    };
    assert_eq!(error.code, ErrorCode::UpstreamUnavailable);
    assert!(!error.message.contains("quota"), "{}", error.message);
    assert!(!relay.is_running());
}

#[tokio::test]
async fn a_refused_handshake_is_an_error_not_a_session() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "ws://{}/v1/convai/conversation?conversation_signature=expired",
        listener.local_addr().unwrap()
    );
    tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.unwrap();
        let mut request = [0u8; 4096];
        let _ = tcp.read(&mut request).await;
        let body = r#"{"detail":{"status":"invalid_signature","message":"sig expired"}}"#;
        let response = format!(
            "HTTP/1.1 403 Forbidden\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        let _ = tcp.write_all(response.as_bytes()).await;
    });
    let result = AgentRelay::connect(
        Sensitive::new(url),
        &loopback_policy(),
        RelayLimits::default(),
        |_| panic!("no session, no events"),
    )
    .await;
    let error = result.err().expect("refused");
    assert_eq!(error.code, ErrorCode::UpstreamRejected);
    assert!(!error.message.contains("expired"), "{}", error.message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_connection_fails_clearly() {
    let mut fake = Fake::start().await;
    let (relay, mut events) = connect(&fake, RelayLimits::default()).await;
    started(&mut fake, &mut events).await;

    fake.act.send(Act::Vanish).unwrap();
    let AgentEvent::Failed { error } = events.next().await else {
        panic!("expected Failed");
    };
    assert_eq!(error.code, ErrorCode::UpstreamUnavailable);
    assert!(error.message.contains("connection"), "{}", error.message);
    for technical in [
        "sig_secret",
        "127.0.0.1",
        "ws://",
        "Protocol",
        "handshake",
        "reset",
    ] {
        assert!(!error.message.contains(technical), "{}", error.message);
    }
    assert!(!relay.is_running());
    let refused = relay.send_audio(&pcm(0, 640)).unwrap_err();
    assert_eq!(refused.code, ErrorCode::UpstreamUnavailable);
    events.none_within(Duration::from_millis(300)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_breaking_the_contract_fails() {
    let mut fake = Fake::start().await;
    let (relay, mut events) = connect(&fake, RelayLimits::default()).await;
    started(&mut fake, &mut events).await;

    fake.send(json!({"type": "audio", "audio_event": {"audio_base_64": "not base64!"}}));
    let AgentEvent::Failed { error } = events.next().await else {
        panic!("expected Failed");
    };
    assert_eq!(error.code, ErrorCode::UpstreamUnexpected);
    assert!(!relay.is_running());
}

#[test]
fn production_policy_accepts_only_the_agent_hosts() {
    let policy = AgentUrlPolicy::production();
    assert_eq!(
        policy,
        AgentUrlPolicy::for_endpoints(&Endpoints::production())
    );
    for host in AGENT_HOSTS {
        for url in [
            format!("wss://{host}/v1/convai/conversation?agent_id=a&conversation_signature=s"),
            format!("wss://{host}:443/v1/convai/conversation?agent_id=a"),
        ] {
            assert!(policy.check(&url).is_ok(), "{url}");
        }
    }
    for refused in [
        "ws://api.elevenlabs.io/v1/convai/conversation",
        "https://api.elevenlabs.io/v1/convai/conversation",
        "http://api.elevenlabs.io/v1/convai/conversation",
        "wss://evil.test/v1/convai/conversation",
        "wss://api.elevenlabs.io.evil.test/v1/convai/conversation",
        "wss://elevenlabs.io/v1/convai/conversation",
        "wss://API.elevenlabs.io@evil.test/v1/convai/conversation",
        "wss://user@api.elevenlabs.io/v1/convai/conversation",
        "wss://user:pass@api.elevenlabs.io/v1/convai/conversation",
        "wss://api.elevenlabs.io:8443/v1/convai/conversation",
        "wss://api.elevenlabs.io:80/v1/convai/conversation",
        "wss://api.elevenlabs.io/v1/text-to-speech/x/stream-input",
        "wss://api.elevenlabs.io/v1/convaiX",
        "wss://api.elevenlabs.io/v1/convai/conversation#frag",
        "wss://127.0.0.1/v1/convai/conversation",
        "ws://127.0.0.1:9000/v1/convai/conversation",
        "not a url",
        "",
    ] {
        let error = policy.check(refused).unwrap_err();
        assert_eq!(error.code, ErrorCode::NotAllowed, "{refused}");
    }
}

#[test]
fn e2e_policy_adds_only_loopback_ws() {
    let policy = loopback_policy();
    for accepted in [
        "ws://127.0.0.1:9000/v1/convai/conversation?agent_id=a",
        "ws://[::1]:9000/v1/convai/conversation",
        "ws://localhost:9000/v1/convai/conversation",
        "wss://api.elevenlabs.io/v1/convai/conversation",
    ] {
        assert!(policy.check(accepted).is_ok(), "{accepted}");
    }
    for refused in [
        "ws://example.com/v1/convai/conversation",
        "ws://10.0.0.1:9000/v1/convai/conversation",
        "ws://user@127.0.0.1:9000/v1/convai/conversation",
        "ws://127.0.0.1:9000/elsewhere",
        "http://127.0.0.1:9000/v1/convai/conversation",
    ] {
        assert!(policy.check(refused).is_err(), "{refused}");
    }
}

#[tokio::test]
async fn a_refused_url_is_never_connected() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "ws://{}/v1/convai/conversation?conversation_signature=sig_secret",
        listener.local_addr().unwrap()
    );
    let result = AgentRelay::connect(
        Sensitive::new(url),
        &AgentUrlPolicy::production(),
        RelayLimits::default(),
        |_| {},
    )
    .await;
    let error = result.err().expect("refused");
    assert_eq!(error.code, ErrorCode::NotAllowed);
    assert!(!error.message.contains("sig_secret"));
    assert!(
        timeout(Duration::from_millis(300), listener.accept())
            .await
            .is_err(),
        "no connection was attempted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frames_from_the_ui_are_bounded() {
    let mut fake = Fake::start().await;
    let (relay, mut events) = connect(&fake, RelayLimits::default()).await;
    started(&mut fake, &mut events).await;

    for bad in [vec![], pcm(0, 641), pcm(0, MAX_FRAME_BYTES + 2)] {
        let error = relay.send_audio(&bad).unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidInput, "{} bytes", bad.len());
    }
    relay.send_audio(&pcm(0, MAX_FRAME_BYTES)).unwrap();
    assert!(matches!(fake.next().await, Seen::Text(_)));
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_message_from_the_agent_fails() {
    let limits = RelayLimits {
        max_message_bytes: 64 * 1024,
        ..RelayLimits::default()
    };
    let huge = STANDARD.encode(vec![0u8; 256 * 1024]);
    let mut fake = Fake::start().await;
    let (relay, mut events) = connect(&fake, limits.clone()).await;
    started(&mut fake, &mut events).await;
    fake.send(json!({"type": "audio", "audio_event": {"audio_base_64": huge, "event_id": 1}}));
    let AgentEvent::Failed { error } = events.next().await else {
        panic!("expected Failed");
    };
    assert_eq!(error.code, ErrorCode::UpstreamUnexpected);
    assert!(!relay.is_running());

    // The same total in small frames: the message cap holds across fragments too.
    let mut fake = Fake::start().await;
    let (relay, mut events) = connect(&fake, limits).await;
    started(&mut fake, &mut events).await;
    let chunk = vec![b'A'; 16 * 1024];
    for i in 0..16 {
        let opcode = if i == 0 { Data::Text } else { Data::Continue };
        let frame = Frame::message(chunk.clone(), OpCode::Data(opcode), false);
        // The relay may hang up before the last fragments are sent.
        let _ = fake.act.send(Act::Send(Message::Frame(frame)));
    }
    let AgentEvent::Failed { error } = events.next().await else {
        panic!("expected Failed");
    };
    assert_eq!(error.code, ErrorCode::UpstreamUnexpected);
    assert!(!relay.is_running());
}

/// A fake that completes the handshake and then never reads: the network has stalled.
async fn stalled_fake() -> (String, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "ws://{}/v1/convai/conversation",
        listener.local_addr().unwrap()
    );
    let held = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let _ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
    });
    (url, held)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_network_refuses_frames_and_still_stops() {
    let (url, held) = stalled_fake().await;
    let (tx, rx) = mpsc::unbounded_channel();
    let relay = AgentRelay::connect(
        Sensitive::new(url),
        &loopback_policy(),
        RelayLimits::default(),
        move |event| {
            let _ = tx.send(event);
        },
    )
    .await
    .unwrap();
    let mut events = Events(rx);

    let frame = pcm(5, MAX_FRAME_BYTES);
    let mut refused = None;
    for _ in 0..5_000 {
        match relay.send_audio(&frame) {
            Ok(()) => tokio::time::sleep(Duration::from_millis(1)).await,
            Err(error) => {
                refused = Some(error);
                break;
            }
        }
    }
    let refused = refused.expect("the queue is bounded");
    assert_eq!(refused.code, ErrorCode::UpstreamTimeout);

    timeout(Duration::from_secs(4), relay.stop())
        .await
        .expect("stop is bounded even when the socket cannot be written");
    assert_eq!(
        events.next().await,
        AgentEvent::Ended {
            how: EndHow::Stopped
        }
    );
    held.abort();
}
