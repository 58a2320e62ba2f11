//! "Delete everything" that finishes: through the real service and the app's real limits,
//! against a stateful fake Tavus, with a restart half-way, refusals, and Tavus slowing
//! Serene down. Deletion's pacing runs on a virtual clock (the real intervals, no waiting).

mod support;

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use serene_core::provider::Provider;
use serene_core::service::{
    DeletionOptions, DeletionProgress, DeletionStep, JournalEntry, Service,
};
use serene_core::vault::SecretStore;
use support::tavus_fake::{Fault, Status, TavusFake};
use support::{dirs, gateway_with_real_limit, key, FileStore, VirtualPacer, TAVUS_KEY};

fn open(server: &str, root: &Path, pacer: &Arc<VirtualPacer>) -> Service<FileStore> {
    let mut service = Service::new(
        FileStore(root.join("keychain.json")),
        gateway_with_real_limit(server),
        dirs(root),
    )
    .confirming_with(serene_core::confirm::AcceptAll);
    service.set_deletion_pacer(pacer.clone());
    service
}

/// `n` kept conversations: every third still open, the rest ended but kept on Tavus.
async fn keep(fake: &TavusFake, s: &Service<FileStore>, n: usize) -> Vec<String> {
    s.set_key(Provider::Tavus, &key(TAVUS_KEY)).await.unwrap();
    let mut ids = Vec::new();
    for i in 0..n {
        let id = format!("ckept{i:03}");
        let open = i % 3 == 0;
        fake.seed(&id, if open { Status::Active } else { Status::Ended });
        s.journal_add(JournalEntry {
            conversation_id: id.clone(),
            started_at: 1_700_000_000 + i as u64,
            ended_at: (!open).then_some(1_700_000_100),
        })
        .unwrap();
        ids.push(id);
    }
    ids
}

fn keychain_has(s: &Service<FileStore>, account: &str) -> bool {
    s.store_for_tests().read(account).unwrap().is_some()
}

/// No 60-second window of virtual time holds more deletion calls (ends and deletes; the
/// key's live check before it was saved is not one) than deletion's own budget.
fn assert_paced(fake: &TavusFake) {
    let times: Vec<u64> = fake
        .seen()
        .iter()
        .filter(|s| !s.path.starts_with("/v2/replicas"))
        .map(|s| s.at_ms)
        .collect();
    let per_minute = (60_000 / serene_core::service::DELETION_CALL_INTERVAL.as_millis()) as usize;
    for (i, start) in times.iter().enumerate() {
        let in_window = times[i..].iter().filter(|t| **t < start + 60_000).count();
        assert!(
            in_window <= per_minute,
            "{in_window} calls within a minute of {start} ms"
        );
    }
}

#[tokio::test]
async fn twenty_five_kept_conversations_are_deleted_across_a_restart() {
    let pacer = Arc::new(VirtualPacer::default());
    let server = wiremock::MockServer::start().await;
    let fake = TavusFake::new(TAVUS_KEY)
        .with_clock(pacer.now_ms.clone())
        .mount(&server)
        .await;
    let root = tempfile::tempdir().unwrap();
    let first = open(&server.uri(), root.path(), &pacer);
    let ids = keep(&fake, &first, 25).await;
    assert_eq!(fake.held().len(), 25);

    // The first run is cut off (the process dies) once 12 are confirmed gone.
    let seen: Arc<Mutex<Vec<DeletionProgress>>> = Arc::default();
    let halfway = Arc::new(tokio::sync::Notify::new());
    {
        let (log, signal) = (seen.clone(), halfway.clone());
        let run = first.delete_everything_with(DeletionOptions::default(), move |p| {
            if p.conversations_deleted >= 12 {
                signal.notify_one();
            }
            log.lock().unwrap().push(p);
        });
        tokio::select! {
            report = run => panic!("the run was meant to be cut off: {report:?}"),
            _ = halfway.notified() => {}
        }
    }
    drop(first);
    let left = fake.held();
    assert!(!left.is_empty() && left.len() <= 13, "{left:?}");
    {
        let progress = seen.lock().unwrap();
        assert_eq!(progress[0].conversations_total, 25);
        assert!(progress
            .windows(2)
            .all(|w| w[0].conversations_deleted <= w[1].conversations_deleted));
    }

    // Restart: the to-do list survived, and the keys are all still there.
    let second = open(&server.uri(), root.path(), &pacer);
    assert_eq!(second.deletion_pending(), Some(left.len()));
    assert!(keychain_has(&second, "tavus-api-key"));
    assert!(keychain_has(&second, "local-data-key"));
    assert_eq!(
        second.privacy_overview().unwrap().unfinished_deletion,
        Some(left.len())
    );
    let journal: Vec<String> = second
        .journal()
        .into_iter()
        .map(|e| e.conversation_id)
        .collect();
    for id in &left {
        assert!(
            journal.contains(id),
            "{id} was forgotten before Tavus deleted it"
        );
    }

    let steps: Arc<Mutex<Vec<DeletionProgress>>> = Arc::default();
    let log = steps.clone();
    let report = second
        .delete_everything_with(DeletionOptions::default(), move |p| {
            log.lock().unwrap().push(p)
        })
        .await
        .unwrap();
    assert!(report.finished && report.not_done.is_empty(), "{report:?}");
    assert_eq!(report.remaining_conversations, 0);
    assert!(fake.held().is_empty(), "left on Tavus: {:?}", fake.held());
    for account in [
        "tavus-api-key",
        "local-data-key",
        "audit-log-key",
        "audit-log-head",
    ] {
        assert!(!keychain_has(&second, account), "{account} left");
    }
    // The journal and the to-do list went with the local files, last.
    assert!(serene_core::privacy::local::files_under(root.path())
        .iter()
        .all(|f| f.ends_with("keychain.json")));
    assert!(second.journal().is_empty());
    assert_eq!(second.deletion_pending(), None);
    let steps = steps.lock().unwrap();
    let last = steps.last().unwrap();
    assert_eq!(last.step, DeletionStep::Finished);
    assert_eq!(
        (last.conversations_deleted, last.conversations_total),
        (25, 25)
    );
    // Every delete was a hard one; open ones were ended before.
    assert!(fake
        .seen()
        .iter()
        .filter(|s| s.method == "DELETE")
        .all(|s| s.path.ends_with("?hard=true")));
    for id in ids.iter().step_by(3) {
        assert!(
            fake.count("POST", &format!("/{id}/end")) >= 1,
            "{id} not ended"
        );
    }
    assert_paced(&fake);
    // Far more calls than the ordinary 10 a minute allows went out, none refused.
    assert!(fake.seen().len() > 30);
}

#[tokio::test]
async fn refused_deletions_are_reported_kept_and_retried() {
    let pacer = Arc::new(VirtualPacer::default());
    let server = wiremock::MockServer::start().await;
    let fake = TavusFake::new(TAVUS_KEY).mount(&server).await;
    let root = tempfile::tempdir().unwrap();
    let s = open(&server.uri(), root.path(), &pacer);
    let ids = keep(&fake, &s, 6).await;
    // Tavus refuses two deletions and one end, in ways that are not "gone".
    fake.fail_delete(&ids[1], Fault::always(500, None));
    fake.fail_delete(
        &ids[2],
        Fault::always(400, Some(json!({"error": "Something else"}))),
    );
    fake.fail_end(&ids[3], Fault::always(503, None));

    let report = s.delete_everything().await.unwrap();
    assert!(!report.finished, "{report:?}");
    assert_eq!(report.remaining_conversations, 3);
    for id in &ids[1..4] {
        assert!(
            report
                .not_done
                .iter()
                .any(|line| line.contains(id.as_str())),
            "{id} not named: {report:?}"
        );
    }
    assert!(
        report.done.iter().any(|d| d.contains("3 conversation")),
        "{report:?}"
    );
    // Nothing local went: keys, journal and the to-do list are all there for the retry.
    assert!(keychain_has(&s, "tavus-api-key") && keychain_has(&s, "local-data-key"));
    let mut journal: Vec<String> = s.journal().into_iter().map(|e| e.conversation_id).collect();
    journal.sort();
    assert_eq!(journal, ids[1..4]);
    assert_eq!(s.deletion_pending(), Some(3));
    assert_eq!(
        fake.status(&ids[3]),
        Some(Status::Active),
        "the end was refused"
    );

    fake.heal();
    let retry = s.delete_everything().await.unwrap();
    assert!(retry.finished && retry.not_done.is_empty(), "{retry:?}");
    assert!(fake.held().is_empty(), "{:?}", fake.held());
    assert!(!keychain_has(&s, "tavus-api-key"));
}

#[tokio::test]
async fn tavus_slowing_down_is_waited_out_not_given_up() {
    let pacer = Arc::new(VirtualPacer::default());
    let server = wiremock::MockServer::start().await;
    let fake = TavusFake::new(TAVUS_KEY)
        .with_clock(pacer.now_ms.clone())
        .mount(&server)
        .await;
    let root = tempfile::tempdir().unwrap();
    let s = open(&server.uri(), root.path(), &pacer);
    keep(&fake, &s, 4).await;
    fake.fail_everything(Fault::rate_limited(Some(7), 3));
    let waiting: Arc<Mutex<Vec<u64>>> = Arc::default();
    let log = waiting.clone();
    let report = s
        .delete_everything_with(DeletionOptions::default(), move |p| {
            if let Some(seconds) = p.waiting_seconds {
                log.lock().unwrap().push(seconds);
            }
        })
        .await
        .unwrap();
    assert!(report.finished && report.not_done.is_empty(), "{report:?}");
    assert!(fake.held().is_empty());
    assert_eq!(
        *waiting.lock().unwrap(),
        [7, 7, 7],
        "Retry-After honoured and shown"
    );
    assert!(pacer
        .waits
        .lock()
        .unwrap()
        .contains(&Duration::from_secs(7)));
    assert!(pacer.now_ms.load(Ordering::SeqCst) >= 21_000);
}

#[tokio::test]
async fn without_a_tavus_key_nothing_is_deleted_unless_the_person_says_so() {
    let pacer = Arc::new(VirtualPacer::default());
    let server = wiremock::MockServer::start().await;
    let fake = TavusFake::new(TAVUS_KEY).mount(&server).await;
    let root = tempfile::tempdir().unwrap();
    let s = open(&server.uri(), root.path(), &pacer);
    keep(&fake, &s, 2).await;
    s.remove_key(Provider::Tavus).await.unwrap();

    let report = s.delete_everything().await.unwrap();
    assert!(
        !report.finished && report.remaining_conversations == 2,
        "{report:?}"
    );
    assert!(
        report.not_done.iter().any(|l| l.contains("Tavus key")),
        "{report:?}"
    );
    assert_eq!(s.journal().len(), 2);

    let report = s
        .delete_everything_with(DeletionOptions { leave_remote: true }, |_| {})
        .await
        .unwrap();
    assert!(
        report.finished && report.remaining_conversations == 2,
        "{report:?}"
    );
    assert!(
        report.not_done.iter().any(|l| l.contains("stay on Tavus")),
        "{report:?}"
    );
    assert!(!keychain_has(&s, "local-data-key"));
}
