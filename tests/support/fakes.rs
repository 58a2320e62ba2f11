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

pub const CONVERSATION_ID: &str = "c123abc";
pub const ROOM_URL: &str = "https://tavus.daily.co/c123abc";

impl Fakes {
    pub async fn start() -> Fakes {
        Self::start_with_room(ROOM_URL).await
    }

    /// Fakes whose created conversations carry `room_url` (to test hostile ones).
    pub async fn start_with_room(room_url: &str) -> Fakes {
        let tavus = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v2/conversations"))
            .and(header("x-api-key", TAVUS_KEY))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "conversation_id": CONVERSATION_ID,
                "conversation_name": "Serene session",
                "conversation_url": room_url,
                "status": "active",
                "callback_url": "",
                "created_at": "2026-11-23T05:00:00Z"
            })))
            .mount(&tavus)
            .await;
        Mock::given(method("POST"))
            .and(path(format!("/v2/conversations/{CONVERSATION_ID}/end")))
            .and(header("x-api-key", TAVUS_KEY))
            .respond_with(ResponseTemplate::new(200))
            .mount(&tavus)
            .await;
        Mock::given(method("DELETE"))
            .and(path(format!("/v2/conversations/{CONVERSATION_ID}")))
            .and(wiremock::matchers::query_param("hard", "true"))
            .and(header("x-api-key", TAVUS_KEY))
            .respond_with(ResponseTemplate::new(204))
            .mount(&tavus)
            .await;
        Mock::given(method("GET"))
            .and(path(format!("/v2/conversations/{CONVERSATION_ID}")))
            .and(header("x-api-key", TAVUS_KEY))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"conversation_id": CONVERSATION_ID, "status": "active"})),
            )
            .mount(&tavus)
            .await;
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
            .respond_with(ResponseTemplate::new(200).set_body_json(eleven_models()))
            .mount(&elevenlabs)
            .await;
        Mock::given(method("GET"))
            .and(path("/v2/voices"))
            .and(e())
            .respond_with(ResponseTemplate::new(200).set_body_json(eleven_voices()))
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

impl Fakes {
    /// How many times the fake Tavus was asked to end the conversation.
    pub async fn ends(&self) -> usize {
        self.tavus
            .received_requests()
            .await
            .unwrap()
            .iter()
            .filter(|r| r.url.path() == format!("/v2/conversations/{CONVERSATION_ID}/end"))
            .count()
    }

    /// Waits (up to `seconds`) until the conversation was ended at least once.
    pub async fn wait_for_end(&self, seconds: u64) -> bool {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
        while std::time::Instant::now() < deadline {
            if self.ends().await > 0 {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        false
    }

    /// How many times the fake Tavus was asked to hard-delete the conversation.
    pub async fn hard_deletes(&self) -> usize {
        self.tavus
            .received_requests()
            .await
            .unwrap()
            .iter()
            .filter(|r| {
                r.method.as_str() == "DELETE"
                    && r.url.path() == format!("/v2/conversations/{CONVERSATION_ID}")
                    && r.url.query() == Some("hard=true")
            })
            .count()
    }

    pub async fn create_bodies(&self) -> Vec<serde_json::Value> {
        self.tavus
            .received_requests()
            .await
            .unwrap()
            .iter()
            .filter(|r| r.method.as_str() == "POST" && r.url.path() == "/v2/conversations")
            .map(|r| serde_json::from_slice(&r.body).unwrap())
            .collect()
    }
}

/// `GET /v1/models` as the contract shows it.
pub fn eleven_models() -> serde_json::Value {
    json!([
        {"model_id": "eleven_multilingual_v2", "name": "Eleven Multilingual v2", "can_do_text_to_speech": true,
         "max_characters_request_free_user": 2500, "max_characters_request_subscribed_user": 10000},
        {"model_id": "eleven_flash_v2_5", "name": "Eleven Flash v2.5", "can_do_text_to_speech": true}
    ])
}

/// `GET /v2/voices` as the contract shows it.
pub fn eleven_voices() -> serde_json::Value {
    json!({
        "voices": [
            {"voice_id": "21m00Tcm4TlvDq8ikWAM", "name": "Rachel", "category": "premade", "labels": {}},
            {"voice_id": "AZnzlk1XvdvUeBnXmlld", "name": "Domi", "category": "premade", "labels": {}}
        ],
        "has_more": false, "total_count": 2
    })
}
