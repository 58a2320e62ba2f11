//! Ends that are checked and sessions that do not linger on Tavus, against the stateful
//! fake: an end is believed only on success, on Tavus's not-found answers, or after a GET
//! confirms `ended`; with "delete ended sessions" (on by default) each ended conversation
//! is hard-deleted, retried at the next start if that fails; retention never drops an id
//! that was not deleted.

mod support;

use std::path::Path;

use serde_json::json;
use serene_core::privacy::consent::CONSENT_VERSION;
use serene_core::provider::Provider;
use serene_core::service::{EndReason, JournalEntry, Service, StartRequest};
use support::tavus_fake::{Fault, Status, TavusFake};
use support::{dirs, gateway, key, FileStore, TAVUS_KEY};

async fn ready(server: &str, root: &Path) -> Service<FileStore> {
    let s = Service::new(
        FileStore(root.join("keychain.json")),
        gateway(server, server),
        dirs(root),
    )
    .confirming_with(serene_core::confirm::AcceptAll);
    s.give_consent(CONSENT_VERSION).unwrap();
    s.set_key(Provider::Tavus, &key(TAVUS_KEY)).await.unwrap();
    s.update_settings(serde_json::from_value(json!({"tavusReplicaId": "r79e1c033f"})).unwrap())
        .await
        .unwrap();
    s
}

fn start() -> StartRequest {
    StartRequest::from_json(json!({"minutes": 15})).unwrap()
}

fn journaled(s: &Service<FileStore>) -> Vec<(String, bool)> {
    s.journal()
        .into_iter()
        .map(|e| (e.conversation_id, e.ended_at.is_some()))
        .collect()
}

#[tokio::test]
async fn an_unexplained_refusal_is_not_taken_for_an_end() {
    let (server, fake) = TavusFake::start(TAVUS_KEY).await;
    let root = tempfile::tempdir().unwrap();
    let s = ready(&server.uri(), root.path()).await;
    let id = s.start_video(start()).await.unwrap().conversation_id;
    // Tavus refuses the end with a 400 that is neither documented answer; GET says active.
    fake.fail_end(
        &id,
        Fault::always(400, Some(json!({"error": "Something else"}))),
    );
    assert!(s.end_video(&id, EndReason::EndedByPerson).await.is_err());
    assert_eq!(fake.status(&id), Some(Status::Active));
    assert_eq!(
        journaled(&s),
        [(id.clone(), false)],
        "still journaled as open"
    );
    assert_eq!(
        fake.count("GET", &format!("/v2/conversations/{id}")),
        1,
        "checked"
    );

    fake.heal();
    s.end_video(&id, EndReason::EndedByPerson).await.unwrap();
    assert!(fake.held().is_empty(), "ended, then deleted by default");
    assert!(s.journal().is_empty());
}

#[tokio::test]
async fn an_end_refused_because_it_already_ended_is_confirmed_by_a_get() {
    let (server, fake) = TavusFake::start(TAVUS_KEY).await;
    let root = tempfile::tempdir().unwrap();
    let s = ready(&server.uri(), root.path()).await;
    s.update_settings(serde_json::from_value(json!({"deleteEndedSessions": false})).unwrap())
        .await
        .unwrap();
    let id = s.start_video(start()).await.unwrap().conversation_id;
    fake.seed(&id, Status::Ended); // Tavus's timeouts ended it; a second end is a bare 400
    s.end_video(&id, EndReason::EndedByPerson).await.unwrap();
    assert_eq!(
        journaled(&s),
        [(id.clone(), true)],
        "kept, ended, for deletion later"
    );
    assert_eq!(
        fake.status(&id),
        Some(Status::Ended),
        "setting off: not deleted"
    );
}

#[tokio::test]
async fn the_invalid_id_answer_means_gone_everywhere() {
    let (server, fake) = TavusFake::start(TAVUS_KEY).await;
    let root = tempfile::tempdir().unwrap();
    let s = ready(&server.uri(), root.path()).await;
    for id in ["cgone1", "cgone2"] {
        s.journal_add(JournalEntry {
            conversation_id: id.into(),
            started_at: 1,
            ended_at: None,
        })
        .unwrap();
    }
    // Neither id is known to Tavus: its answer is `400 {"error":"Invalid conversation_id"}`.
    s.end_video("cgone1", EndReason::EndedByPerson)
        .await
        .unwrap();
    assert!(s.video_status("cgone2").await.unwrap().ended);
    assert!(s.journal().is_empty(), "{:?}", s.journal());
    assert!(fake.count("DELETE", "") == 0, "nothing to delete");
}

#[tokio::test]
async fn ended_sessions_are_deleted_on_tavus_and_retried_at_the_next_start() {
    let (server, fake) = TavusFake::start(TAVUS_KEY).await;
    let root = tempfile::tempdir().unwrap();
    let s = ready(&server.uri(), root.path()).await;
    assert!(s.settings().settings.delete_ended_sessions, "on by default");
    let id = s.start_video(start()).await.unwrap().conversation_id;
    fake.fail_delete(&id, Fault::always(503, None));
    s.end_video(&id, EndReason::EndedByPerson).await.unwrap();
    assert_eq!(fake.status(&id), Some(Status::Ended));
    assert_eq!(journaled(&s), [(id.clone(), true)], "kept until deleted");
    drop(s);

    fake.heal();
    let relaunched = ready(&server.uri(), root.path()).await;
    relaunched.end_journaled(EndReason::StartupCleanup).await;
    assert!(fake.held().is_empty());
    assert!(relaunched.journal().is_empty());
    assert!(fake
        .seen()
        .iter()
        .any(|r| r.method == "DELETE" && r.path == format!("/v2/conversations/{id}?hard=true")));
}

#[tokio::test]
async fn retention_never_drops_an_id_that_was_not_deleted() {
    let (server, fake) = TavusFake::start(TAVUS_KEY).await;
    let root = tempfile::tempdir().unwrap();
    let s = ready(&server.uri(), root.path()).await;
    s.update_settings(
        serde_json::from_value(json!({"deleteEndedSessions": false, "auditRetentionDays": 1}))
            .unwrap(),
    )
    .await
    .unwrap();
    fake.seed("cold01", Status::Ended);
    s.journal_add(JournalEntry {
        conversation_id: "cold01".into(),
        started_at: 1,
        ended_at: Some(2),
    })
    .unwrap();
    drop(s);
    // Far past retention, a new start must still know the id to delete it later.
    let relaunched = ready(&server.uri(), root.path()).await;
    assert_eq!(journaled(&relaunched), [("cold01".to_string(), true)]);
    let report = relaunched.delete_everything().await.unwrap();
    assert!(report.finished, "{report:?}");
    assert!(fake.held().is_empty());
}
