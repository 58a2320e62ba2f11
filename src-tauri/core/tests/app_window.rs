//! The room's app window (Linux): a stand-in browser found on PATH is started on the
//! session's room in a private profile, and stopped with its whole process group, its
//! profile deleted, when the session ends by the person, by Tavus, or at the next start
//! after a crash. One test per file: it sets PATH for the process.
#![cfg(target_os = "linux")]

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;
use serene_core::privacy::consent::CONSENT_VERSION;
use serene_core::provider::Provider;
use serene_core::service::{EndReason, Service, StartRequest};
use serene_core::session::presentation::RoomPresentation;
use support::{dirs, gateway, key, FileStore, TAVUS_KEY};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Chromium's shape, as far as Serene can see it: a process group whose leader carries
/// the arguments (a helper stays in the group, as Chromium's zygotes do), and a logger
/// of the arguments it was given.
fn fake_chromium(bin: &Path, log: &Path) {
    let script = format!(
        "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\n/bin/sleep 300 &\nexec /bin/sh -c '/bin/sleep 301; :' chromium \"$@\"\n",
        log.display()
    );
    let path = bin.join("chromium");
    std::fs::write(&path, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Whether a live (not zombie) process is in the group.
fn group_alive(pgid: i32) -> bool {
    std::fs::read_dir("/proc").unwrap().flatten().any(|entry| {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            return false;
        };
        let Some(close) = stat.rfind(')') else {
            return false;
        };
        let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        fields[0] != "Z" && fields[2].parse::<i32>() == Ok(pgid)
    })
}

fn profiles(root: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(root.join("cache/room-browser"))
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .unwrap()
                        .to_string_lossy()
                        .starts_with("profile-")
                })
                .collect()
        })
        .unwrap_or_default()
}

fn leader(root: &Path) -> i32 {
    let state = std::fs::read(root.join("cache/room-browser/state.json")).unwrap();
    let records: serde_json::Value = serde_json::from_slice(&state).unwrap();
    records[0]["pid"].as_i64().unwrap() as i32
}

async fn wait_started(log: &Path) -> Vec<String> {
    for _ in 0..100 {
        if let Ok(text) = std::fs::read_to_string(log) {
            if !text.is_empty() {
                return text.lines().map(str::to_string).collect();
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the browser never started");
}

async fn service(server: &MockServer, root: &Path) -> Service<FileStore> {
    Service::new(
        FileStore(root.join("keychain.json")),
        gateway(&server.uri(), &server.uri()),
        dirs(root),
    )
    .confirming_with(serene_core::confirm::AcceptAll)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_app_window_opens_on_the_room_and_closes_on_every_end() {
    let bin = tempfile::tempdir().unwrap();
    let log = bin.path().join("args.log");
    fake_chromium(bin.path(), &log);
    std::env::set_var("PATH", bin.path());

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/conversations"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "conversation_id": "c123abc",
            "conversation_url": "https://tavus.daily.co/c123abc?t=tok3n",
            "status": "active"
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex(r"^/v2/conversations/c123abc/end$"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    support::mount_key_checks(&server).await;
    let root = tempfile::tempdir().unwrap();
    let s = service(&server, root.path()).await;
    s.give_consent(CONSENT_VERSION).unwrap();
    s.set_key(Provider::Tavus, &key(TAVUS_KEY)).await.unwrap();
    s.update_settings(serde_json::from_value(json!({"tavusReplicaId": "r79e1c033f"})).unwrap())
        .await
        .unwrap();
    assert_eq!(s.app_browser(), Some(bin.path().join("chromium")));
    assert_eq!(
        s.room_presentation(Some(false)),
        RoomPresentation::AppWindow
    );
    let start = || StartRequest::from_json(json!({"minutes": 15, "captions": false})).unwrap();

    // Ended by the person.
    s.start_video(start()).await.unwrap();
    assert!(
        s.open_room_app_window("someone-else").await.is_err(),
        "only the running session's room"
    );
    s.open_room_app_window("c123abc").await.unwrap();
    let args = wait_started(&log).await;
    assert_eq!(args[0], "--app=https://tavus.daily.co/c123abc?t=tok3n");
    let profile = profiles(root.path());
    assert_eq!(profile.len(), 1);
    assert_eq!(args[1], format!("--user-data-dir={}", profile[0].display()));
    let pgid = leader(root.path());
    assert!(group_alive(pgid));
    s.end_video("c123abc", EndReason::EndedByPerson)
        .await
        .unwrap();
    assert!(!group_alive(pgid), "the browser outlived its session");
    assert!(profiles(root.path()).is_empty(), "the profile was kept");
    assert!(!root.path().join("cache/room-browser/state.json").exists());

    // Shown again: the first window is replaced, not left behind.
    std::fs::remove_file(&log).unwrap();
    s.start_video(start()).await.unwrap();
    s.open_room_app_window("c123abc").await.unwrap();
    wait_started(&log).await;
    let first = leader(root.path());
    std::fs::remove_file(&log).unwrap();
    s.open_room_app_window("c123abc").await.unwrap();
    wait_started(&log).await;
    assert!(!group_alive(first), "the replaced window kept running");
    assert_eq!(profiles(root.path()).len(), 1);

    // Serene dies (nothing closes the window); the next start sweeps it up.
    let orphan = leader(root.path());
    std::mem::forget(s);
    assert!(group_alive(orphan));
    let relaunched = service(&server, root.path()).await;
    assert_eq!(relaunched.close_left_over_app_windows().await, 1);
    assert!(
        !group_alive(orphan),
        "the orphaned browser survived the next start"
    );
    assert!(profiles(root.path()).is_empty());
}
