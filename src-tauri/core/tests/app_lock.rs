//! The app lock in the core: the keychain alone opens nothing while it is on, guesses are
//! delayed and counted across a restart and audited at the next unlock, commands are
//! refused while locked, and delete-everything is the one way out.

mod support;

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serene_core::confirm::{AcceptAll, RefuseAll};
use serene_core::privacy::app_lock::{Attempts, ATTEMPTS_ACCOUNT};
use serene_core::privacy::consent::{ConsentRecord, CONSENT_VERSION};
use serene_core::privacy::sealed::Sealer;
use serene_core::service::{DeletionOptions, LockRequest, Service};
use serene_core::vault::SecretStore;
use serene_core::ErrorCode;
use support::{dirs, gateway, key, FileStore};

const PASSPHRASE: &str = "a quiet morning by the sea";

fn open(root: &Path) -> Service<FileStore> {
    Service::new(
        FileStore(root.join("keychain.json")),
        gateway("http://127.0.0.1:9", "http://127.0.0.1:9"),
        dirs(root),
    )
    .confirming_with(AcceptAll)
}

fn enable(passphrase: &str) -> LockRequest {
    LockRequest::from_json(serde_json::json!({"action": "enable", "passphrase": passphrase}))
        .unwrap()
}

/// Tries every keychain item that decodes to a 256-bit key on the sealed consent file.
fn keychain_items_open_consent(root: &Path) -> bool {
    let items: HashMap<String, String> =
        serde_json::from_slice(&std::fs::read(root.join("keychain.json")).unwrap()).unwrap();
    let consent = root.join("data").join(serene_core::privacy::CONSENT_FILE);
    assert!(consent.exists());
    items.values().any(|value| {
        let Ok(bytes) = STANDARD.decode(value) else {
            return false;
        };
        bytes.len() == 32
            && Sealer::new(&key_bytes(bytes))
                .unwrap()
                .read_json::<ConsentRecord>(&consent, "consent")
                .is_ok_and(|r| r.is_some())
    })
}

fn key_bytes(bytes: Vec<u8>) -> serene_core::sensitive::Sensitive<Vec<u8>> {
    serene_core::sensitive::Sensitive::new(bytes)
}

#[tokio::test]
async fn with_the_lock_on_the_keychain_items_alone_open_no_sealed_file() {
    let root = tempfile::tempdir().unwrap();
    let service = open(root.path());
    service.give_consent(CONSENT_VERSION).unwrap();
    assert!(
        keychain_items_open_consent(root.path()),
        "without the lock, the keychain's data key opens the file (the check can see it)"
    );
    let status = service.set_lock(enable(PASSPHRASE)).await.unwrap();
    assert!(status.enabled && !status.locked);
    assert!(
        service.consent().current,
        "no re-encryption: the same key, now wrapped"
    );
    assert!(
        !keychain_items_open_consent(root.path()),
        "with the lock on, no keychain item opens a sealed file"
    );
    drop(service);

    let restarted = open(root.path());
    assert!(restarted.lock_status().locked, "the lock engages at start");
    assert!(
        !restarted.consent().current,
        "nothing sealed is read while locked"
    );
    for command in [
        "get_consent",
        "audit_log",
        "export_data",
        "start_video_session",
    ] {
        assert_eq!(restarted.gate(command).unwrap_err().code, ErrorCode::Locked);
    }
    for command in [
        "unlock",
        "lock_status",
        "open_help_link",
        "app_info",
        "quick_exit",
    ] {
        restarted.gate(command).unwrap();
    }
    assert_eq!(restarted.audit().unwrap_err().code, ErrorCode::Locked);
    assert_eq!(restarted.export().unwrap_err().code, ErrorCode::Locked);

    let started = Instant::now();
    restarted.unlock(&key(PASSPHRASE)).unwrap();
    eprintln!("unlock took {:?}", started.elapsed());
    assert!(restarted.consent().current);
    restarted.gate("get_consent").unwrap();

    restarted.lock_now();
    assert!(
        !restarted.consent().current,
        "locking drops the data key from memory"
    );
    assert_eq!(
        restarted.gate("get_settings").unwrap_err().code,
        ErrorCode::Locked
    );
}

#[tokio::test]
async fn wrong_guesses_are_delayed_counted_across_a_restart_and_audited_at_unlock() {
    let root = tempfile::tempdir().unwrap();
    let service = open(root.path());
    service.set_lock(enable(PASSPHRASE)).await.unwrap();
    drop(service);

    let locked = open(root.path());
    for n in 1..=3u32 {
        let error = locked.unlock(&key("not my passphrase")).unwrap_err();
        assert_eq!(error.code, ErrorCode::WrongPassphrase);
        assert_eq!(error.retry_after_seconds, (n == 3).then_some(5));
    }
    // Even the right passphrase waits, and is not tried, while the delay runs.
    let waiting = locked.unlock(&key(PASSPHRASE)).unwrap_err();
    assert_eq!(waiting.code, ErrorCode::RateLimited);
    assert!(waiting
        .retry_after_seconds
        .is_some_and(|s| (1..=5).contains(&s)));
    drop(locked);

    let restarted = open(root.path());
    let status = restarted.lock_status();
    assert_eq!(status.failures, 3, "the count survives a restart");
    assert!(
        status.retry_after_seconds.is_some(),
        "and so does the delay"
    );
    assert_eq!(
        restarted.unlock(&key(PASSPHRASE)).unwrap_err().code,
        ErrorCode::RateLimited
    );

    // Let the delay pass (moving the last failure back in time).
    let store = restarted.store_for_tests();
    let raw = store.read(ATTEMPTS_ACCOUNT).unwrap().unwrap();
    let mut attempts = Attempts::decode(raw.expose(), 0);
    let failed_at = attempts.unaudited.clone();
    attempts.last_failure_at -= 10;
    store.write(ATTEMPTS_ACCOUNT, &attempts.encode()).unwrap();

    restarted.unlock(&key(PASSPHRASE)).unwrap();
    assert_eq!(
        restarted.lock_status().failures,
        0,
        "a right passphrase resets the count"
    );
    let audit = restarted.audit().unwrap();
    let failures: Vec<u64> = audit
        .records
        .iter()
        .rev()
        .filter(|r| serde_json::to_value(&r.event).unwrap()["kind"] == "unlock_failed")
        .map(|r| r.at)
        .collect();
    assert_eq!(
        failures, failed_at,
        "each wrong guess is audited with its own time"
    );
    assert!(audit.check.intact);
}

#[tokio::test]
async fn a_forgotten_passphrase_has_one_way_out_delete_everything() {
    let root = tempfile::tempdir().unwrap();
    let service = open(root.path());
    service.give_consent(CONSENT_VERSION).unwrap();
    service.set_lock(enable(PASSPHRASE)).await.unwrap();
    drop(service);

    let locked = open(root.path());
    locked.gate("delete_everything").unwrap();
    // Locked, the journal cannot be read: only with "leave what is on Tavus" does it go on.
    assert_eq!(
        locked.delete_everything().await.unwrap_err().code,
        ErrorCode::Locked
    );
    let report = locked
        .delete_everything_with(DeletionOptions { leave_remote: true }, |_| {})
        .await
        .unwrap();
    assert!(report.finished, "{report:?}");
    assert!(
        report.not_done.iter().any(|n| n.contains("locked")),
        "{report:?}"
    );
    let status = locked.lock_status();
    assert!(!status.enabled && !status.locked);
    let items: HashMap<String, String> =
        serde_json::from_slice(&std::fs::read(root.path().join("keychain.json")).unwrap()).unwrap();
    for gone in [
        serene_core::privacy::app_lock::WRAPPED_KEY_ACCOUNT,
        ATTEMPTS_ACCOUNT,
        serene_core::privacy::local_keys::DATA_KEY_ACCOUNT,
    ] {
        assert!(!items.contains_key(gone), "{gone} left in the keychain");
    }
    assert!(!root.path().join("data").exists());

    // A fresh start, without a lock.
    let fresh = open(root.path());
    assert!(!fresh.lock_status().enabled);
    assert!(!fresh.consent().current);
    fresh.give_consent(CONSENT_VERSION).unwrap();
}

#[tokio::test]
async fn the_lock_changes_only_with_a_native_confirmation_and_the_current_passphrase() {
    let root = tempfile::tempdir().unwrap();
    let refusing = open(root.path()).confirming_with(RefuseAll);
    assert_eq!(
        refusing
            .set_lock(enable(PASSPHRASE))
            .await
            .unwrap_err()
            .code,
        ErrorCode::NotConfirmed
    );
    assert!(!refusing.lock_status().enabled);
    assert_eq!(
        refusing.set_lock(enable("short")).await.unwrap_err().code,
        ErrorCode::InvalidInput
    );
    drop(refusing);

    let service = open(root.path());
    service.give_consent(CONSENT_VERSION).unwrap();
    service.set_lock(enable(PASSPHRASE)).await.unwrap();
    let change = |current: &str| {
        LockRequest::from_json(serde_json::json!({
            "action": "change", "current": current, "passphrase": "another long passphrase"
        }))
        .unwrap()
    };
    assert_eq!(
        service
            .set_lock(change("wrong one"))
            .await
            .unwrap_err()
            .code,
        ErrorCode::WrongPassphrase
    );
    service.set_lock(change(PASSPHRASE)).await.unwrap();
    let disable = LockRequest::from_json(
        serde_json::json!({"action": "disable", "current": "another long passphrase"}),
    )
    .unwrap();
    service.set_lock(disable).await.unwrap();
    drop(service);

    let unlocked = open(root.path());
    assert!(!unlocked.lock_status().locked);
    assert!(
        unlocked.consent().current,
        "turning the lock off gives the same key back"
    );
    let kinds: Vec<String> = unlocked
        .audit()
        .unwrap()
        .records
        .iter()
        .rev()
        .map(|r| {
            let event = serde_json::to_value(&r.event).unwrap();
            format!(
                "{}:{}",
                event["kind"].as_str().unwrap(),
                event["what"].as_str().unwrap_or("")
            )
        })
        .filter(|k| k.contains("lock") || k.contains("unlock"))
        .collect();
    assert_eq!(
        kinds,
        [
            "lock_changed:on",
            "unlock_failed:",
            "lock_changed:changed",
            "lock_changed:off"
        ]
    );
}
