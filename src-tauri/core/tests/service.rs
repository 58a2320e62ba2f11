//! The service layer the shell calls: key checks are remembered, a new key forgets the old
//! check, catalogues become named choices, and nothing returned carries a key.

mod support;

use serde_json::json;
use serene_core::confirm::RefuseAll;
use serene_core::provider::Provider;
use serene_core::service::Service;
use serene_core::settings::SettingsPatch;
use serene_core::vault::SecretStore;
use serene_core::ErrorCode;
use support::{dirs, gateway, key, MemoryStore, ELEVEN_KEY, TAVUS_KEY};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn service(server: &MockServer, dir: &std::path::Path) -> Service<MemoryStore> {
    Service::new(
        MemoryStore::default(),
        gateway(&server.uri(), &server.uri()),
        dirs(dir),
    )
    .confirming_with(serene_core::confirm::AcceptAll)
}

#[tokio::test]
async fn verify_records_the_outcome_and_a_replacement_is_checked_first() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/replicas"))
        .and(query_param("limit", "1"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"data": [], "total_count": 0})),
        )
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let service = service(&server, dir.path()).await;

    assert_eq!(
        service.verify_key(Provider::Tavus).await.unwrap_err().code,
        ErrorCode::KeyMissing
    );
    service
        .set_key(Provider::Tavus, &key(TAVUS_KEY))
        .await
        .unwrap();
    let view = service.verify_key(Provider::Tavus).await.unwrap();
    assert_eq!(view.last_check.as_ref().unwrap().outcome, "verified");
    assert_eq!(view.last_four.as_deref(), Some("0001"));

    // ...and a replacement is checked live before it is stored.
    let view = service
        .set_key(Provider::Tavus, &key("tvsk_another_fake_key_0002"))
        .await
        .unwrap();
    assert_eq!(view.last_four.as_deref(), Some("0002"));
    assert_eq!(view.last_check.unwrap().outcome, "verified");
    let file = std::fs::read(dir.path().join("config/settings.sealed")).unwrap();
    assert!(
        !file.windows(8).any(|w| w == b"verified"),
        "settings are not sealed"
    );
}

fn invalid_eleven_key() -> ResponseTemplate {
    ResponseTemplate::new(401).set_body_json(
        json!({"detail": {"status": "invalid_api_key", "message": "Invalid API key"}}),
    )
}

fn eleven_models() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!([]))
}

/// A service whose ElevenLabs key was saved, after passing its live check.
async fn with_eleven_key() -> (MockServer, tempfile::TempDir, Service<MemoryStore>) {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/models"))
        .respond_with(eleven_models())
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let service = service(&server, dir.path()).await;
    service
        .set_key(Provider::ElevenLabs, &key(ELEVEN_KEY))
        .await
        .unwrap();
    (server, dir, service)
}

#[tokio::test]
async fn a_key_that_stops_working_is_remembered_as_such() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/models"))
        .respond_with(eleven_models())
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/models"))
        .respond_with(invalid_eleven_key())
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let service = service(&server, dir.path()).await;
    service
        .set_key(Provider::ElevenLabs, &key(ELEVEN_KEY))
        .await
        .unwrap();
    service.require_verified(Provider::ElevenLabs).unwrap();
    let error = service.verify_key(Provider::ElevenLabs).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidKey);
    let view = service.key_view(Provider::ElevenLabs).unwrap();
    assert_eq!(view.last_check.unwrap().outcome, "invalid_key");
    assert_eq!(
        service
            .require_verified(Provider::ElevenLabs)
            .unwrap_err()
            .code,
        ErrorCode::KeyNotVerified,
        "sessions must not start on a key that failed its check"
    );
}

#[tokio::test]
async fn a_refused_first_key_is_never_stored() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/models"))
        .respond_with(invalid_eleven_key())
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let service = service(&server, dir.path()).await;
    let error = service
        .set_key(Provider::ElevenLabs, &key(ELEVEN_KEY))
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidKey);
    assert!(error.message.ends_with("The key was not saved."));
    assert!(!service.key_view(Provider::ElevenLabs).unwrap().configured);
    assert!(service
        .store_for_tests()
        .read(Provider::ElevenLabs.key_account())
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn account_changes_wait_for_the_persons_confirmation_outside_the_page() {
    let (_server, _dir, service) = with_eleven_key().await;
    service
        .update_settings(SettingsPatch {
            elevenlabs_agent_id: Some("agent_01jmine".into()),
            anonymous_sessions: Some(true),
            ..Default::default()
        })
        .await
        .unwrap();

    // From here on the person says no to every dialog.
    service.set_confirmer(std::sync::Arc::new(RefuseAll));
    let swap = "sk_fake9999test9999key9999not9999real9999other0000";
    let refused = [
        service
            .set_key(Provider::ElevenLabs, &key(swap))
            .await
            .unwrap_err(),
        service.remove_key(Provider::ElevenLabs).await.unwrap_err(),
        service
            .update_settings(SettingsPatch {
                elevenlabs_agent_id: Some("agent_01jtheirs".into()),
                ..Default::default()
            })
            .await
            .unwrap_err(),
        service
            .update_settings(SettingsPatch {
                anonymous_sessions: Some(false),
                ..Default::default()
            })
            .await
            .unwrap_err(),
        service
            .update_settings(SettingsPatch {
                daily_speech_characters: Some(1_000_000),
                ..Default::default()
            })
            .await
            .unwrap_err(),
    ];
    for error in refused {
        assert_eq!(error.code, ErrorCode::NotConfirmed, "{error:?}");
    }
    let view = service.key_view(Provider::ElevenLabs).unwrap();
    assert_eq!(
        view.last_four.as_deref(),
        Some(&ELEVEN_KEY[ELEVEN_KEY.len() - 4..])
    );
    let settings = service.settings().settings;
    assert_eq!(
        settings.elevenlabs_agent_id.as_deref(),
        Some("agent_01jmine")
    );
    assert!(settings.anonymous_sessions);
    assert_eq!(
        settings.daily_speech_characters,
        serene_core::settings::DEFAULT_DAILY_SPEECH_CHARACTERS
    );
    // What needs no confirmation still works: lowering a limit, choosing a voice.
    service
        .update_settings(SettingsPatch {
            daily_speech_characters: Some(500),
            elevenlabs_voice_id: Some("21m00Tcm4TlvDq8ikWAM".into()),
            ..Default::default()
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn consent_and_export_cannot_flood_the_audit_log_and_key_events_stay_visible() {
    let (_server, _dir, service) = with_eleven_key().await;
    let mut refused = 0;
    for _ in 0..400 {
        let outcome = service
            .give_consent(serene_core::privacy::consent::CONSENT_VERSION)
            .and_then(|_| service.withdraw_consent());
        if let Err(error) = outcome {
            assert_eq!(error.code, ErrorCode::RateLimited);
            refused += 1;
        }
    }
    assert!(refused > 350, "only {refused} of 400 refused");
    let audit = service.audit().unwrap();
    assert!(audit.check.intact);
    assert!(
        audit.records.len() < 40,
        "{} records written by a flood",
        audit.records.len()
    );
    assert!(audit.pinned.iter().any(|r| matches!(
        r.event,
        serene_core::privacy::audit::AuditEvent::KeySaved { .. }
    )));
}

#[tokio::test]
async fn a_refused_replacement_keeps_the_working_key() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/replicas"))
        .and(wiremock::matchers::header("x-api-key", TAVUS_KEY))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"data": [], "total_count": 0})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"message": "Invalid access token"})),
        )
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let service = service(&server, dir.path()).await;
    service
        .set_key(Provider::Tavus, &key(TAVUS_KEY))
        .await
        .unwrap();
    service.verify_key(Provider::Tavus).await.unwrap();

    let error = service
        .set_key(Provider::Tavus, &key("tvsk_mistyped_key_9999"))
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidKey);
    assert!(error.message.ends_with("Your saved key is unchanged."));
    let view = service.key_view(Provider::Tavus).unwrap();
    assert_eq!(view.last_four.as_deref(), Some("0001"));
    assert_eq!(view.last_check.unwrap().outcome, "verified");
}

#[tokio::test]
async fn catalogues_become_named_choices() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/replicas"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [{"replica_id": "r1", "replica_name": "Anna"}, {"replica_id": "r2"}],
            "total_count": 2
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/models"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"model_id": "eleven_multilingual_v2", "name": "Multilingual v2", "can_do_text_to_speech": true},
            {"model_id": "eleven_english_sts_v2", "name": "Speech to speech", "can_do_text_to_speech": false}
        ])))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let service = service(&server, dir.path()).await;
    service
        .set_key(Provider::Tavus, &key(TAVUS_KEY))
        .await
        .unwrap();
    service
        .set_key(Provider::ElevenLabs, &key(ELEVEN_KEY))
        .await
        .unwrap();

    let replicas = service.replicas().await.unwrap();
    assert_eq!(replicas[0].name, "Anna");
    assert_eq!(replicas[1].name, "r2", "an unnamed replica shows its id");
    let models = service.models().await.unwrap();
    assert_eq!(models.len(), 1, "only speech models are offered");

    let json = serde_json::to_string(&(
        replicas,
        models,
        service.key_view(Provider::Tavus).unwrap(),
        service.settings(),
    ))
    .unwrap();
    assert!(
        !json.contains(TAVUS_KEY) && !json.contains(&ELEVEN_KEY[3..]),
        "{json}"
    );
}

#[tokio::test]
async fn settings_changes_are_validated_and_saved() {
    let server = MockServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let service = service(&server, dir.path()).await;
    let view = service
        .update_settings(SettingsPatch {
            elevenlabs_voice_id: Some("21m00Tcm4TlvDq8ikWAM".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        view.settings.elevenlabs_voice_id.as_deref(),
        Some("21m00Tcm4TlvDq8ikWAM")
    );
    let error = service
        .update_settings(SettingsPatch {
            tavus_persona_id: Some("p1/../../x".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidInput);
    assert_eq!(service.settings().settings.tavus_persona_id, None);
}

#[tokio::test]
async fn a_damaged_settings_file_is_reported_once() {
    let server = MockServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("config")).unwrap();
    std::fs::write(
        dir.path().join("config/settings.sealed"),
        b"\x00\x01 not json",
    )
    .unwrap();
    let service = service(&server, dir.path()).await;
    assert!(service.settings().notice.unwrap().contains("set aside"));
    assert!(service.settings().notice.is_none());
}
