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

    // Keyboard: the help entry is the first stop after the skip link.
    let focused = || app.script("return document.activeElement.textContent.trim();");
    let body = app.driver.find(By::Css("body")).await.unwrap();
    body.send_keys(Key::Tab).await.unwrap();
    assert_eq!(focused().await, "Skip to content");
    let skip_link = app.driver.active_element().await.unwrap();
    skip_link.send_keys(Key::Tab).await.unwrap();
    assert_eq!(focused().await, "Get help now");

    // The help dialog, opened as a person would.
    app.button("Get help now").await.click().await.unwrap();
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
    app.button("Open findahelpline.com in your browser")
        .await
        .click()
        .await
        .unwrap();
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

    app.button("Close").await.click().await.unwrap();
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

    // 3. A top-level navigation to a loopback URL is denied by the core's guard.
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
    app.by_text("h1", "Welcome to Serene").await;

    assert_eq!(
        tripwire.hits(),
        0,
        "the loopback listener received a connection"
    );
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
