//! Loopback fakes of Tavus and ElevenLabs that answer as `shared/contracts/` describes,
//! but only to the expected test key: any other key gets the documented 401.

use serde_json::json;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Keys shaped unlike real ones, so the log scrubber cannot hide a leak from the canary.
pub const TAVUS_KEY: &str = "e2e-canary-TAVUS-7f3a9c1d2b";
pub const ELEVEN_KEY: &str = "e2e-canary-ELEVEN-5e8b0a4c6d";

pub struct Fakes {
    pub tavus: MockServer,
    pub elevenlabs: MockServer,
}

impl Fakes {
    pub async fn start() -> Fakes {
        let tavus = MockServer::start().await;
        let elevenlabs = MockServer::start().await;
        let t = || header("x-api-key", TAVUS_KEY);
        let e = || header("xi-api-key", ELEVEN_KEY);
        Mock::given(method("GET"))
            .and(path("/v2/replicas"))
            .and(query_param("limit", "1"))
            .and(t())
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "data": [{"replica_id": "r79e1c033f", "replica_name": "Anna"}], "total_count": 1
            })))
            .mount(&tavus)
            .await;
        Mock::given(method("GET"))
            .and(path("/v2/replicas"))
            .and(t())
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "data": [
                    {"replica_id": "r79e1c033f", "replica_name": "Anna", "status": "completed"},
                    {"replica_id": "r5dc7c5c7b", "replica_name": "Marcus", "status": "completed"}
                ],
                "total_count": 2
            })))
            .mount(&tavus)
            .await;
        Mock::given(method("GET"))
            .and(path("/v2/personas"))
            .and(t())
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "data": [{"persona_id": "p5317866", "persona_name": "Supportive listener"}],
                "total_count": 1
            })))
            .mount(&tavus)
            .await;
        Mock::given(wiremock::matchers::any())
            .respond_with(
                ResponseTemplate::new(401)
                    .set_body_json(json!({"message": "Invalid access token"})),
            )
            .mount(&tavus)
            .await;

        Mock::given(method("GET"))
            .and(path("/v1/models"))
            .and(e())
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([
                {"model_id": "eleven_multilingual_v2", "name": "Eleven Multilingual v2", "can_do_text_to_speech": true,
                 "max_characters_request_free_user": 2500, "max_characters_request_subscribed_user": 10000},
                {"model_id": "eleven_flash_v2_5", "name": "Eleven Flash v2.5", "can_do_text_to_speech": true}
            ])))
            .mount(&elevenlabs)
            .await;
        Mock::given(method("GET"))
            .and(path("/v2/voices"))
            .and(e())
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "voices": [
                    {"voice_id": "21m00Tcm4TlvDq8ikWAM", "name": "Rachel", "category": "premade", "labels": {}},
                    {"voice_id": "AZnzlk1XvdvUeBnXmlld", "name": "Domi", "category": "premade", "labels": {}}
                ],
                "has_more": false, "total_count": 2
            })))
            .mount(&elevenlabs)
            .await;
        Mock::given(wiremock::matchers::any())
            .respond_with(ResponseTemplate::new(401).set_body_json(
                json!({"detail": {"status": "invalid_api_key", "message": "Invalid API key"}}),
            ))
            .mount(&elevenlabs)
            .await;
        Fakes { tavus, elevenlabs }
    }

    /// The environment that points an e2e build at these fakes.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("SERENE_TAVUS_BASE_URL", self.tavus.uri()),
            ("SERENE_ELEVENLABS_BASE_URL", self.elevenlabs.uri()),
            // Everything the app and its libraries can log, for the canary to search.
            ("SERENE_LOG", "trace".to_string()),
        ]
    }
}
