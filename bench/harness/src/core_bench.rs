//! The core's figures, measured in-process against loopback fakes (no webview): what the
//! core adds to an upstream request, how fast the first speech chunk is passed on, how much
//! heap a 20 MB stream needs, and what the voice relay adds per audio frame. Every "core"
//! series has a "bare" twin (a plain reqwest or tokio-tungstenite client doing the same
//! exchange with the same fake), and the two run interleaved so drift hits both alike.

use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use serene_core::agent::{AgentEvent, AgentRelay, AgentUrlPolicy, RelayLimits};
use serene_core::endpoints::Endpoints;
use serene_core::gateway::elevenlabs::ElevenLabs;
use serene_core::gateway::{Gateway, Limits};
use serene_core::policy::rate_limit::RollingWindow;
use serene_core::privacy::local::LocalDirs;
use serene_core::provider::Provider;
use serene_core::service::Service;
use serene_core::vault::{Keychain, SecretStore, StoreFault};
use serene_core::voice::speech::SpeechText;
use serene_core::Sensitive;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use crate::alloc;
use crate::fakes::{self, AgentServer, SpeechServer, StreamPlan};
use crate::stats::{summarize, Summary};

const ELEVEN_KEY: &str = "sk_bench0000fake0000key0000not0000real0000value0000";
const VOICE: &str = "21m00Tcm4TlvDq8ikWAM";
/// What the UI sends: 100 ms of 16 kHz 16-bit mono PCM (ui/public/pcm-capture.js).
const MIC_FRAME_BYTES: usize = 3_200;
/// Agent audio as ElevenLabs sends it: here 250 ms of the same format per event.
const AGENT_AUDIO_BYTES: usize = 8_000;

#[derive(Clone, Debug)]
pub struct Options {
    pub calls: usize,
    pub warmup: usize,
    pub speech_runs: usize,
    pub stream_runs: usize,
    pub relay_frames: usize,
    /// Also measure the service with the real OS keychain (needs a session bus with an
    /// unlocked Secret Service).
    pub keychain: bool,
    /// Pause between timed exchanges, so worker threads go idle as between real calls.
    pub gap: Duration,
}

impl Options {
    pub fn full() -> Options {
        Options {
            calls: 1_000,
            warmup: 100,
            speech_runs: 200,
            stream_runs: 3,
            relay_frames: 1_000,
            keychain: true,
            gap: Duration::from_millis(1),
        }
    }

    pub fn quick() -> Options {
        Options {
            calls: 30,
            warmup: 5,
            speech_runs: 10,
            stream_runs: 1,
            relay_frames: 30,
            keychain: false,
            gap: Duration::from_millis(1),
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000.0
}

/// An in-memory secret store, for series that are about something other than the keychain.
#[derive(Default)]
pub struct MemoryStore(std::sync::Mutex<std::collections::HashMap<String, String>>);

impl SecretStore for MemoryStore {
    fn read(&self, account: &str) -> Result<Option<Sensitive<String>>, StoreFault> {
        Ok(self
            .0
            .lock()
            .unwrap()
            .get(account)
            .cloned()
            .map(Sensitive::new))
    }
    fn write(&self, account: &str, secret: &Sensitive<String>) -> Result<(), StoreFault> {
        self.0
            .lock()
            .unwrap()
            .insert(account.into(), secret.expose().clone());
        Ok(())
    }
    fn delete(&self, account: &str) -> Result<(), StoreFault> {
        self.0.lock().unwrap().remove(account);
        Ok(())
    }
}

/// The app's gateway (default timeouts and caps) pointed at `url`, with the local rate
/// limit widened so that a thousand calls are not refused (its check still runs).
fn gateway(url: &str) -> Gateway {
    Gateway::with_limits(
        Endpoints {
            tavus: url.parse().unwrap(),
            elevenlabs: url.parse().unwrap(),
        },
        Limits::default(),
        RollingWindow::new(100_000, Duration::from_secs(60)),
    )
    .unwrap()
}

fn dirs(root: &std::path::Path) -> LocalDirs {
    LocalDirs {
        config: root.join("config"),
        data: root.join("data"),
        local_data: root.join("local-data"),
        cache: root.join("cache"),
        logs: root.join("logs"),
    }
}

async fn ready_service<S: SecretStore>(store: S, url: &str, root: &std::path::Path) -> Service<S> {
    let service = Service::new(store, gateway(url), dirs(root))
        .confirming_with(serene_core::confirm::AcceptAll);
    service
        .set_key(
            Provider::ElevenLabs,
            &Sensitive::new(ELEVEN_KEY.to_string()),
        )
        .await
        .expect("the key is saved");
    service
        // The most speech a day Serene allows: the benchmark speaks far more than a person.
        .update_settings(
            serde_json::from_value(
                json!({ "elevenlabsVoiceId": VOICE, "dailySpeechCharacters": 1_000_000 }),
            )
            .unwrap(),
        )
        .await
        .expect("the voice is saved");
    service
}

/// A `/v2/voices` answer of realistic size: 20 voices with the fields ElevenLabs sends.
fn voices_body() -> Vec<u8> {
    let voices: Vec<Value> = (0..20)
        .map(|i| {
            json!({
                "voice_id": format!("voice{i:016}"),
                "name": format!("Voice number {i}"),
                "category": "premade",
                "labels": {"accent": "american", "age": "middle aged", "gender": "female"},
                "description": "A calm, warm voice for guided breathing.",
                "preview_url": format!("https://storage.example/voices/{i}/preview.mp3"),
                "settings": null
            })
        })
        .collect();
    serde_json::to_vec(&json!({"voices": voices, "has_more": false, "total_count": 20})).unwrap()
}

fn series(name: &str, samples: &[f64]) -> Value {
    json!({ "name": name, "summary": summarize(samples), "samples_ms": samples })
}

/// Mediation: the same `GET /v2/voices` through the service (what `list_voices` runs),
/// through the gateway alone, and through a bare reqwest client.
async fn mediation(options: &Options, root: &std::path::Path) -> Value {
    let body = voices_body();
    let url = fakes::json_server(&body).await;
    let memory = ready_service(MemoryStore::default(), &url, &root.join("memory")).await;
    let keychain = if options.keychain {
        Some(
            ready_service(
                Keychain::with_service("serene-bench"),
                &url,
                &root.join("keychain"),
            )
            .await,
        )
    } else {
        None
    };
    let bare_gateway = gateway(&url);
    let key = Sensitive::new(ELEVEN_KEY.to_string());
    let bare = reqwest::Client::builder().no_proxy().build().unwrap();
    let voices_url = format!("{url}/v2/voices?page_size=100");

    let mut names = vec!["bare_reqwest", "gateway", "service_memory_store"];
    if keychain.is_some() {
        names.push("service_os_keychain");
        // Not a request: one read of the key from the keychain, as `Vault::key` does.
        names.push("os_keychain_read_alone");
    }
    let raw_keychain = Keychain::with_service("serene-bench");
    let mut samples: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    for round in 0..options.warmup + options.calls {
        for offset in 0..names.len() {
            // Rotate the order each round, so no series always follows another.
            let which = (round + offset) % names.len();
            let started = Instant::now();
            match names[which] {
                "bare_reqwest" => {
                    let response = bare
                        .get(&voices_url)
                        .header("xi-api-key", ELEVEN_KEY)
                        .header("accept", "application/json")
                        .send()
                        .await
                        .unwrap();
                    assert!(response.status().is_success());
                    let body = response.bytes().await.unwrap();
                    let parsed: Value = serde_json::from_slice(&body).unwrap();
                    assert_eq!(parsed["voices"].as_array().map(Vec::len), Some(20));
                }
                "gateway" => {
                    let voices = ElevenLabs::new(&bare_gateway, &key)
                        .voices(100)
                        .await
                        .unwrap();
                    assert_eq!(voices.voices.len(), 20);
                }
                "service_memory_store" => {
                    assert_eq!(memory.voices().await.unwrap().len(), 20);
                }
                "service_os_keychain" => {
                    let service = keychain.as_ref().unwrap();
                    assert_eq!(service.voices().await.unwrap().len(), 20);
                }
                "os_keychain_read_alone" => {
                    let key = raw_keychain
                        .read(Provider::ElevenLabs.key_account())
                        .unwrap();
                    assert!(key.is_some());
                }
                _ => unreachable!(),
            }
            let took = started.elapsed();
            if round >= options.warmup {
                samples[which].push(ms(took));
            }
            tokio::time::sleep(options.gap).await;
        }
    }
    let bare_summary = summarize(&samples[0]);
    let overhead = |s: &Summary| {
        json!({
            "p50_ms": s.p50 - bare_summary.p50,
            "p99_ms": s.p99 - bare_summary.p99,
        })
    };
    let mut out = serde_json::Map::new();
    out.insert(
        "request".into(),
        json!(format!(
            "GET /v2/voices?page_size=100 (20 voices, {} bytes of JSON)",
            body.len()
        )),
    );
    for (name, s) in names.iter().zip(&samples) {
        let mut entry = series(name, s);
        if *name != "bare_reqwest" && *name != "os_keychain_read_alone" {
            entry["overhead_vs_bare"] = overhead(&summarize(s));
        }
        out.insert((*name).into(), entry);
    }
    Value::Object(out)
}

fn step() -> SpeechText {
    SpeechText::ExerciseStep {
        exercise: "box-breathing".into(),
        step: 0,
    }
}

/// Speech: the first chunk's latency from the fake's first audio byte to the core's sink
/// (the closure the shell's `speak` command hands to the IPC channel), and the heap the
/// core holds while 20 MB stream through it.
async fn speech(options: &Options, root: &std::path::Path) -> Value {
    let latency_plan = StreamPlan {
        chunks: 3,
        chunk_size: 4096,
        first_byte_after: Duration::from_millis(5),
        pace: Duration::from_millis(1),
    };
    let mut server = SpeechServer::start(latency_plan).await;
    let service = ready_service(MemoryStore::default(), &server.url, &root.join("speech")).await;
    let bare = reqwest::Client::builder().no_proxy().build().unwrap();
    let stream_url = format!(
        "{}/v1/text-to-speech/{VOICE}/stream?output_format=mp3_44100_128&enable_logging=false",
        server.url
    );
    let body = json!({"text": "Let's slow your breathing.", "model_id": "eleven_multilingual_v2"});

    let mut core_first = Vec::new();
    let mut bare_first = Vec::new();
    for run in 0..options.speech_runs + 5 {
        for which in [run % 2, (run + 1) % 2] {
            let first = if which == 0 {
                let mut first = None;
                let done = service
                    .speak(step(), |_chunk| {
                        first.get_or_insert_with(Instant::now);
                        true
                    })
                    .await
                    .unwrap();
                assert_eq!(done.bytes, 3 * 4096);
                first.unwrap()
            } else {
                let response = bare
                    .post(&stream_url)
                    .header("xi-api-key", ELEVEN_KEY)
                    .header("accept", "application/json")
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                let mut stream = response.bytes_stream();
                let _ = stream.next().await.unwrap().unwrap();
                let first = Instant::now();
                while stream.next().await.is_some() {}
                first
            };
            let sent = server.first_bytes.recv().await.unwrap();
            if run >= 5 {
                let latency = ms(first.saturating_duration_since(sent));
                if which == 0 {
                    core_first.push(latency);
                } else {
                    bare_first.push(latency);
                }
            }
            tokio::time::sleep(options.gap).await;
        }
    }

    // 20 MB as fast as loopback carries it: the worst case for buffering.
    server.set_plan(StreamPlan {
        chunks: 320,
        chunk_size: 64 * 1024,
        first_byte_after: Duration::ZERO,
        pace: Duration::ZERO,
    });
    let mut runs = Vec::new();
    for _ in 0..options.stream_runs {
        let rss_before = rss_peak(true);
        let baseline = alloc::start_measuring();
        let started = Instant::now();
        let done = service
            .speak(step(), |chunk| {
                drop(chunk);
                true
            })
            .await
            .unwrap();
        let took = started.elapsed();
        let heap_growth = alloc::peak_growth(baseline);
        let rss_growth = match (rss_before, rss_peak(false)) {
            (Some(before), Some(after)) => Some(after.saturating_sub(before)),
            _ => None,
        };
        let _ = server.first_bytes.recv().await;
        assert_eq!(done.bytes, 20 * 1024 * 1024);
        runs.push(json!({
            "bytes": done.bytes,
            "seconds": took.as_secs_f64(),
            "heap_peak_growth_bytes": heap_growth,
            "rss_peak_growth_bytes": rss_growth,
        }));
    }
    let worst_heap = runs
        .iter()
        .filter_map(|r| r["heap_peak_growth_bytes"].as_u64())
        .max()
        .unwrap_or(0);
    let worst_rss = runs
        .iter()
        .filter_map(|r| r["rss_peak_growth_bytes"].as_u64())
        .max();
    json!({
        "first_chunk": {
            "plan": "headers at once, first audio byte 5 ms later, 3 chunks of 4 KiB",
            "core_to_sink": series("core_to_sink", &core_first),
            "bare_reqwest": series("bare_reqwest", &bare_first),
        },
        "stream_20mb": {
            "runs": runs,
            "heap_peak_growth_bytes": worst_heap,
            "rss_peak_growth_bytes": worst_rss,
        }
    })
}

/// The voice relay: per 3.2 kB microphone frame, from `send_audio` to the fake's receipt;
/// per agent audio event, from the fake's send to the relay's event callback. The bare twin
/// is a tokio-tungstenite client doing the same encoding and decoding itself.
async fn relay(options: &Options) -> Value {
    let frame: Vec<u8> = (0..MIC_FRAME_BYTES).map(|i| i as u8).collect();
    let agent_audio = STANDARD.encode(
        (0..AGENT_AUDIO_BYTES)
            .map(|i| (i * 7) as u8)
            .collect::<Vec<u8>>(),
    );
    let audio_event: Utf8Bytes = json!({
        "type": "audio",
        "audio_event": {"audio_base_64": agent_audio, "event_id": 1}
    })
    .to_string()
    .into();
    let total = options.warmup + options.relay_frames;

    // Through the core.
    let mut fake = AgentServer::start().await;
    let (tx, mut events) = mpsc::unbounded_channel::<(Instant, bool)>();
    let policy =
        AgentUrlPolicy::for_endpoints(&Endpoints::resolve(|_| Some("http://127.0.0.1:9".into())));
    let relay = AgentRelay::connect(
        Sensitive::new(fake.url.clone()),
        &policy,
        RelayLimits::default(),
        move |event| {
            let at = Instant::now();
            let audio = matches!(event, AgentEvent::AgentAudio { .. });
            let _ = tx.send((at, audio));
        },
    )
    .await
    .expect("the relay connects to the fake");
    let (_, audio) = events.recv().await.unwrap();
    assert!(!audio, "the first event is the session start");

    let mut core_up = Vec::new();
    let mut core_down = Vec::new();
    for i in 0..total {
        let started = Instant::now();
        relay.send_audio(&frame).unwrap();
        let arrived = fake.received.recv().await.unwrap();
        if i >= options.warmup {
            core_up.push(ms(arrived.saturating_duration_since(started)));
        }
        tokio::time::sleep(options.gap).await;

        fake.send(audio_event.clone());
        let sent = fake.sent.recv().await.unwrap();
        let (at, audio) = events.recv().await.unwrap();
        assert!(audio, "expected agent audio");
        if i >= options.warmup {
            core_down.push(ms(at.saturating_duration_since(sent)));
        }
        tokio::time::sleep(options.gap).await;
    }
    relay.stop().await;

    // A bare client.
    let mut fake = AgentServer::start().await;
    let (mut ws, _) = tokio_tungstenite::connect_async_with_config(fake.url.as_str(), None, true)
        .await
        .unwrap();
    ws.send(Message::text(
        json!({"type": "conversation_initiation_client_data"}).to_string(),
    ))
    .await
    .unwrap();
    let _metadata = ws.next().await.unwrap().unwrap();
    let mut bare_up = Vec::new();
    let mut bare_down = Vec::new();
    for i in 0..total {
        let started = Instant::now();
        let text = json!({ "user_audio_chunk": STANDARD.encode(&frame) }).to_string();
        ws.send(Message::text(text)).await.unwrap();
        let arrived = fake.received.recv().await.unwrap();
        if i >= options.warmup {
            bare_up.push(ms(arrived.saturating_duration_since(started)));
        }
        tokio::time::sleep(options.gap).await;

        fake.send(audio_event.clone());
        let sent = fake.sent.recv().await.unwrap();
        let Some(Ok(Message::Text(text))) = ws.next().await else {
            panic!("the bare client expected text");
        };
        let parsed: Value = serde_json::from_str(&text).unwrap();
        assert!(parsed["audio_event"]["audio_base_64"].is_string());
        let at = Instant::now();
        if i >= options.warmup {
            bare_down.push(ms(at.saturating_duration_since(sent)));
        }
        tokio::time::sleep(options.gap).await;
    }
    let _ = ws.close(None).await;

    let added = |core: &[f64], bare: &[f64]| {
        let (c, b) = (summarize(core), summarize(bare));
        json!({ "p50_ms": c.p50 - b.p50, "p99_ms": c.p99 - b.p99 })
    };
    json!({
        "mic_frame_bytes": MIC_FRAME_BYTES,
        "agent_audio_bytes": AGENT_AUDIO_BYTES,
        "up": {
            "core": series("core", &core_up),
            "bare": series("bare", &bare_up),
            "added": added(&core_up, &bare_up),
        },
        "down": {
            "core": series("core", &core_down),
            "bare": series("bare", &bare_down),
            "added": added(&core_down, &bare_down),
        }
    })
}

/// What the core adds to the app's start: building the gateway (two HTTPS clients with the
/// platform's certificate verifier) and the service (opening the sealed local data, with
/// the data, audit and head keys in the keychain), on a first run and on a returning one.
async fn startup(options: &Options, root: &std::path::Path) -> Value {
    let runs = options.speech_runs.min(20);
    let mut gateway_new = Vec::new();
    let mut first_run = Vec::new();
    let mut returning = Vec::new();
    for i in 0..runs {
        let started = Instant::now();
        let gateway = Gateway::new(Endpoints::production()).unwrap();
        gateway_new.push(ms(started.elapsed()));
        drop(gateway);
        let dir = root.join(format!("startup-{i}"));
        let service_name = format!("serene-bench-startup-{}-{i}", std::process::id());
        for series in [&mut first_run, &mut returning] {
            let gateway = Gateway::new(Endpoints::production()).unwrap();
            let started = Instant::now();
            let service = if options.keychain {
                let service =
                    Service::new(Keychain::with_service(&service_name), gateway, dirs(&dir))
                        .confirming_with(serene_core::confirm::AcceptAll);
                let took = started.elapsed();
                drop(service);
                took
            } else {
                let service = Service::new(MemoryStore::default(), gateway, dirs(&dir))
                    .confirming_with(serene_core::confirm::AcceptAll);
                let took = started.elapsed();
                drop(service);
                took
            };
            series.push(ms(service));
        }
    }
    json!({
        "secret_store": if options.keychain { "OS keychain (gnome-keyring, private session bus)" } else { "memory" },
        "gateway_new": series("gateway_new", &gateway_new),
        "service_new_first_run": series("service_new_first_run", &first_run),
        "service_new_returning": series("service_new_returning", &returning),
    })
}

/// Runs every core series. The app's file log is on, as in the app.
pub async fn run(options: &Options) -> Value {
    let root = tempfile::Builder::new()
        .prefix("serene-bench-core-")
        .tempdir()
        .unwrap();
    if let Err(error) = serene_core::logging::init(&root.path().join("logs")) {
        eprintln!("the core's log could not be opened: {error}");
    }
    let started = Instant::now();
    let mediation = mediation(options, root.path()).await;
    eprintln!(
        "  mediation done in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let speech = speech(options, root.path()).await;
    eprintln!("  speech done in {:.1} s", started.elapsed().as_secs_f64());
    let relay = relay(options).await;
    eprintln!("  relay done in {:.1} s", started.elapsed().as_secs_f64());
    let startup = startup(options, root.path()).await;
    eprintln!("  startup done in {:.1} s", started.elapsed().as_secs_f64());
    json!({
        "calls": options.calls,
        "warmup": options.warmup,
        "gap_ms": ms(options.gap),
        "mediation": mediation,
        "speech": speech,
        "relay": relay,
        "startup": startup,
    })
}

/// The process's resident-set high-water mark, reset first if `reset` (Linux: writing 5 to
/// clear_refs), in bytes.
fn rss_peak(reset: bool) -> Option<u64> {
    if reset {
        std::fs::write("/proc/self/clear_refs", "5").ok()?;
    }
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
}
