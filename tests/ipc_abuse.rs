//! Every IPC command abused from the bundled UI's own origin (what a compromised page could
//! send): missing, extra, oversized (10 MB) and wrong-typed arguments, then 1,000 calls in
//! a burst. Each call must end in a short, typed error (or Tauri's own short argument
//! error), never a panic, never an error that echoes the input; the app must keep
//! answering; and a burst must not get past the keychain to the upstream.
//!
//! Runs under Tauri's mock runtime with the app's real config and capability, isolated as
//! tests/ipc_acl.rs is: temporary settings directories, an unreachable keychain.

use std::sync::mpsc;
use std::time::{Duration, Instant};

mod mock_app;

use serde_json::{json, Map, Value};
use serene_lib::COMMANDS;
use tauri::ipc::{CallbackFn, InvokeBody, InvokeError, InvokeResponse};
use tauri::test::{get_ipc_response, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow};

/// The shared isolation, and the update check kept off the network: its HTTP client
/// honours the proxy variables, and a closed loopback port refuses it (the core's gateway
/// never gets past the missing keychain).
fn isolate() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        mock_app::isolate("ipc-abuse");
        for proxy in [
            "HTTPS_PROXY",
            "https_proxy",
            "HTTP_PROXY",
            "http_proxy",
            "ALL_PROXY",
            "all_proxy",
        ] {
            std::env::set_var(proxy, "http://127.0.0.1:9");
        }
        std::env::remove_var("NO_PROXY");
        std::env::remove_var("no_proxy");
    });
}

fn app() -> (App<MockRuntime>, WebviewWindow<MockRuntime>) {
    isolate();
    mock_app::app("ipc-abuse")
}

const TEN_MB: usize = 10 * 1024 * 1024;
/// Longest error body accepted: an error says what went wrong, it never carries the input.
const MAX_ERROR: usize = 1024;
/// Longest success body accepted for an abusive call: nothing echoes a 10 MB input.
const MAX_ANSWER: usize = 64 * 1024;

/// What a command's argument is declared as (src-tauri/src/commands/*.rs).
#[derive(Clone, Copy)]
enum Kind {
    /// `String` (or `Sensitive<String>`).
    Text,
    /// `u32`.
    Number,
    /// `serde_json::Value` the core parses as an object; lists its string fields.
    Object(&'static [&'static str]),
    /// `tauri::ipc::Channel`: a `__CHANNEL__:<id>` string Tauri resolves.
    Channel,
    /// `tauri::ipc::Request`: the whole body, raw bytes (`name` and `normal` unused).
    RawBody,
}

struct Arg {
    name: &'static str,
    kind: Kind,
    /// JSON of a well-formed value the command's own validation refuses, so no call here
    /// changes anything or reaches further than validation.
    normal: &'static str,
}

const fn text(name: &'static str, normal: &'static str) -> Arg {
    Arg {
        name,
        kind: Kind::Text,
        normal,
    }
}

const CONVERSATION: &[Arg] = &[text("conversationId", r#""not-journaled""#)];
const PROVIDER: &[Arg] = &[text("provider", r#""tavus""#)];

/// Every command and its arguments. A command in `COMMANDS` without a row fails
/// `every_command_has_an_argument_table_entry`: add it here when adding a command.
const TABLE: &[(&str, &[Arg])] = &[
    ("app_info", &[]),
    ("open_help_link", &[text("id", r#""not-a-known-link""#)]),
    ("key_status", PROVIDER),
    (
        "set_api_key",
        &[
            text("provider", r#""tavus""#),
            text("key", r#""too short""#),
        ],
    ),
    ("remove_api_key", PROVIDER),
    ("verify_api_key", PROVIDER),
    ("list_replicas", &[]),
    ("list_personas", &[]),
    ("list_voices", &[]),
    ("list_models", &[]),
    ("get_settings", &[]),
    (
        "update_settings",
        &[Arg {
            name: "patch",
            kind: Kind::Object(&[
                "tavusReplicaId",
                "tavusPersonaId",
                "elevenlabsVoiceId",
                "elevenlabsModelId",
                "sessionLanguage",
                "updateChannel",
                "dailySpeechCharacters",
                "dailyVideoMinutes",
                "dailyVoiceMinutes",
            ]),
            normal: r#"{"tavusReplicaId": "../x"}"#,
        }],
    ),
    ("spending_budgets", &[]),
    ("get_consent", &[]),
    (
        "give_consent",
        &[Arg {
            name: "version",
            kind: Kind::Number,
            normal: "999",
        }],
    ),
    ("withdraw_consent", &[]),
    ("privacy_overview", &[]),
    ("audit_log", &[]),
    ("export_data", &[]),
    (
        "delete_everything",
        &[
            Arg {
                name: "options",
                kind: Kind::Object(&["leaveRemote"]),
                normal: r#"{"leaveRemote": "not a yes or no"}"#,
            },
            Arg {
                name: "onProgress",
                kind: Kind::Channel,
                normal: r#""__CHANNEL__:4245""#,
            },
        ],
    ),
    (
        "start_video_session",
        &[Arg {
            name: "request",
            kind: Kind::Object(&["topic"]),
            normal: r#"{"minutes": 7}"#,
        }],
    ),
    ("end_video_session", CONVERSATION),
    ("video_session_status", CONVERSATION),
    ("stuck_sessions", &[]),
    ("end_stuck_sessions", &[]),
    ("check_video_setup", &[]),
    ("room_presentation", &[]),
    ("show_room", CONVERSATION),
    ("check_for_update", &[]),
    (
        "download_update",
        &[Arg {
            name: "onProgress",
            kind: Kind::Channel,
            normal: r#""__CHANNEL__:4242""#,
        }],
    ),
    ("install_update", &[]),
    ("list_exercises", &[]),
    (
        "speak",
        &[
            Arg {
                name: "request",
                kind: Kind::Object(&["text", "exercise"]),
                normal: r#"{"kind": "typed", "text": "hello"}"#,
            },
            Arg {
                name: "onAudio",
                kind: Kind::Channel,
                normal: r#""__CHANNEL__:4243""#,
            },
        ],
    ),
    ("stop_speech", &[]),
    ("speech_usage", &[]),
    (
        "start_voice_session",
        &[
            Arg {
                name: "request",
                kind: Kind::Object(&[]),
                normal: r#"{"minutes": 7}"#,
            },
            Arg {
                name: "onEvent",
                kind: Kind::Channel,
                normal: r#""__CHANNEL__:4244""#,
            },
        ],
    ),
    (
        "send_voice_audio",
        &[Arg {
            name: "",
            kind: Kind::RawBody,
            normal: "",
        }],
    ),
    ("end_voice_session", &[]),
    ("lock_status", &[]),
    (
        "set_lock",
        &[Arg {
            name: "request",
            kind: Kind::Object(&["passphrase", "current"]),
            normal: r#"{"action": "enable", "passphrase": "short"}"#,
        }],
    ),
    // Without a lock, unlocking and locking change nothing.
    ("unlock", &[text("passphrase", r#""not the passphrase""#)]),
    ("lock_now", &[]),
    ("quick_exit", &[]),
];

fn args_of(command: &str) -> &'static [Arg] {
    TABLE
        .iter()
        .find(|(name, _)| *name == command)
        .map(|(_, args)| *args)
        .unwrap_or_else(|| panic!("{command} has no row in ipc_abuse.rs TABLE: add it"))
}

fn normal_args(args: &[Arg]) -> Map<String, Value> {
    args.iter()
        .filter(|arg| !matches!(arg.kind, Kind::RawBody))
        .map(|arg| {
            (
                arg.name.to_string(),
                serde_json::from_str(arg.normal).unwrap(),
            )
        })
        .collect()
}

fn with(args: &[Arg], name: &str, value: Value) -> Value {
    let mut map = normal_args(args);
    map.insert(name.to_string(), value);
    Value::Object(map)
}

/// What an abusive call may answer.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// Our typed error only: the arguments parse, so the command's own validation answers.
    Typed,
    /// Tauri's argument error (before our code runs) or our typed error.
    Refused,
    /// Success or our typed error (arguments Tauri ignores, e.g. an extra field).
    OkOrTyped,
}

/// The stable error codes, read from `ErrorCode` in the core so a new code needs no edit.
fn stable_codes() -> Vec<String> {
    let source = include_str!("../src-tauri/core/src/error.rs");
    let body = source
        .split("pub enum ErrorCode {")
        .nth(1)
        .and_then(|rest| rest.split('}').next())
        .expect("ErrorCode in error.rs");
    let codes: Vec<String> = body
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("//") && !line.starts_with('#'))
        .map(|variant| {
            let variant = variant.trim_end_matches(',');
            let mut code = String::new();
            for (i, c) in variant.chars().enumerate() {
                if c.is_ascii_uppercase() && i > 0 {
                    code.push('_');
                }
                code.push(c.to_ascii_lowercase());
            }
            code
        })
        .collect();
    assert!(codes.contains(&"invalid_input".to_string()), "{codes:?}");
    assert!(codes.contains(&"rate_limited".to_string()), "{codes:?}");
    codes
}

fn request(command: &str, body: InvokeBody) -> InvokeRequest {
    InvokeRequest {
        cmd: command.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "tauri://localhost/".parse().unwrap(),
        body,
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    }
}

/// Calls a command from the bundled UI; the answer and its size on the wire.
fn call(
    window: &WebviewWindow<MockRuntime>,
    command: &str,
    args: impl Into<InvokeBody>,
) -> (Result<Value, Value>, usize) {
    let answer = get_ipc_response(window, request(command, args.into()))
        .map(|body| body.deserialize::<Value>().unwrap());
    let size = match &answer {
        Ok(value) | Err(value) => value.to_string().len(),
    };
    (answer, size)
}

/// Fails with `Err(why)` unless `condition` holds.
macro_rules! ensure {
    ($condition:expr, $($why:tt)+) => {
        if !$condition {
            return Err(format!($($why)+));
        }
    };
}

/// `{code, message, retryAfterSeconds?}` with a stable code and a message.
fn typed_error(what: &str, error: &Value, codes: &[String]) -> Result<(), String> {
    let Some(object) = error.as_object() else {
        return Err(format!("{what}: not our typed error: {}", short(error)));
    };
    let code = object
        .get("code")
        .and_then(Value::as_str)
        .unwrap_or_default();
    ensure!(
        codes.iter().any(|c| c == code),
        "{what}: code {code:?} is not a stable code"
    );
    let message = object
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or_default();
    ensure!(!message.is_empty(), "{what}: no message");
    for key in object.keys() {
        ensure!(
            ["code", "message", "retryAfterSeconds"].contains(&key.as_str()),
            "{what}: unexpected field {key}"
        );
    }
    if let Some(wait) = object.get("retryAfterSeconds") {
        ensure!(
            code == "rate_limited",
            "{what}: retryAfterSeconds on {code}"
        );
        ensure!(
            wait.as_u64().is_some_and(|s| s > 0),
            "{what}: retryAfterSeconds {wait}"
        );
    }
    Ok(())
}

fn assert_typed(what: &str, error: &Value, codes: &[String]) {
    if let Err(why) = typed_error(what, error, codes) {
        panic!("{why}");
    }
}

fn short(value: &Value) -> String {
    value.to_string().chars().take(200).collect()
}

fn check(
    what: &str,
    command: &str,
    expect: Expect,
    (answer, size): (Result<Value, Value>, usize),
    codes: &[String],
) -> Result<(), String> {
    match answer {
        Ok(value) => {
            ensure!(
                matches!(expect, Expect::OkOrTyped),
                "{what}: accepted: {}",
                short(&value)
            );
            ensure!(size <= MAX_ANSWER, "{what}: a {size}-byte answer");
        }
        Err(error) => {
            ensure!(
                size <= MAX_ERROR,
                "{what}: a {size}-byte error: {}",
                short(&error)
            );
            match (&error, expect) {
                (Value::String(text), Expect::Refused) => ensure!(
                    text.contains(&format!("`{command}`")) || text.contains(command),
                    "{what}: not Tauri's argument error: {text}"
                ),
                _ => typed_error(what, &error, codes)?,
            }
        }
    }
    Ok(())
}

/// Every abusive call for one command: `(label, arguments, what may answer)`.
fn abuse(command: &str, huge: &str, mut each: impl FnMut(String, InvokeBody, Expect)) {
    let args = args_of(command);
    let oversized = || Value::String(huge.to_string());
    let takes_args = !args.is_empty();
    let mut case = |label: String, args: Value, expect: Expect| each(label, args.into(), expect);
    let odd = |expect| {
        if takes_args {
            expect
        } else {
            Expect::OkOrTyped
        }
    };

    // 1. Missing: no arguments at all, then each one left out.
    case("no arguments".into(), json!({}), odd(Expect::Refused));
    if args.len() > 1 {
        for arg in args {
            let mut map = normal_args(args);
            map.remove(arg.name);
            case(
                format!("{} left out", arg.name),
                Value::Object(map),
                Expect::Refused,
            );
        }
    }
    // 2. Extra: an unexpected field beside the normal arguments, small and 10 MB.
    let mut extra = normal_args(args);
    extra.insert(
        "unexpected".into(),
        json!({"admin": true, "path": "/etc/passwd"}),
    );
    case(
        "an extra field".into(),
        Value::Object(extra),
        Expect::OkOrTyped,
    );
    let mut extra = normal_args(args);
    extra.insert("unexpectedHuge".into(), oversized());
    case(
        "a 10 MB extra field".into(),
        Value::Object(extra),
        Expect::OkOrTyped,
    );
    // Not even an object: the whole payload a 10 MB string.
    case("a 10 MB payload".into(), oversized(), odd(Expect::Refused));

    for arg in args {
        let name = arg.name;
        // 3. Oversized: every string argument, and every string field of an object one.
        match arg.kind {
            Kind::Text => case(
                format!("10 MB {name}"),
                with(args, name, oversized()),
                Expect::Typed,
            ),
            Kind::Object(fields) => {
                // Each field alone beside the object's other (non-string) normal fields,
                // so the command's check of that field is what answers where it can.
                let mut base: Map<String, Value> = serde_json::from_str(arg.normal).unwrap();
                base.retain(|key, _| !fields.contains(&key.as_str()));
                for field in fields {
                    let mut object = base.clone();
                    object.insert(field.to_string(), oversized());
                    case(
                        format!("10 MB {name}.{field}"),
                        with(args, name, Value::Object(object)),
                        Expect::Typed,
                    );
                }
                // A 10 MB field name: an unknown field must not be named back.
                let mut object = Map::new();
                object.insert(huge.to_string(), json!(1));
                case(
                    format!("a 10 MB field name in {name}"),
                    with(args, name, Value::Object(object)),
                    Expect::Typed,
                );
            }
            // Tauri parses the channel id itself, before our code runs.
            Kind::Channel => case(
                format!("10 MB {name}"),
                with(args, name, oversized()),
                Expect::Refused,
            ),
            Kind::Number | Kind::RawBody => {}
        }
        // 4. Wrong types, the 10 MB string among them where a string is not expected.
        let wrong: Vec<Value> = match arg.kind {
            Kind::Text | Kind::Channel => vec![
                json!(7),
                json!(-1.5),
                json!(true),
                json!([]),
                json!(["tavus"]),
                json!({"value": "tavus"}),
                Value::Null,
            ],
            Kind::Number => vec![
                json!("1"),
                json!(-1),
                json!(1.5),
                json!(4_294_967_296_u64),
                json!(true),
                json!([1]),
                json!({}),
                Value::Null,
                oversized(),
            ],
            Kind::RawBody => vec![],
            Kind::Object(_) => vec![
                json!(7),
                json!("x"),
                json!(true),
                json!([]),
                json!([{}]),
                Value::Null,
                oversized(),
            ],
        };
        for value in wrong {
            let label = match &value {
                Value::String(s) if s.len() == TEN_MB => "a 10 MB string".to_string(),
                other => other.to_string(),
            };
            case(
                format!("{name} = {label}"),
                with(args, name, value),
                Expect::Refused,
            );
        }
    }

    // A raw-bytes body: empty, then 10 MB (what a page could post as "audio").
    if args.iter().any(|arg| matches!(arg.kind, Kind::RawBody)) {
        each(
            "an empty raw body".into(),
            Vec::new().into(),
            Expect::OkOrTyped,
        );
        each(
            "a 10 MB raw body".into(),
            huge.as_bytes().to_vec().into(),
            Expect::OkOrTyped,
        );
    }
}

/// The app still answers, and quickly.
fn assert_responsive(window: &WebviewWindow<MockRuntime>) {
    let started = Instant::now();
    let (info, _) = call(window, "app_info", json!({}));
    assert_eq!(info.expect("app_info answers")["name"], "Serene");
    let (settings, _) = call(window, "get_settings", json!({}));
    settings.expect("get_settings answers");
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(2),
        "the app took {took:?} to answer"
    );
}

#[test]
fn every_command_has_an_argument_table_entry() {
    for command in COMMANDS {
        args_of(command);
    }
    for (command, _) in TABLE {
        assert!(COMMANDS.contains(command), "{command} is not a command");
    }
}

#[test]
fn every_command_survives_malformed_arguments() {
    let (_app, window) = app();
    let codes = stable_codes();
    let huge = "k".repeat(TEN_MB);
    let mut calls = 0;
    let mut failures = Vec::new();
    // SERENE_ABUSE_VERBOSE=1 (with --nocapture) lists what every abusive call got.
    let verbose = std::env::var_os("SERENE_ABUSE_VERBOSE").is_some();
    for command in COMMANDS {
        abuse(command, &huge, |label, args, expect| {
            let what = format!("{command} with {label}");
            // A panicking command never answers: get_ipc_response panics waiting for it.
            let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                call(&window, command, args)
            }));
            let outcome = match answer {
                Ok(answer) => {
                    if verbose {
                        let (Ok(value) | Err(value)) = &answer.0;
                        let verdict = if answer.0.is_ok() { "ok" } else { "err" };
                        println!("{what}: {verdict} {}", short(value));
                    }
                    check(&what, command, expect, answer, &codes)
                }
                Err(_) => Err(format!("{what}: panicked, no answer")),
            };
            if let Err(why) = outcome {
                failures.push(why);
            }
            calls += 1;
        });
        assert_responsive(&window);
    }
    assert!(calls > 5 * COMMANDS.len(), "only {calls} calls made");
    assert!(
        failures.is_empty(),
        "{} of {calls} abusive calls were mishandled:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Fires `n` calls at once from several threads without waiting for any answer, then
/// collects every answer; panics if one is missing after `limit`.
fn burst(
    window: &WebviewWindow<MockRuntime>,
    command: &str,
    args: &Value,
    n: usize,
    limit: Duration,
) -> Vec<Result<Value, Value>> {
    const THREADS: usize = 8;
    let (tx, rx) = mpsc::channel();
    std::thread::scope(|scope| {
        for thread in 0..THREADS {
            let tx = tx.clone();
            scope.spawn(move || {
                for _ in (thread..n).step_by(THREADS) {
                    let tx = tx.clone();
                    let webview: &tauri::Webview<MockRuntime> = window.as_ref();
                    webview.clone().on_message(
                        request(command, args.clone().into()),
                        Box::new(move |_, _, response, _, _| {
                            let answer = match response {
                                InvokeResponse::Ok(body) => {
                                    Ok(body.deserialize::<Value>().unwrap())
                                }
                                InvokeResponse::Err(InvokeError(error)) => Err(error),
                            };
                            let _ = tx.send(answer);
                        }),
                    );
                }
            });
        }
    });
    drop(tx);
    let deadline = Instant::now() + limit;
    (0..n)
        .map(|i| {
            let left = deadline.saturating_duration_since(Instant::now());
            rx.recv_timeout(left).unwrap_or_else(|error| {
                panic!("{command}: only {i} of {n} calls answered within {limit:?}: {error}")
            })
        })
        .collect()
}

#[test]
fn a_burst_of_a_thousand_calls_is_answered_and_the_app_stays_responsive() {
    let (_app, window) = app();
    let answers = burst(
        &window,
        "get_settings",
        &json!({}),
        1_000,
        Duration::from_secs(20),
    );
    let first = answers[0].clone().expect("get_settings answers");
    for answer in &answers {
        let answer = answer.as_ref().expect("get_settings answers");
        assert_eq!(answer["auditRetentionDays"], first["auditRetentionDays"]);
    }
    let answers = burst(
        &window,
        "app_info",
        &json!({}),
        1_000,
        Duration::from_secs(20),
    );
    assert!(answers
        .iter()
        .all(|a| a.as_ref().is_ok_and(|v| v["name"] == "Serene")));
    assert_responsive(&window);
}

/// Commands that would reach Tavus or ElevenLabs: a burst of them is stopped at the
/// keychain here (it is unreachable), each with a typed error, before any request leaves.
/// With a saved key the gateway's local limit holds: src-tauri/core/tests/burst.rs.
#[test]
fn a_burst_of_upstream_calls_is_stopped_before_the_upstream() {
    let (_app, window) = app();
    let codes = stable_codes();
    for (command, args) in [
        ("list_replicas", json!({})),
        ("list_voices", json!({})),
        ("verify_api_key", json!({"provider": "tavus"})),
    ] {
        let started = Instant::now();
        let answers = burst(&window, command, &args, 1_000, Duration::from_secs(20));
        for answer in answers {
            let error = answer.expect_err(&format!("{command} succeeded without a keychain"));
            assert_typed(command, &error, &codes);
            assert!(
                ["keychain_unavailable", "key_missing", "rate_limited"]
                    .contains(&error["code"].as_str().unwrap()),
                "{command}: {error}"
            );
        }
        println!("1,000 {command} answered in {:?}", started.elapsed());
    }
    assert_responsive(&window);
}
