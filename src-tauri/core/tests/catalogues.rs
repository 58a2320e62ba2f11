//! Catalogues as the providers have them: every page of voices, replicas and personas,
//! replicas not `completed` offered disabled with their status, every language Tavus
//! documents, and each speech model's per-request limit.

mod support;

use serde_json::json;
use serene_core::provider::Provider;
use serene_core::service::Service;
use serene_core::settings::SESSION_LANGUAGES;
use support::eleven_bodies;
use support::tavus_fake::{TavusFake, LANGUAGES};
use support::{dirs, gateway, key, MemoryStore, ELEVEN_KEY, TAVUS_KEY};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn ready(
    tavus: &MockServer,
    eleven: &MockServer,
    root: &std::path::Path,
) -> Service<MemoryStore> {
    let s = Service::new(
        MemoryStore::default(),
        gateway(&tavus.uri(), &eleven.uri()),
        dirs(root),
    )
    .confirming_with(serene_core::confirm::AcceptAll);
    s.set_key(Provider::Tavus, &key(TAVUS_KEY)).await.unwrap();
    s.set_key(Provider::ElevenLabs, &key(ELEVEN_KEY))
        .await
        .unwrap();
    s
}

#[tokio::test]
async fn every_page_is_read_and_unready_replicas_are_disabled() {
    let replicas: Vec<_> = (0..130)
        .map(|i| {
            let status = match i {
                5 => "started",
                6 => "error",
                _ => "completed",
            };
            json!({"replica_id": format!("r{i:04}"), "replica_name": format!("Face {i}"), "status": status})
        })
        .collect();
    let tavus = MockServer::start().await;
    TavusFake::new(TAVUS_KEY)
        .with_replicas(json!(replicas))
        .mount(&tavus)
        .await;
    let eleven = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/voices"))
        .and(query_param(
            "next_page_token",
            eleven_bodies::SECOND_VOICE_PAGE,
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(eleven_bodies::voices_page(Some("x"))),
        )
        .mount(&eleven)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/voices"))
        .and(query_param_is_missing("next_page_token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(eleven_bodies::voices_page(None)))
        .mount(&eleven)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/models"))
        .respond_with(ResponseTemplate::new(200).set_body_json(eleven_bodies::models()))
        .mount(&eleven)
        .await;
    let root = tempfile::tempdir().unwrap();
    let s = ready(&tavus, &eleven, root.path()).await;

    let voices: Vec<String> = s
        .voices()
        .await
        .unwrap()
        .into_iter()
        .map(|v| v.name)
        .collect();
    assert_eq!(
        voices,
        ["Rachel", "Domi", "Bella"],
        "the second page was read"
    );

    let replicas = s.replicas().await.unwrap();
    assert_eq!(replicas.len(), 130, "both pages of replicas");
    let training = &replicas[5];
    assert!(training.unavailable && training.status.as_deref() == Some("started"));
    assert!(replicas[6].unavailable && replicas[6].status.as_deref() == Some("error"));
    assert!(!replicas[7].unavailable && replicas[7].status.is_none());
    let shown = serde_json::to_value(&replicas[5]).unwrap();
    assert_eq!(shown["unavailable"], true);
    assert_eq!(shown["status"], "started");

    let models = s.models().await.unwrap();
    let limits: Vec<(String, Option<u64>)> = models
        .into_iter()
        .map(|m| (m.id, m.max_characters))
        .collect();
    assert_eq!(
        limits,
        [
            ("eleven_multilingual_v2".to_string(), Some(10_000)),
            ("eleven_flash_v2_5".to_string(), Some(40_000)),
            ("eleven_v3".to_string(), Some(3_000)),
        ],
        "speech models only, each with its limit"
    );
}

#[test]
fn every_language_tavus_documents_is_offered() {
    assert_eq!(SESSION_LANGUAGES.len(), 43, "42 languages and multilingual");
    assert_eq!(
        SESSION_LANGUAGES, LANGUAGES,
        "the same list the strict fake accepts"
    );
    let contract = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/contracts/tavus.md"),
    );
    if let Ok(contract) = contract {
        for language in SESSION_LANGUAGES.iter().filter(|l| **l != "multilingual") {
            assert!(
                contract.contains(language),
                "{language} is not in the contract"
            );
        }
    }
}
