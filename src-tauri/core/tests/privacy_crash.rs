//! A process killed (SIGKILL) at random moments while it writes settings, consent and audit
//! records never leaves Serene's local data unreadable: every file opens, the audit chain
//! verifies. The writer is this test binary itself, re-run as a child.

#![cfg(unix)]

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;
use serene_core::privacy::consent::CONSENT_VERSION;
use serene_core::privacy::CONSENT_FILE;
use serene_core::service::Service;
use support::{dirs, gateway, FileStore};

const CHILD: &str = "SERENE_CRASH_WRITER_ROOT";

fn open(root: &Path) -> Service<FileStore> {
    Service::new(
        FileStore(root.join("keychain.json")),
        gateway("http://127.0.0.1:9", "http://127.0.0.1:9"),
        dirs(root),
    )
    .confirming_with(serene_core::confirm::AcceptAll)
}

fn write_forever(root: &Path) -> ! {
    let service = open(root);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut i = 0u32;
    loop {
        i += 1;
        let patch = serde_json::from_value(json!({"auditRetentionDays": i % 300 + 1})).unwrap();
        runtime.block_on(service.update_settings(patch)).unwrap();
        // Consent is limited to 20 changes in 10 minutes; past that the record stays as
        // last written, which is what the parent checks survived the kill.
        let _ = service.give_consent(CONSENT_VERSION);
    }
}

#[test]
fn killing_a_writer_leaves_the_previous_state_readable() {
    if let Some(root) = std::env::var_os(CHILD) {
        write_forever(Path::new(&root));
    }
    let root = tempfile::tempdir().unwrap();
    for round in 0..8 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "killing_a_writer_leaves_the_previous_state_readable",
                "--nocapture",
            ])
            .env(CHILD, root.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Killed only once it has written (a loaded machine can take a while to start
        // it), then at a random moment of its writing.
        let consent = dirs(root.path()).data.join(CONSENT_FILE);
        let deadline = Instant::now() + Duration::from_secs(30);
        while !consent.exists() {
            assert!(
                Instant::now() < deadline,
                "round {round}: the writer never started"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(fastrand::u64(..250)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();

        let service = open(root.path());
        let settings = service.settings();
        assert!(
            settings.notice.is_none(),
            "round {round}: {:?}",
            settings.notice
        );
        assert!(
            service.consent().current,
            "round {round}: consent unreadable"
        );
        let audit = service.audit().unwrap();
        assert!(audit.check.intact, "round {round}: {:?}", audit.check);
        assert!(
            audit.check.records > 0,
            "round {round}: the writer never wrote"
        );
    }
}
