//! Each way ElevenLabs can refuse a signed conversation URL says what happened, instead
//! of every 4xx reading as "unknown agent".

mod support;

use serde_json::json;
use serene_core::privacy::consent::CONSENT_VERSION;
use serene_core::provider::Provider;
use serene_core::service::{Service, VoiceStartRequest};
use serene_core::ErrorCode;
use support::eleven_bodies::{error, validation_error};
use support::{dirs, gateway, key, MemoryStore, ELEVEN_KEY};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn signed_url_refusals_are_told_apart() {
    let cases = [
        (
            ResponseTemplate::new(404),
            ErrorCode::NotFound,
            "does not know that agent",
        ),
        (
            ResponseTemplate::new(401).set_body_json(error("missing_permissions", "x")),
            ErrorCode::KeyLacksPermission,
            "not allowed",
        ),
        (
            ResponseTemplate::new(403),
            ErrorCode::KeyLacksPermission,
            "not allowed",
        ),
        (
            ResponseTemplate::new(422).set_body_json(validation_error("agent_id")),
            ErrorCode::UpstreamRejected,
            "malformed",
        ),
        (
            ResponseTemplate::new(401).set_body_json(error("quota_exceeded", "x")),
            ErrorCode::OutOfCredits,
            "quota",
        ),
        (
            ResponseTemplate::new(401).set_body_json(error("invalid_api_key", "x")),
            ErrorCode::InvalidKey,
            "API key",
        ),
    ];
    for (answer, code, words) in cases {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/v1/convai/conversation/get-signed-url"))
            .respond_with(answer)
            .mount(&server)
            .await;
        support::mount_key_checks(&server).await;
        let root = tempfile::tempdir().unwrap();
        let s = Service::new(
            MemoryStore::default(),
            gateway(&server.uri(), &server.uri()),
            dirs(root.path()),
        )
        .confirming_with(serene_core::confirm::AcceptAll);
        s.give_consent(CONSENT_VERSION).unwrap();
        s.set_key(Provider::ElevenLabs, &key(ELEVEN_KEY))
            .await
            .unwrap();
        s.update_settings(
            serde_json::from_value(json!({"elevenlabsAgentId": "agent_serene01"})).unwrap(),
        )
        .await
        .unwrap();
        let request = VoiceStartRequest::from_json(json!({"minutes": 15})).unwrap();
        let refused = s.start_voice(request, |_| {}).await.unwrap_err();
        assert_eq!(refused.code, code, "{words}");
        assert!(
            refused.message.contains(words),
            "{code:?}: {}",
            refused.message
        );
    }
}
