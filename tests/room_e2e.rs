//! The video room from the page's side, end to end under Xvfb with a fake Tavus and a
//! loopback room stand-in (`SERENE_TEST_ROOM_ORIGIN`):
//!
//! - on Linux, where WebKitGTK has no WebRTC, the room opens in an app window of Debian's
//!   `chromium` with a private profile; End closes it (the whole process group) and deletes
//!   the profile; after a `kill -9` of Serene, the next start closes the orphaned window;
//! - a script in the main page gets neither the room URL nor its token from any answer,
//!   and gets no speech or voice stream while the room runs.
#![cfg(feature = "e2e")]

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::app::App;
use support::fakes::{self, Fakes};
use support::flows::{launch_with, ready};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ROOM_TITLE: &str = "Serene room stand-in";
const TOKEN: &str = "e2e-room-token-5c1f";

async fn room_server() -> MockServer {
    let server = MockServer::start().await;
    let page = format!("<!doctype html><title>{ROOM_TITLE}</title><h1>room</h1>");
    Mock::given(method("GET"))
        .and(path("/room123"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(page, "text/html"))
        .mount(&server)
        .await;
    server
}

/// Debian's chromium, as the app would find it on PATH. Tests run as root here, where
/// Chromium refuses to start with its sandbox; only then does this wrapper (never the app)
/// add `--no-sandbox`. It `exec`s, so the pid the app records is the browser's.
fn chromium_wrapper(dir: &Path) -> PathBuf {
    let path = dir.join("chromium");
    std::fs::write(
        &path,
        "#!/bin/sh\nif [ \"$(id -u)\" = 0 ]; then exec /usr/bin/chromium --no-sandbox \"$@\"; fi\nexec /usr/bin/chromium \"$@\"\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn room_browser_dir(app: &App) -> PathBuf {
    app.desktop
        .home
        .join(".cache/app.serene.desktop/room-browser")
}

/// The pid Serene recorded for the running app window.
async fn recorded_pid(app: &App) -> (i32, PathBuf) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(bytes) = std::fs::read(room_browser_dir(app).join("state.json")) {
            let records: Value = serde_json::from_slice(&bytes).unwrap();
            if let Some(record) = records.as_array().and_then(|r| r.last()) {
                return (
                    record["pid"].as_i64().unwrap() as i32,
                    PathBuf::from(record["profile"].as_str().unwrap()),
                );
            }
        }
        assert!(Instant::now() < deadline, "no app window was recorded");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The command line as one string, arguments between spaces: Chromium rewrites its own
/// (NUL-separated) command line into that form once it runs.
fn cmdline(pid: i32) -> String {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let joined = String::from_utf8_lossy(&raw).replace('\0', " ");
    format!(" {} ", joined.trim_end())
}

/// Live (not zombie) processes of the group, or naming the profile.
fn browser_processes(pgid: i32, profile: &Path) -> Vec<i32> {
    let profile = profile.display().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|entry| {
            let pid: i32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            let fields: Vec<&str> = stat[stat.rfind(')')? + 1..].split_whitespace().collect();
            let in_group = fields[2].parse::<i32>().ok()? == pgid;
            let named = cmdline(pid).contains(&profile);
            (fields[0] != "Z" && (in_group || named)).then_some(pid)
        })
        .collect()
}

fn windows_of(app: &App, pid: i32) -> Vec<String> {
    let found = Command::new("xdotool")
        .env("DISPLAY", &app.desktop.display)
        .args(["search", "--pid", &pid.to_string()])
        .output()
        .expect("xdotool");
    String::from_utf8_lossy(&found.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

fn nix_root() -> bool {
    // SAFETY: getuid has no preconditions.
    unsafe { libc::getuid() == 0 }
}

async fn wait_for(what: &str, seconds: u64, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while !done() {
        assert!(Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn start_in_app_window(app: &App) {
    app.click("Start a session").await;
    app.wait_for_text("h1", "Start a face-to-face session")
        .await;
    app.wait_for_contains("a private browser window that Serene closes")
        .await;
    app.click_xpath("//label[normalize-space()='15 minutes']/input")
        .await;
    app.click_xpath("//label[contains(normalize-space(), 'ready to use my camera')]/input")
        .await;
    app.click_xpath("//button[normalize-space()='Start session' and not(@disabled)]")
        .await;
    app.wait_for_text("h1", "Your session").await;
}

/// The app's own process (launched by WebKitWebDriver), found by its executable.
fn app_pid() -> Option<i32> {
    let binary = std::fs::canonicalize(support::app::binary()).ok()?;
    std::fs::read_dir("/proc")
        .ok()?
        .flatten()
        .find_map(|entry| {
            let pid: i32 = entry.file_name().to_str()?.parse().ok()?;
            (std::fs::read_link(entry.path().join("exe")).ok()? == binary).then_some(pid)
        })
}

#[tokio::test(flavor = "multi_thread")]
async fn the_room_opens_in_a_chromium_app_window_that_closes_with_the_session() {
    let room = room_server().await;
    let room_url = format!("{}/room123", room.uri());
    let fakes = Fakes::start_with_room(&room_url).await;
    let bin = tempfile::tempdir().unwrap();
    let wrapper = chromium_wrapper(bin.path());
    let (app, opened_log) = launch_with(
        &fakes,
        &[
            ("SERENE_TEST_ROOM_ORIGIN", room.uri()),
            ("SERENE_TEST_APP_BROWSER", wrapper.display().to_string()),
        ],
    )
    .await;
    ready(&app).await;
    start_in_app_window(&app).await;
    app.wait_for_contains("its own browser window, which closes when the session ends")
        .await;

    // The window opens on the room: the browser runs with our arguments, has a window,
    // and the room page was fetched.
    let (pid, profile) = recorded_pid(&app).await;
    let args = cmdline(pid);
    assert!(
        args.contains(&format!(" --app={room_url} ")),
        "not an app window on the room: {args}"
    );
    assert!(args.contains(&format!(" --user-data-dir={} ", profile.display())));
    assert!(
        !args.contains(" --no-sandbox ") || nix_root(),
        "the app turned the sandbox off: {args}"
    );
    assert!(profile.starts_with(room_browser_dir(&app)));
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&profile).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o700, "the profile is not private");
    wait_for("a browser window", 30, || !windows_of(&app, pid).is_empty()).await;
    let fetched = || async {
        room.received_requests()
            .await
            .unwrap()
            .iter()
            .any(|r| r.url.path() == "/room123")
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while !fetched().await {
        assert!(
            Instant::now() < deadline,
            "the browser never loaded the room"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    app.screenshot("room-app-window");
    // The decision came from the native probe (a throwaway WebKitGTK view), which found no
    // WebRTC here; the main page was never asked.
    let log: String = support::files_under(&app.desktop.home)
        .iter()
        .filter(|f| {
            f.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("serene.log"))
        })
        .map(|f| std::fs::read_to_string(f).unwrap_or_default())
        .collect();
    assert!(
        log.contains("probed the webview for WebRTC") && log.contains("webrtc=Some(false)"),
        "the probe did not answer: {log}"
    );
    assert_eq!(
        std::fs::read_to_string(opened_log.path()).unwrap_or_default(),
        "",
        "the room also went to the default browser"
    );

    // End closes it: every process of the group, its window, its profile.
    app.click("End session").await;
    app.wait_for_contains("You ended the session.").await;
    wait_for("the browser to close", 10, || {
        browser_processes(pid, &profile).is_empty()
    })
    .await;
    assert!(windows_of(&app, pid).is_empty());
    assert!(!profile.exists(), "the profile was kept");
    assert_eq!(fakes.ends().await, 1);

    // A second session, then Serene is killed: the window is orphaned...
    start_in_app_window(&app).await;
    let (pid, profile) = recorded_pid(&app).await;
    wait_for("a browser window", 30, || !windows_of(&app, pid).is_empty()).await;
    let serene = app_pid().expect("the app's process");
    // SAFETY: signals the app under test.
    unsafe { libc::kill(serene, libc::SIGKILL) };
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        !browser_processes(pid, &profile).is_empty(),
        "nothing should have closed it yet"
    );
    // ...and the next start closes it and deletes its profile.
    let again = app.relaunch().await;
    wait_for("the orphaned browser to close", 20, || {
        browser_processes(pid, &profile).is_empty()
    })
    .await;
    assert!(windows_of(&again, pid).is_empty());
    assert!(!profile.exists(), "the orphaned profile was kept");
    again.quit().await;
}

/// Every command a page could call to learn something, with arguments, as JSON.
const READERS: &[(&str, &str)] = &[
    ("app_info", "{}"),
    ("key_status", r#"{"provider": "tavus"}"#),
    ("get_settings", "{}"),
    ("get_consent", "{}"),
    ("privacy_overview", "{}"),
    ("audit_log", "{}"),
    ("room_presentation", "{}"),
    ("stuck_sessions", "{}"),
    ("video_session_status", r#"{"conversationId": "c123abc"}"#),
    ("show_room", r#"{"conversationId": "c123abc"}"#),
    ("speech_usage", "{}"),
];

#[tokio::test(flavor = "multi_thread")]
async fn a_page_script_gets_no_room_token_and_no_stream_during_a_session() {
    let room = room_server().await;
    let room_url = format!("{}/room123?t={TOKEN}", room.uri());
    let fakes = Fakes::start_with_room(&room_url).await;
    let (app, opened_log) = launch_with(&fakes, &[("SERENE_TEST_ROOM_ORIGIN", room.uri())]).await;
    ready(&app).await;

    // The script starts the session itself, and reads every answer it can get.
    let readers: String = READERS
        .iter()
        .map(|(command, args)| format!("['{command}', {args}],"))
        .collect();
    let seen = app
        .script_async(&format!(
            "const invoke = window.__TAURI_INTERNALS__.invoke;\
             const answers = {{}};\
             const ask = async (name, cmd, args) => {{\
               try {{ answers[name] = {{ ok: await invoke(cmd, args) }}; }}\
               catch (e) {{ answers[name] = {{ error: e }}; }}\
             }};\
             await ask('start', 'start_video_session', {{ request: {{ minutes: 15, captions: false }} }});\
             for (const [cmd, args] of [{readers}]) await ask(cmd, cmd, args);\
             const channel = (name) => '__CHANNEL__:' + window.__TAURI_INTERNALS__.transformCallback(() => {{}});\
             await ask('speak', 'speak', {{ request: {{ kind: 'preview' }}, onAudio: channel('a') }});\
             await ask('typed', 'speak', {{ request: {{ kind: 'typed', text: 'hello' }}, onAudio: channel('b') }});\
             await ask('voice', 'start_voice_session', {{ request: {{ minutes: 15 }}, onEvent: channel('c') }});\
             await ask('audio', 'send_voice_audio', new Uint8Array(3200));\
             return JSON.stringify(answers);"
        ))
        .await;
    let text = seen.as_str().expect("answers").to_string();
    println!("{text}");
    let answers: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        answers["start"]["ok"]["conversationId"],
        fakes::CONVERSATION_ID,
        "the session did not start: {text}"
    );
    for leak in [TOKEN, "room123", &room.uri()] {
        assert!(!text.contains(leak), "an answer carried {leak:?}: {text}");
    }
    for streaming in ["speak", "typed", "voice", "audio"] {
        assert_eq!(
            answers[streaming]["error"]["code"], "session_in_progress",
            "{streaming} was not refused during the session: {text}"
        );
    }
    // The room itself was shown (to the recorded default browser), with its token.
    assert_eq!(
        std::fs::read_to_string(opened_log.path()).unwrap_or_default(),
        format!("{room_url}\n")
    );
    let ended = app
        .script_async(
            "try { await window.__TAURI_INTERNALS__.invoke('end_video_session', { conversationId: 'c123abc' }); return 'ended'; } catch (e) { return JSON.stringify(e); }",
        )
        .await;
    assert_eq!(ended, "ended");
    app.quit().await;
}
