//! Privacy end to end in the core: consent, the audit trail of key and consent events,
//! tamper detection through the service, export, and delete-everything.

mod support;

use std::path::Path;

use serde_json::json;
use serene_core::privacy::audit::AuditEvent;
use serene_core::privacy::consent::CONSENT_VERSION;
use serene_core::provider::Provider;
use serene_core::service::{JournalEntry, Service};
use serene_core::vault::SecretStore;
use serene_core::ErrorCode;
use support::{dirs, gateway, key, MemoryStore, ELEVEN_KEY, TAVUS_KEY};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn service(server_uri: &str, root: &Path) -> Service<MemoryStore> {
    Service::new(
        MemoryStore::default(),
        gateway(server_uri, server_uri),
        dirs(root),
    )
    .confirming_with(serene_core::confirm::AcceptAll)
}

fn kinds(service: &Service<MemoryStore>) -> Vec<String> {
    let mut records = service.audit().unwrap().records;
    records.reverse();
    records
        .into_iter()
        .map(|r| {
            serde_json::to_value(&r.event).unwrap()["kind"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[tokio::test]
async fn consent_is_versioned_and_can_be_withdrawn() {
    let root = tempfile::tempdir().unwrap();
    let s = service("http://127.0.0.1:9", root.path());
    assert!(!s.consent().current);
    assert_eq!(s.require_consent().unwrap_err().code, ErrorCode::NotAllowed);
    assert_eq!(
        s.give_consent(CONSENT_VERSION + 1).unwrap_err().code,
        ErrorCode::InvalidInput
    );
    let view = s.give_consent(CONSENT_VERSION).unwrap();
    assert!(view.current && view.record.unwrap().version == CONSENT_VERSION);
    s.require_consent().unwrap();
    assert!(!s.withdraw_consent().unwrap().current);
    assert!(s.require_consent().is_err());
    assert_eq!(kinds(&s), ["consent_given", "consent_withdrawn"]);
}

#[tokio::test]
async fn key_events_are_audited_and_the_chain_verifies() {
    let root = tempfile::tempdir().unwrap();
    let checks = MockServer::start().await;
    support::mount_key_checks(&checks).await;
    let s = service(&checks.uri(), root.path());
    s.set_key(Provider::Tavus, &key(TAVUS_KEY)).await.unwrap();
    s.remove_key(Provider::Tavus).await.unwrap();
    let audit = s.audit().unwrap();
    assert!(audit.check.intact, "{:?}", audit.check);
    assert_eq!(
        kinds(&s),
        ["key_saved", "key_checked", "key_removed"],
        "a key is checked before it is saved, and the check is recorded"
    );
    assert_eq!(
        audit.records[0].event,
        AuditEvent::KeyRemoved {
            provider: Provider::Tavus
        }
    );
}

#[tokio::test]
async fn tampering_shows_in_the_service_view() {
    let root = tempfile::tempdir().unwrap();
    let s = service("http://127.0.0.1:9", root.path());
    for _ in 0..3 {
        s.give_consent(CONSENT_VERSION).unwrap();
    }
    let log = root.path().join("data/audit.log");
    let text = std::fs::read_to_string(&log).unwrap();
    let kept: Vec<&str> = text
        .lines()
        .enumerate()
        .filter(|(i, _)| *i != 1)
        .map(|(_, l)| l)
        .collect();
    std::fs::write(&log, kept.join("\n") + "\n").unwrap();
    let check = s.audit().unwrap().check;
    assert!(!check.intact);
    assert_eq!(check.problem.as_deref(), Some("Record 2 is missing."));
}

#[tokio::test]
async fn export_is_complete_and_free_of_secrets() {
    let root = tempfile::tempdir().unwrap();
    let checks = MockServer::start().await;
    support::mount_key_checks(&checks).await;
    let s = service(&checks.uri(), root.path());
    s.give_consent(CONSENT_VERSION).unwrap();
    s.set_key(Provider::ElevenLabs, &key(ELEVEN_KEY))
        .await
        .unwrap();
    s.update_settings(serde_json::from_value(json!({"elevenlabsVoiceId": "v123"})).unwrap())
        .await
        .unwrap();
    let document = s.export().unwrap();
    assert_eq!(document["settings"]["elevenlabsVoiceId"], "v123");
    assert_eq!(document["consent"]["version"], CONSENT_VERSION);
    assert_eq!(document["auditLog"]["verification"]["intact"], true);
    assert!(document["auditLog"]["records"].as_array().unwrap().len() >= 2);
    assert_eq!(document["apiKeys"][1]["saved"], true);
    let text = document.to_string();
    assert!(
        !text.contains(&ELEVEN_KEY[3..20]),
        "the key is in the export"
    );
    assert!(!text.to_lowercase().contains("lastfour"));
}

#[tokio::test]
async fn delete_everything_removes_local_data_keys_and_remote_conversations() {
    let tavus = MockServer::start().await;
    // c1 was already ended (kept only so it can be deleted); c2 is still open.
    for (id, ends) in [("c1", 0), ("c2", 1)] {
        Mock::given(method("POST"))
            .and(path(format!("/v2/conversations/{id}/end")))
            .respond_with(ResponseTemplate::new(200))
            .expect(ends)
            .mount(&tavus)
            .await;
        Mock::given(method("DELETE"))
            .and(path(format!("/v2/conversations/{id}")))
            .and(query_param("hard", "true"))
            .respond_with(ResponseTemplate::new(204))
            .expect(1)
            .mount(&tavus)
            .await;
    }
    support::mount_key_checks(&tavus).await;
    let root = tempfile::tempdir().unwrap();
    let s = service(&tavus.uri(), root.path());
    s.give_consent(CONSENT_VERSION).unwrap();
    s.set_key(Provider::Tavus, &key(TAVUS_KEY)).await.unwrap();
    s.set_key(Provider::ElevenLabs, &key(ELEVEN_KEY))
        .await
        .unwrap();
    for (id, ended_at) in [("c1", Some(2)), ("c2", None)] {
        s.journal_add(JournalEntry {
            conversation_id: id.into(),
            started_at: 1,
            ended_at,
        })
        .unwrap();
    }
    assert!(!s.privacy_overview().unwrap().stored.is_empty());

    let report = s.delete_everything().await.unwrap();
    assert!(report.not_done.is_empty() && report.finished, "{report:?}");
    assert!(report.done.iter().any(|d| d.contains("2 conversation")));
    let left: Vec<_> = serene_core::privacy::local::files_under(root.path());
    assert!(left.is_empty(), "files left: {left:?}");
    // Every keychain entry is gone (the store is the service's own).
    for account in [
        "tavus-api-key",
        "elevenlabs-api-key",
        "local-data-key",
        "audit-log-key",
        "audit-log-head",
    ] {
        assert!(
            s_store_is_empty(&s, account),
            "{account} is still in the keychain"
        );
    }
    assert!(!s.consent().current, "back to first run");
    // No key outlives the deletion in memory either: nothing can be sent with it.
    for provider in [Provider::Tavus, Provider::ElevenLabs] {
        assert_eq!(
            s.verify_key(provider).await.unwrap_err().code,
            ErrorCode::KeyMissing
        );
    }
}

fn s_store_is_empty(s: &Service<MemoryStore>, account: &str) -> bool {
    s.store_for_tests().read(account).unwrap().is_none()
}

/// Offline, nothing is lost: the conversation is named, and keys and files stay for a retry.
#[tokio::test]
async fn delete_everything_offline_says_what_it_could_not_do() {
    let root = tempfile::tempdir().unwrap();
    let keychain = tempfile::tempdir().unwrap();
    let store = || support::FileStore(keychain.path().join("keychain.json"));
    // The key is saved (and checked) while Tavus answers; then Serene starts again with
    // no way to reach it.
    let tavus = MockServer::start().await;
    support::mount_key_checks(&tavus).await;
    Service::new(
        store(),
        gateway(&tavus.uri(), &tavus.uri()),
        dirs(root.path()),
    )
    .confirming_with(serene_core::confirm::AcceptAll)
    .set_key(Provider::Tavus, &key(TAVUS_KEY))
    .await
    .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let s = Service::new(store(), gateway(&dead, &dead), dirs(root.path()))
        .confirming_with(serene_core::confirm::AcceptAll);
    s.journal_add(JournalEntry {
        conversation_id: "c9".into(),
        started_at: 1,
        ended_at: None,
    })
    .unwrap();
    let report = s.delete_everything().await.unwrap();
    assert!(
        !report.finished && report.remaining_conversations == 1,
        "{report:?}"
    );
    assert!(report.not_done[0].contains("c9") && report.not_done[0].contains("internet"));
    assert!(!serene_core::privacy::local::files_under(root.path()).is_empty());
    assert!(s.store_for_tests().read("tavus-api-key").unwrap().is_some());
    assert_eq!(s.journal().len(), 1);
}

#[tokio::test]
async fn a_lost_data_key_is_a_notice_not_a_crash() {
    let root = tempfile::tempdir().unwrap();
    let first = service("http://127.0.0.1:9", root.path());
    first
        .update_settings(serde_json::from_value(json!({"tavusReplicaId": "r1"})).unwrap())
        .await
        .unwrap();
    // Same files, but the keychain was reset: the data key is gone.
    let second = service("http://127.0.0.1:9", root.path());
    let view = second.settings();
    assert_eq!(view.settings.tavus_replica_id, None);
    assert!(view.notice.unwrap().contains("key that protects it"));
}

#[tokio::test]
async fn local_limit_refusals_reach_the_audit_log() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"data": [], "total_count": 0})),
        )
        .mount(&server)
        .await;
    let root = tempfile::tempdir().unwrap();
    let endpoints = serene_core::endpoints::Endpoints {
        tavus: server.uri().parse().unwrap(),
        elevenlabs: server.uri().parse().unwrap(),
    };
    let strict = serene_core::gateway::Gateway::with_limits(
        endpoints,
        support::limits(),
        // One call for the key's live check before it is saved, one for the replicas.
        serene_core::policy::rate_limit::RollingWindow::new(2, std::time::Duration::from_secs(60)),
    )
    .unwrap();
    let s = Service::new(MemoryStore::default(), strict, dirs(root.path()))
        .confirming_with(serene_core::confirm::AcceptAll);
    s.set_key(Provider::Tavus, &key(TAVUS_KEY)).await.unwrap();
    s.replicas().await.unwrap();
    assert_eq!(s.personas().await.unwrap_err().code, ErrorCode::RateLimited);
    let newest = &s.audit().unwrap().records[0];
    assert_eq!(
        newest.event,
        AuditEvent::LimitRefused {
            limit: "upstream_calls".into()
        }
    );
}
