//! The app lock and quick exit in the real app: a passphrase set through the UI holds
//! across a restart, every command but unlocking and crisis help is refused through the
//! page's own IPC, wrong guesses are delayed and audited, and quick exit during a session
//! ends it upstream, closes the room and hides Serene within a second.
#![cfg(feature = "e2e")]

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::app::App;
use support::fakes::Fakes;
use support::flows::{launch_with, ready, start_session};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PASSPHRASE: &str = "a quiet morning by the sea";

async fn invoke(app: &App, command: &str, args: &str) -> Value {
    app.script_async(&format!(
        "try {{ return {{ ok: await window.__TAURI_INTERNALS__.invoke('{command}', {args}) }}; }} \
         catch (error) {{ return {{ error }}; }}"
    ))
    .await
}

fn code(answer: &Value) -> &str {
    answer["error"]["code"].as_str().unwrap_or("(none)")
}

/// Top-level windows titled exactly `title` that are mapped (shown) on the test display.
fn shown_windows(app: &App, title: &str) -> usize {
    let found = Command::new("xdotool")
        .env("DISPLAY", &app.desktop.display)
        .args(["search", "--onlyvisible", "--name", &format!("^{title}$")])
        .output()
        .expect("xdotool is needed");
    String::from_utf8_lossy(&found.stdout)
        .split_whitespace()
        .count()
}

async fn turn_lock_on(app: &App) {
    let answer = invoke(
        app,
        "set_lock",
        &format!("{{ request: {{ action: 'enable', passphrase: '{PASSPHRASE}' }} }}"),
    )
    .await;
    assert_eq!(answer["ok"]["enabled"], true, "{answer}");
}

#[tokio::test(flavor = "multi_thread")]
async fn locked_serene_refuses_every_command_but_unlock_and_crisis_help_and_slows_guesses() {
    let fakes = Fakes::start().await;
    let answers = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(answers.path(), "accept").unwrap();
    let (app, opened) = launch_with(
        &fakes,
        &[(
            "SERENE_TEST_CONFIRM_FILE",
            answers.path().display().to_string(),
        )],
    )
    .await;
    app.agree_to_consent().await;
    // The first run offers the lock (skippable); the person takes it.
    app.type_into("New passphrase (at least 8 characters)", PASSPHRASE)
        .await;
    app.type_into("Type it again", PASSPHRASE).await;
    app.click("Turn lock on").await;
    app.wait_for_contains("The lock is on.").await;

    let app = app.relaunch().await;
    app.wait_for_text("h1", "Serene is locked").await;
    app.screenshot("lock-screen");

    // Every command, called as any script in the page could, with no arguments: the gate
    // answers before the arguments are even read.
    let allowed = [
        "unlock",
        "lock_status",
        "lock_now",
        "quick_exit",
        "open_help_link",
        "app_info",
        "delete_everything",
    ];
    for command in serene_lib::COMMANDS {
        if allowed.contains(command) {
            continue;
        }
        let answer = invoke(&app, command, "{}").await;
        assert_eq!(
            code(&answer),
            "locked",
            "{command} answered while locked: {answer}"
        );
    }
    assert_eq!(
        invoke(&app, "lock_status", "{}").await["ok"]["locked"],
        true
    );
    assert!(invoke(&app, "app_info", "{}").await.get("ok").is_some());
    // "Get help now" works locked.
    let help = invoke(&app, "open_help_link", "{ id: 'us-988' }").await;
    assert!(help.get("ok").is_some(), "{help}");
    assert!(std::fs::read_to_string(opened.path())
        .unwrap()
        .contains("https://988lifeline.org/"));

    // Wrong guesses through the lock screen: three free, then a wait the core enforces.
    for _ in 0..3 {
        app.type_into("Passphrase", "not my passphrase").await;
        app.click("Unlock").await;
        app.wait_for_contains("That passphrase didn't unlock Serene.")
            .await;
    }
    app.wait_for_contains("You can try again in").await;
    let waiting = invoke(&app, "unlock", &format!("{{ passphrase: '{PASSPHRASE}' }}")).await;
    assert_eq!(code(&waiting), "rate_limited", "{waiting}");
    assert!(waiting["error"]["retryAfterSeconds"]
        .as_u64()
        .is_some_and(|s| s >= 1));

    tokio::time::sleep(Duration::from_secs(6)).await;
    app.type_into("Passphrase", PASSPHRASE).await;
    app.click("Unlock").await;
    app.wait_for_text("h1", "Set up Serene").await;
    let audit = invoke(&app, "audit_log", "{}").await;
    let failures = audit["ok"]["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["event"]["kind"] == "unlock_failed")
        .count();
    assert_eq!(failures, 3, "{audit}");

    // The keyboard shortcut: hides Serene and locks it.
    app.driver
        .action_chain()
        .key_down('\u{E009}')
        .key_down('\u{E008}')
        .send_keys("q")
        .key_up('\u{E008}')
        .key_up('\u{E009}')
        .perform()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(1);
    while shown_windows(&app, "(Serene|Notes)") > 0 {
        assert!(
            Instant::now() < deadline,
            "the shortcut did not hide Serene"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        invoke(&app, "lock_status", "{}").await["ok"]["locked"],
        true
    );
    app.quit().await;
}

const ROOM_PAGE: &str = "<!doctype html><title>Room</title><p>In the room</p>";

#[tokio::test(flavor = "multi_thread")]
async fn quick_exit_during_a_session_ends_it_closes_the_room_and_hides_serene_within_a_second() {
    let room_server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/room123"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(ROOM_PAGE, "text/html"))
        .mount(&room_server)
        .await;
    let fakes = Fakes::start_with_room(&format!("{}/room123", room_server.uri())).await;
    let answers = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(answers.path(), "accept").unwrap();
    let (app, _opened) = launch_with(
        &fakes,
        &[
            ("SERENE_TEST_ROOM_ORIGIN", room_server.uri()),
            ("SERENE_TEST_ROOM_PRESENTATION", "window".into()),
            (
                "SERENE_TEST_CONFIRM_FILE",
                answers.path().display().to_string(),
            ),
        ],
    )
    .await;
    ready(&app).await;
    turn_lock_on(&app).await;
    start_session(&app, "").await;
    app.wait_for_text("h1", "Your session").await;
    // The Live screen shows the room in its own window (the core told so, e2e only).
    let deadline = Instant::now() + Duration::from_secs(15);
    while shown_windows(&app, "Serene session") == 0 {
        assert!(Instant::now() < deadline, "the room window never showed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(fakes.ends().await, 0);
    assert_eq!(shown_windows(&app, "Serene"), 1);

    let pressed = Instant::now();
    app.click("Quick exit").await;
    loop {
        let room = shown_windows(&app, "Serene session");
        let main = shown_windows(&app, "(Serene|Notes)");
        if room == 0 && main == 0 {
            break;
        }
        assert!(
            pressed.elapsed() < Duration::from_secs(1),
            "after a second, room windows: {room}, main windows: {main}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let hidden_after = pressed.elapsed();
    eprintln!("quick exit hid everything in {hidden_after:?}");
    assert!(
        fakes.wait_for_end(10).await,
        "quick exit did not end the session upstream"
    );
    assert_eq!(
        invoke(&app, "lock_status", "{}").await["ok"]["locked"],
        true
    );
    app.quit().await;
}
