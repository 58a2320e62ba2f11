//! Loopback fakes of Tavus and ElevenLabs that answer as `shared/contracts/` describes:
//! Tavus is the stateful, strict fake the core's tests use; ElevenLabs answers its known
//! routes with bodies checked against the OpenAPI file (`eleven_bodies.rs`), a wrong key
//! with the documented 401, a wrong method with 405 and an unknown path with 404.

use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[path = "../../src-tauri/core/tests/support/eleven_bodies.rs"]
pub mod eleven_bodies;
#[path = "../../src-tauri/core/tests/support/tavus_fake.rs"]
pub mod tavus_fake;

/// Keys shaped unlike real ones, so the log scrubber cannot hide a leak from the canary.
pub const TAVUS_KEY: &str = "e2e-canary-TAVUS-7f3a9c1d2b";
pub const ELEVEN_KEY: &str = "e2e-canary-ELEVEN-5e8b0a4c6d";

pub struct Fakes {
    pub tavus: MockServer,
    pub elevenlabs: MockServer,
    pub tavus_state: tavus_fake::TavusFake,
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
        let tavus_state = tavus_fake::TavusFake::new(TAVUS_KEY)
            .with_conversation_id(CONVERSATION_ID)
            .mount(&tavus)
            .await;
        tavus_state.set_room_url(room_url);
        let elevenlabs = MockServer::start().await;
        for (route, body) in [
            ("/v1/models", eleven_models()),
            ("/v2/voices", eleven_voices()),
        ] {
            Mock::given(method("GET"))
                .and(path(route))
                .and(header("xi-api-key", ELEVEN_KEY))
                .respond_with(ResponseTemplate::new(200).set_body_json(body))
                .with_priority(1)
                .mount(&elevenlabs)
                .await;
            Mock::given(method("GET"))
                .and(path(route))
                .respond_with(
                    ResponseTemplate::new(401)
                        .set_body_json(eleven_bodies::error("invalid_api_key", "Invalid API key")),
                )
                .with_priority(2)
                .mount(&elevenlabs)
                .await;
            Mock::given(path(route))
                .respond_with(ResponseTemplate::new(405).insert_header("allow", "GET"))
                .with_priority(3)
                .mount(&elevenlabs)
                .await;
        }
        Mock::given(wiremock::matchers::any())
            .respond_with(ResponseTemplate::new(404))
            .with_priority(10)
            .mount(&elevenlabs)
            .await;
        Fakes {
            tavus,
            elevenlabs,
            tavus_state,
        }
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

/// `GET /v1/models`, as the OpenAPI file shapes it.
pub fn eleven_models() -> serde_json::Value {
    eleven_bodies::models()
}

/// `GET /v2/voices`: one page holding every voice of both of the fixture's pages.
pub fn eleven_voices() -> serde_json::Value {
    let mut first = eleven_bodies::voices_page(None);
    let second = eleven_bodies::voices_page(Some(eleven_bodies::SECOND_VOICE_PAGE));
    let more = second["voices"].as_array().cloned().unwrap_or_default();
    first["voices"].as_array_mut().unwrap().extend(more);
    first["has_more"] = json!(false);
    first["next_page_token"] = json!(null);
    first
}
