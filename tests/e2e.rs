//! End to end: the real app binary (built with the test-only `e2e` feature) under Xvfb,
//! driven through tauri-driver. Run with `cargo test --features e2e --test e2e`.
#![cfg(feature = "e2e")]

mod support;

use std::io::Read;
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use support::app::App;
use support::fakes::{self, Fakes};
use support::flows::{launch_with, ready, start_session};
use support::process::group_alive;
use thirtyfour::prelude::*;

/// A loopback listener that counts every connection attempt it receives.
struct Tripwire {
    port: u16,
    hits: Arc<AtomicUsize>,
}

impl Tripwire {
    fn start() -> Tripwire {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                counter.fetch_add(1, Ordering::SeqCst);
                let mut stream = stream;
                let mut buf = [0u8; 1024];
                let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
                let _ = stream.read(&mut buf);
            }
        });
        Tripwire { port, hits }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/{path}", self.port)
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn home_screen_and_help_dialog() {
    let opened_log = tempfile::NamedTempFile::new().unwrap();
    let app = App::launch(&[(
        "SERENE_TEST_OPENED_LOG",
        opened_log.path().display().to_string(),
    )])
    .await;

    // A first run opens on consent, then setup; the home screen is one click away.
    assert_eq!(app.heading().await, "Before you begin");
    app.screenshot("first-run-consent");
    app.agree_to_consent().await;
    assert_eq!(app.heading().await, "Set up Serene");
    app.screenshot("first-run-setup");
    app.click("Home").await;
    app.wait_for_text("h1", "Welcome to Serene").await;

    // The home screen, with the version fetched from the core over IPC.
    app.by_text("h2", "Face to face").await;
    app.by_text("h2", "By voice").await;
    app.by_text("h2", "Guided exercises").await;
    let footer = app.driver.find(By::Css("footer")).await.unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !footer.text().await.unwrap().contains("Version 0.1.0") {
        assert!(
            std::time::Instant::now() < deadline,
            "the core never answered app_info"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.screenshot("home");

    // Keyboard: the skip link comes first, and the help entry is a few Tab presses away.
    let focused = || app.script("return document.activeElement.textContent.trim();");
    let body = app.driver.find(By::Css("body")).await.unwrap();
    body.send_keys(Key::Tab).await.unwrap();
    assert_eq!(focused().await, "Skip to content");
    let mut stops = Vec::new();
    for _ in 0..5 {
        let current = app.driver.active_element().await.unwrap();
        current.send_keys(Key::Tab).await.unwrap();
        stops.push(focused().await);
        if stops.last().unwrap() == "Get help now" {
            break;
        }
    }
    assert_eq!(stops, ["Home", "Settings", "Privacy", "Get help now"]);

    // The help dialog, opened as a person would.
    app.click("Get help now").await;
    let dialog = app.driver.find(By::Css("dialog[open]")).await.unwrap();
    let text = dialog.text().await.unwrap();
    for expected in [
        "Call or text 988",
        "Samaritans",
        "Call 116 123",
        "Call 13 11 14",
        "findahelpline.com",
    ] {
        assert!(
            text.contains(expected),
            "help dialog lacks {expected:?}: {text}"
        );
    }
    let labelled = app
        .script("const d = document.querySelector('dialog[open]'); return document.getElementById(d.getAttribute('aria-labelledby')).textContent;")
        .await;
    assert_eq!(labelled, "Get help now");
    app.screenshot("help-dialog");

    // A website goes to the system browser through the core's allowlist.
    app.click("Open findahelpline.com in your browser").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let opened = std::fs::read_to_string(opened_log.path()).unwrap();
        if !opened.is_empty() {
            assert_eq!(opened, "https://findahelpline.com/\n");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the core never opened the link"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    app.click("Close").await;
    let still_open = app
        .script("return document.querySelector('dialog[open]') !== null;")
        .await;
    assert_eq!(still_open, false);

    app.assert_no_csp_violations().await;
    app.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn page_cannot_reach_the_network_run_inline_code_or_navigate_away() {
    let tripwire = Tripwire::start();
    let app = App::launch(&[]).await;
    let start_url = app.page_url().await;

    // 1. fetch to a loopback listener is refused by connect-src.
    let fetched = app
        .script_async(&format!(
            "try {{ await fetch('{}'); return 'reached'; }} catch (e) {{ return 'blocked'; }}",
            tripwire.url("fetch")
        ))
        .await;
    assert_eq!(fetched, "blocked");

    // 2. An injected inline script does not run, and the page reports the violation.
    let ran = app
        .script_async(
            "const s = document.createElement('script');\
             s.textContent = 'window.__injectedRan = true;';\
             document.head.appendChild(s);\
             await new Promise((r) => setTimeout(r, 300));\
             return window.__injectedRan === true;",
        )
        .await;
    assert_eq!(ran, false, "an injected inline script ran");
    let violations = app.csp_violations().await;
    assert!(
        violations.iter().any(|v| v["directive"]
            .as_str()
            .unwrap_or("")
            .starts_with("script-src")),
        "no script-src violation was reported: {violations:?}"
    );

    // 3. Permission requests are refused: location, notifications, microphone, camera.
    let asked = app
        .script_async(
            "const geo = await new Promise((r) => navigator.geolocation\
               ? navigator.geolocation.getCurrentPosition(() => r('granted'), (e) => r('denied'), { timeout: 3000 })\
               : r('unavailable'));\
             const notification = typeof Notification === 'undefined' ? 'unavailable' : await Notification.requestPermission();\
             const media = navigator.mediaDevices && navigator.mediaDevices.getUserMedia\
               ? await navigator.mediaDevices.getUserMedia({ audio: true, video: true }).then(() => 'granted', (e) => 'denied')\
               : 'unavailable';\
             const microphone = navigator.mediaDevices && navigator.mediaDevices.getUserMedia\
               ? await navigator.mediaDevices.getUserMedia({ audio: true }).then(() => 'granted', (e) => e.name)\
               : 'unavailable';\
             return { geo, notification, media, microphone };",
        )
        .await;
    for (what, answer) in asked.as_object().unwrap() {
        assert_ne!(answer, "granted", "{what} was granted: {asked}");
    }

    // 4. A top-level navigation to a loopback URL is denied by the core's guard.
    app.script(&format!(
        "window.location.href = '{}'; return null;",
        tripwire.url("navigate")
    ))
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        app.page_url().await,
        start_url,
        "the main window navigated away"
    );
    app.by_text("button", "Get help now").await;

    assert_eq!(
        tripwire.hits(),
        0,
        "the loopback listener received a connection"
    );
    app.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_person_adds_keys_checks_them_and_picks_a_therapist() {
    let fakes = Fakes::start().await;
    let app = App::launch(&fakes.env()).await;
    app.agree_to_consent().await;
    assert_eq!(app.heading().await, "Set up Serene");

    app.type_into("Tavus API key", fakes::TAVUS_KEY).await;
    app.click_xpath("//section[h2='Tavus']//button[normalize-space()='Save key']")
        .await;
    app.wait_for_contains("Key ending in 1d2b").await;
    app.wait_for_contains("Checked and working").await;

    app.type_into("ElevenLabs API key", fakes::ELEVEN_KEY).await;
    app.click_xpath("//section[h2='ElevenLabs']//button[normalize-space()='Save key']")
        .await;
    app.wait_for_contains("Key ending in 4c6d").await;

    app.choose("Therapist's face (Tavus replica)", "Anna").await;
    app.choose("Therapist's manner (Tavus persona)", "Supportive listener")
        .await;
    app.choose("Voice (ElevenLabs)", "Rachel").await;
    app.choose(
        "Speech model (ElevenLabs)",
        "Eleven Multilingual v2 (up to 10,000 characters)",
    )
    .await;
    app.wait_for_contains("Saved.").await;
    // Both keys checked: two "Checked and working" lines (the second check may still be
    // on its way when the pickers are done).
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let checked = app
            .script("return [...document.querySelectorAll('.check.ok')].length;")
            .await;
        if checked == 2 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "only {checked} key(s) checked"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The fields were cleared: the page holds no key.
    let html = app
        .script("return document.documentElement.outerHTML;")
        .await;
    let html = html.as_str().unwrap();
    assert!(!html.contains(fakes::TAVUS_KEY) && !html.contains(fakes::ELEVEN_KEY));
    app.screenshot("setup-keys-verified");

    // A wrong key is refused with a clear message, and the saved key stays.
    app.type_into("Replace your Tavus API key", "e2e-wrong-key-0000000000")
        .await;
    app.click_xpath("//section[h2='Tavus']//button[normalize-space()='Save key']")
        .await;
    app.wait_for_contains("Your saved key is unchanged.").await;
    app.wait_for_contains("Key ending in 1d2b").await;
    app.screenshot("setup-key-refused");

    // Every request the fakes saw carried the right key to the right host.
    let tavus_seen = fakes.tavus.received_requests().await.unwrap();
    assert!(tavus_seen
        .iter()
        .all(|r| !r.headers.contains_key("xi-api-key")));
    assert!(tavus_seen.iter().any(|r| r.url.path() == "/v2/personas"));
    let eleven_seen = fakes.elevenlabs.received_requests().await.unwrap();
    assert!(eleven_seen
        .iter()
        .all(|r| !r.headers.contains_key("x-api-key")));
    assert!(eleven_seen.iter().any(|r| r.url.path() == "/v2/voices"));

    app.assert_no_csp_violations().await;
    let root = app.desktop.root().to_path_buf();
    let keep = tempfile::TempDir::new().unwrap();
    // Quit the app, then read everything it and its driver left behind.
    let App { driver, desktop } = app;
    let _ = driver.quit().await;
    let leftovers = keep.path().join("leftovers");
    copy_tree(&root, &leftovers);
    drop(desktop);
    assert_key_nowhere(
        &leftovers,
        &[fakes::TAVUS_KEY, fakes::ELEVEN_KEY, "e2e-wrong-key"],
    );
}

/// The canary: no file the app, WebKit or the drivers wrote (config, data, cache, logs,
/// stdout and stderr captures) contains a key. gnome-keyring's own file is encrypted.
fn assert_key_nowhere(dir: &std::path::Path, keys: &[&str]) {
    let mut scanned = 0;
    let mut saw_log = false;
    for path in support::files_under(dir) {
        let bytes = std::fs::read(&path).unwrap_or_default();
        scanned += 1;
        saw_log |= path.file_name().is_some_and(|n| n == "serene.log");
        for key in keys {
            let needle = key.as_bytes();
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "{key} found in {}",
                path.display()
            );
        }
    }
    assert!(
        saw_log,
        "the app's log was not among the {scanned} files scanned"
    );
}

fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    for file in support::files_under(from) {
        let target = to.join(file.strip_prefix(from).unwrap());
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        let _ = std::fs::copy(&file, &target);
    }
}

/// Items the Secret Service holds for a keychain service name (keyring's `service`
/// attribute), through the desktop's own session bus.
fn keychain_items(bus: &str, service: &str) -> usize {
    let output = std::process::Command::new("dbus-send")
        .env("DBUS_SESSION_BUS_ADDRESS", bus)
        .args([
            "--session",
            "--print-reply",
            "--dest=org.freedesktop.secrets",
            "/org/freedesktop/secrets",
            "org.freedesktop.Secret.Service.SearchItems",
            &format!("dict:string:string:service,{service}"),
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout)
        .matches("object path \"/org/freedesktop/secrets/collection/")
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn consent_setup_privacy_export_and_delete_everything() {
    let fakes = Fakes::start().await;
    let export_dir = tempfile::tempdir().unwrap();
    let export_path = export_dir.path().join("serene-export.json");
    let (app, _opened_log) = launch_with(
        &fakes,
        &[("SERENE_TEST_EXPORT_PATH", export_path.display().to_string())],
    )
    .await;

    // Consent, setup, and a session that runs and ends.
    ready(&app).await;
    start_session(&app, "").await;
    app.wait_for_text("h1", "Your session").await;
    app.click("End session").await;
    app.wait_for_contains("You ended the session.").await;
    assert_eq!(fakes.ends().await, 1);

    // The dashboard: stored files, the agreement, a verified security log.
    app.click("Privacy").await;
    app.wait_for_text("h1", "Privacy").await;
    app.wait_for_contains("Settings (encrypted)").await;
    app.wait_for_contains("Audit log (encrypted, tamper-evident)")
        .await;
    app.wait_for_contains("Agreed to version 1").await;
    app.wait_for_contains("none changed or missing").await;
    app.wait_for_contains("Tavus key saved").await;
    app.wait_for_contains("Session ended").await;
    app.screenshot("privacy-dashboard");

    // Export: one readable JSON file with everything, and no key.
    app.click("Export my data").await;
    app.wait_for_contains("Saved serene-export.json").await;
    let exported: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&export_path).unwrap()).unwrap();
    assert_eq!(exported["consent"]["version"], 1);
    assert_eq!(exported["auditLog"]["verification"]["intact"], true);
    assert_eq!(exported["apiKeys"][0]["saved"], true);
    let text = exported.to_string();
    assert!(!text.contains(fakes::TAVUS_KEY), "the export holds the key");

    let home = app.desktop.home.clone();
    let app_dirs = [
        home.join(".config/app.serene.desktop"),
        home.join(".local/share/app.serene.desktop"),
        home.join(".cache/app.serene.desktop"),
    ];
    assert!(keychain_items(&app.desktop.bus_address, "app.serene.desktop") >= 3);

    // Delete everything, after a confirmation.
    app.click("Delete everything").await;
    app.wait_for_text("h2", "Delete everything?").await;
    app.screenshot("delete-everything-confirm");
    app.click_xpath("//dialog[@open]//button[normalize-space()='Delete everything']")
        .await;
    app.wait_for_text("h2", "Everything was deleted").await;
    app.wait_for_text("h1", "Before you begin").await;
    app.screenshot("after-delete-everything");

    assert_eq!(
        keychain_items(&app.desktop.bus_address, "app.serene.desktop"),
        0
    );
    assert_eq!(
        fakes.hard_deletes().await,
        1,
        "the session was not deleted on Tavus"
    );
    let left: Vec<_> = app_dirs
        .iter()
        .flat_map(|dir| support::files_under(dir))
        .collect();
    assert!(
        left.is_empty(),
        "files left after delete-everything: {left:?}"
    );
    app.assert_no_csp_violations().await;
    app.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn harness_leaves_no_process_behind() {
    let app = App::launch(&[]).await;
    let groups = app.desktop.process_groups();
    assert!(groups.iter().all(|pgid| group_alive(*pgid)));
    // Simulate a failing test: the app is dropped by a panic, with no clean WebDriver quit.
    let failing = tokio::spawn(async move {
        let _app = app;
        panic!("simulated test failure");
    });
    assert!(failing.await.unwrap_err().is_panic());
    for pgid in groups {
        assert!(
            !group_alive(pgid),
            "process group {pgid} outlived the harness"
        );
    }
}
