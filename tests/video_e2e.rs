//! Face-to-face sessions end to end, against a fake Tavus: on this Linux the room is handed
//! to the browser; every conversation created is ended, by the End button, by closing the
//! window, and after `kill -9` by the next launch; a hostile room URL is never shown; a
//! page in the room's place can call no command and cannot move the main window.
#![cfg(feature = "e2e")]

mod support;

use std::time::Duration;

use serde_json::json;
use support::fakes::{self, Fakes};
use support::flows::{launch_with, ready, start_session};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn opened(log: &std::path::Path) -> String {
    std::fs::read_to_string(log).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_opens_in_the_browser_runs_and_ends() {
    let fakes = Fakes::start().await;
    let (app, opened_log) = launch_with(&fakes, &[]).await;
    ready(&app).await;

    start_session(&app, "I'd like to talk about sleep.").await;
    app.wait_for_text("h1", "Your session").await;
    app.wait_for_contains("Your session is open in your web browser.")
        .await;
    // The system browser was handed exactly the validated room URL.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while opened(opened_log.path()).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the room was never handed to the browser"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(opened(opened_log.path()), format!("{}\n", fakes::ROOM_URL));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    app.wait_for_contains("Remaining").await;
    app.screenshot("session-running-browser-handoff");

    // Tavus received exactly the documented request.
    let bodies = fakes.create_bodies().await;
    assert_eq!(bodies.len(), 1);
    assert_eq!(
        bodies[0],
        json!({
            "replica_id": "r79e1c033f",
            "conversation_name": "Serene session",
            "conversational_context": "I'd like to talk about sleep.",
            "custom_greeting": "Hello, I'm glad you're here. Take your time, and tell me whatever feels right to start with.",
            "properties": {
                "max_call_duration": 900,
                "participant_left_timeout": 30,
                "participant_absent_timeout": 120,
                "enable_recording": false,
                "enable_closed_captions": true,
                "language": "English"
            }
        })
    );

    app.click("End session").await;
    app.wait_for_contains("You ended the session.").await;
    assert_eq!(fakes.ends().await, 1);
    app.screenshot("session-ended");
    app.assert_no_csp_violations().await;
    // Nothing the person typed for the session is kept on disk, in any form.
    for file in support::files_under(&app.desktop.home) {
        let bytes = std::fs::read(&file).unwrap_or_default();
        assert!(
            !bytes.windows(16).any(|w| w == b"talk about sleep"),
            "the topic was stored in {}",
            file.display()
        );
    }
    app.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn closing_the_window_ends_the_session() {
    let fakes = Fakes::start().await;
    let (app, _opened_log) = launch_with(&fakes, &[]).await;
    ready(&app).await;
    start_session(&app, "").await;
    app.wait_for_text("h1", "Your session").await;
    assert_eq!(fakes.ends().await, 0);
    app.desktop.close_window("Serene");
    assert!(
        fakes.wait_for_end(15).await,
        "closing the window did not end the session"
    );
    app.quit().await;
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
async fn after_kill_9_the_next_launch_ends_the_session() {
    let fakes = Fakes::start().await;
    let (app, _opened_log) = launch_with(&fakes, &[]).await;
    ready(&app).await;
    start_session(&app, "").await;
    app.wait_for_text("h1", "Your session").await;

    let pid = app_pid().expect("the app's process");
    unsafe { libc::kill(pid, libc::SIGKILL) };
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        fakes.ends().await,
        0,
        "nothing could end it: the process was killed"
    );

    let again = app.relaunch().await;
    assert!(
        fakes.wait_for_end(15).await,
        "the relaunch did not end the orphaned session"
    );
    again.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hostile_room_url_is_never_shown_and_the_conversation_is_ended() {
    let fakes = Fakes::start_with_room("https://tavus.daily.co.evil.test/c123abc").await;
    let (app, opened_log) = launch_with(&fakes, &[]).await;
    ready(&app).await;
    start_session(&app, "").await;
    app.wait_for_contains("doesn't trust").await;
    app.screenshot("session-room-refused");
    assert!(
        fakes.wait_for_end(10).await,
        "the refused conversation was not ended"
    );
    assert_eq!(
        opened(opened_log.path()),
        "",
        "a refused room reached the browser"
    );
    assert_eq!(app.heading().await, "Start a face-to-face session");
    app.quit().await;
}

/// The page the test puts in the room's place: it tries the IPC bridge and the main window,
/// and reports what happened to its own server.
const HOSTILE_ROOM: &str = r#"<!doctype html><html><body><h1>room</h1><script>
const report = (what) => fetch('/report?' + new URLSearchParams(what)).catch(() => {});
(async () => {
  const internals = window.__TAURI_INTERNALS__;
  let invoke = 'no-bridge';
  if (internals && internals.invoke) {
    try { await internals.invoke('app_info'); invoke = 'answered'; }
    catch (e) { invoke = 'refused'; }
  }
  let keys = 'no-bridge';
  if (internals && internals.invoke) {
    try { await internals.invoke('key_status', { provider: 'tavus' }); keys = 'answered'; }
    catch (e) { keys = 'refused'; }
  }
  const popup = window.open('tauri://localhost/');
  const geo = await new Promise((r) => navigator.geolocation
    ? navigator.geolocation.getCurrentPosition(() => r('granted'), () => r('denied'), { timeout: 3000 })
    : r('unavailable'));
  const notification = typeof Notification === 'undefined' ? 'unavailable' : await Notification.requestPermission();
  report({ invoke, keys, opener: String(window.opener === null), popup: String(popup === null), geo, notification });
})();
</script></body></html>"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_page_in_the_rooms_place_has_no_way_into_the_core() {
    let room_server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/room123"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(HOSTILE_ROOM, "text/html"))
        .mount(&room_server)
        .await;
    Mock::given(method("GET"))
        .and(path("/report"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&room_server)
        .await;
    let room_url = format!("{}/room123", room_server.uri());
    let fakes = Fakes::start_with_room(&room_url).await;
    let (app, _opened_log) = launch_with(
        &fakes,
        &[
            ("SERENE_TEST_ROOM_ORIGIN", room_server.uri()),
            ("SERENE_TEST_ROOM_PRESENTATION", "window".into()),
        ],
    )
    .await;
    ready(&app).await;
    let main_url = app.page_url().await;
    start_session(&app, "").await;
    app.wait_for_text("h1", "Your session").await;

    // The page in the room's place: the session window the core opens on Windows/macOS,
    // opened by the Live screen's `show_room` (the core told to use a window, e2e only).
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let report = loop {
        let requests = room_server.received_requests().await.unwrap();
        if let Some(report) = requests.iter().find(|r| r.url.path() == "/report") {
            break report.url.query().unwrap_or_default().to_string();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the room page never reported"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    app.desktop.screenshot("room-window-test-page");
    assert!(
        !report.contains("invoke=answered"),
        "the room reached a command: {report}"
    );
    assert!(
        !report.contains("keys=answered"),
        "the room reached a command: {report}"
    );
    assert!(
        report.contains("popup=true"),
        "the room opened a window: {report}"
    );
    assert_eq!(app.page_url().await, main_url, "the main window moved");
    app.by_text("h1", "Your session").await;
    // Closing the session window ends the session.
    app.desktop.close_window("Serene session");
    assert!(
        fakes.wait_for_end(15).await,
        "closing the session window did not end it"
    );
    app.quit().await;
}
