//! Signed updates end to end: the real app (e2e build) against a loopback update server and
//! a key pair generated for this run. An update is detected at start, downloaded with
//! progress and verified; then a tampered artifact, a foreign key's signature, an old
//! release replayed as new, an older version, a plain-HTTP download and a malformed
//! manifest are each refused, recorded in the audit log, and the app keeps running.
#![cfg(feature = "e2e")]

mod support;

use std::time::{Duration, Instant};

use serde_json::json;
use support::app::App;
use support::update_server::{SigningKey, UpdateServer};
use thirtyfour::prelude::*;

const ARTIFACT: &str = "/serene_0.2.0_amd64.deb";
const ARTIFACT_SIZE: usize = 4 * 1024 * 1024;

fn manifest(version: &str, url: &str, signature: &str) -> serde_json::Value {
    json!({
        "version": version,
        "notes": "Calmer breathing visuals.\nFixes for screen readers.",
        "pub_date": "2026-11-20T10:00:00Z",
        "platforms": { "linux-x86_64": { "url": url, "signature": signature } }
    })
}

async fn check_now(app: &App) {
    app.click("Check for updates now").await;
}

async fn wait_for_alert(app: &App, text: &str) {
    app.wait_for_contains(text).await;
    let alert = app
        .driver
        .find(By::XPath(format!(
            "//*[@role='alert'][contains(normalize-space(), \"{text}\")]"
        )))
        .await;
    assert!(alert.is_ok(), "'{text}' is not announced as an alert");
}

/// The core still answers: the page can still reach it and it replies in time.
async fn still_responsive(app: &App) {
    let started = Instant::now();
    let info = app
        .script_async("return await window.__TAURI_INTERNALS__.invoke('app_info');")
        .await;
    assert_eq!(info["version"], "0.1.0", "app_info failed: {info}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test(flavor = "multi_thread")]
async fn updates_are_verified_and_every_bad_one_is_refused() {
    let key = SigningKey::generate();
    let server = UpdateServer::start();
    let artifact: Vec<u8> = (0..ARTIFACT_SIZE).map(|i| (i * 7 % 251) as u8).collect();
    let good_signature = key.sign(&artifact, "serene_0.2.0_amd64.deb", "0.2.0");
    // Streamed over about three seconds, so the progress bar can be seen moving.
    server.set_artifact(ARTIFACT, artifact.clone(), Some(128 * 1024));
    server.set_manifest(&manifest("0.2.0", &server.url(ARTIFACT), &good_signature));

    let install_log = tempfile::NamedTempFile::new().unwrap();
    let app = App::launch(&[
        ("SERENE_TEST_UPDATE_ENDPOINT", server.base_url()),
        ("SERENE_TEST_UPDATE_PUBKEY", key.public_for_config()),
        (
            "SERENE_TEST_UPDATE_INSTALL_LOG",
            install_log.path().display().to_string(),
        ),
    ])
    .await;
    app.agree_to_consent().await;

    // Detected at start (checking automatically is the default), with the templated path.
    app.wait_for_text("h2", "Serene 0.2.0 is available").await;
    assert!(
        server
            .requests()
            .contains(&"/stable/linux/x86_64/0.1.0".to_string()),
        "the updater asked for {:?}",
        server.requests()
    );

    // Download with progress, verified, then installed (recorded, not run, in e2e builds).
    app.click("Download update").await;
    let progress = app
        .driver
        .find(By::Css(".update-progress progress"))
        .await
        .expect("a progress bar while downloading");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let value: f64 = progress
            .prop("value")
            .await
            .unwrap()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);
        if value > 0.0 && value < ARTIFACT_SIZE as f64 {
            break;
        }
        assert!(Instant::now() < deadline, "the progress bar never moved");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.screenshot("update-downloading");
    app.wait_for_contains("the signature is valid").await;
    app.screenshot("update-verified");
    app.click("Install and restart").await;
    app.wait_for_contains("Installed. Serene is restarting.")
        .await;
    let installed = std::fs::read_to_string(install_log.path()).unwrap();
    assert_eq!(installed.trim(), format!("0.2.0 {ARTIFACT_SIZE}"));

    // From the settings screen, each bad update in turn.
    app.click("Continue to Serene").await;
    app.click("Settings").await;
    app.wait_for_text("h2", "Updates").await;

    // A tampered artifact under the good signature.
    let mut tampered = artifact.clone();
    tampered[ARTIFACT_SIZE / 2] ^= 0x55;
    server.set_artifact("/tampered.deb", tampered, None);
    server.set_manifest(&manifest(
        "0.2.0",
        &server.url("/tampered.deb"),
        &good_signature,
    ));
    check_now(&app).await;
    app.click("Download update").await;
    wait_for_alert(&app, "did not match its signature").await;
    still_responsive(&app).await;

    // Signed by a key the app does not trust.
    let stranger = SigningKey::generate();
    let foreign = stranger.sign(&artifact, "serene_0.2.0_amd64.deb", "0.2.0");
    server.set_manifest(&manifest("0.2.0", &server.url(ARTIFACT), &foreign));
    check_now(&app).await;
    app.wait_for_contains("Download update").await;
    app.click("Download update").await;
    wait_for_alert(&app, "signed by a key Serene does not trust").await;
    still_responsive(&app).await;

    // An older, genuinely signed release announced as newer (a replay to force a downgrade).
    let old = b"serene 0.0.9 package".to_vec();
    let old_signature = key.sign(&old, "serene_0.0.9_amd64.deb", "0.0.9");
    server.set_artifact("/serene_0.0.9_amd64.deb", old, None);
    server.set_manifest(&manifest(
        "0.3.0",
        &server.url("/serene_0.0.9_amd64.deb"),
        &old_signature,
    ));
    check_now(&app).await;
    app.wait_for_text("h2", "Serene 0.3.0 is available").await;
    app.click("Download update").await;
    wait_for_alert(&app, "belongs to a different version").await;
    still_responsive(&app).await;

    // The same replay with a signature from before signed versions: refused because this
    // build requires the signature to name its version.
    let unversioned = key.sign_without_version(b"serene 0.0.9 package", "serene_0.0.9_amd64.deb");
    server.set_manifest(&manifest(
        "0.3.1",
        &server.url("/serene_0.0.9_amd64.deb"),
        &unversioned,
    ));
    check_now(&app).await;
    app.wait_for_text("h2", "Serene 0.3.1 is available").await;
    app.click("Download update").await;
    wait_for_alert(&app, "belongs to a different version").await;

    // An older version announced as such.
    server.set_manifest(&manifest("0.0.5", &server.url(ARTIFACT), &good_signature));
    check_now(&app).await;
    wait_for_alert(&app, "offered an older version").await;

    // A download address without HTTPS (any origin but the test server's own).
    let fetched = |requests: Vec<String>| requests.iter().filter(|p| *p == ARTIFACT).count();
    let fetched_before = fetched(server.requests());
    let insecure = format!("http://localhost:{}{ARTIFACT}", server.port);
    server.set_manifest(&manifest("0.2.0", &insecure, &good_signature));
    check_now(&app).await;
    wait_for_alert(&app, "without HTTPS").await;
    assert_eq!(
        fetched(server.requests()),
        fetched_before,
        "the plain-HTTP address was fetched"
    );

    // A manifest that is not one.
    server.set_raw_manifest(r#"{"version": "not a version", "platforms": 7}"#);
    check_now(&app).await;
    wait_for_alert(&app, "not in the expected shape").await;
    still_responsive(&app).await;
    app.screenshot("update-refused");

    // Every refusal, and the install, are in the audit log.
    let audit = app
        .script_async("return await window.__TAURI_INTERNALS__.invoke('audit_log');")
        .await;
    let reasons: Vec<String> = audit["records"]
        .as_array()
        .expect("audit records")
        .iter()
        .filter(|r| r["event"]["kind"] == "update_refused")
        .map(|r| r["event"]["reason"].as_str().unwrap().to_string())
        .collect();
    for reason in [
        "bad_signature",
        "unknown_key",
        "version_mismatch",
        "downgrade",
        "insecure_address",
        "malformed_manifest",
    ] {
        assert!(
            reasons.contains(&reason.to_string()),
            "{reason} not audited: {reasons:?}"
        );
    }
    assert!(audit["records"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["event"]["kind"] == "update_installed" && r["event"]["version"] == "0.2.0"));
    app.quit().await;
}
