//! Typed ElevenLabs client, from `shared/contracts/elevenlabs.md` and its OpenAPI file.

use reqwest::{Method, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::ids::check_id;
use super::{Call, Gateway};
use crate::error::Result;
use crate::provider::Provider;
use crate::sensitive::Sensitive;

const P: Provider = Provider::ElevenLabs;

pub const DEFAULT_MODEL: &str = "eleven_multilingual_v2";
pub const OUTPUT_FORMAT: &str = "mp3_44100_128";

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct Voice {
    pub voice_id: String,
    pub name: String,
    #[serde(default)]
    pub category: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct Voices {
    pub voices: Vec<Voice>,
    #[serde(default)]
    pub has_more: bool,
    #[serde(default)]
    pub total_count: u64,
    #[serde(default)]
    pub next_page_token: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct Model {
    pub model_id: String,
    pub name: String,
    #[serde(default)]
    pub can_do_text_to_speech: bool,
    #[serde(default)]
    pub max_characters_request_free_user: Option<u64>,
    #[serde(default)]
    pub max_characters_request_subscribed_user: Option<u64>,
    #[serde(default)]
    pub maximum_text_length_per_request: Option<u64>,
}

impl Model {
    /// The per-request character limit this model states: the free-tier value (it holds
    /// on every plan), else the subscribed one, else its general maximum.
    pub fn request_limit(&self) -> Option<u64> {
        self.max_characters_request_free_user
            .or(self.max_characters_request_subscribed_user)
            .or(self.maximum_text_length_per_request)
            .filter(|n| *n > 0)
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct Subscription {
    pub tier: String,
    pub character_count: u64,
    pub character_limit: u64,
    #[serde(default)]
    pub next_character_count_reset_unix: Option<i64>,
    pub status: String,
}

/// `/v1/user`. Its body can contain the API key itself (`xi_api_key`): this type has no
/// field for it, so serde drops it on the floor and it can never be logged or forwarded.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct User {
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub subscription: Option<Subscription>,
}

#[derive(Deserialize)]
struct SignedUrl {
    signed_url: Sensitive<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SpeechRequest {
    pub text: String,
    pub model_id: String,
}

pub struct ElevenLabs<'a> {
    gateway: &'a Gateway,
    key: &'a Sensitive<String>,
}

impl<'a> ElevenLabs<'a> {
    pub fn new(gateway: &'a Gateway, key: &'a Sensitive<String>) -> Self {
        Self { gateway, key }
    }

    pub async fn voices(&self, page_size: u32) -> Result<Voices> {
        self.voices_page(page_size, None).await
    }

    /// One page of `GET /v2/voices`; `token` is the previous page's `next_page_token`.
    pub async fn voices_page(&self, page_size: u32, token: Option<&str>) -> Result<Voices> {
        let mut call = Call::get("elevenlabs.voices", "/v2/voices")
            .query("page_size", page_size.clamp(1, 100));
        if let Some(token) = token {
            if token.len() > 512 || !token.chars().all(|c| c.is_ascii_graphic()) {
                return Err(crate::Error::new(
                    crate::ErrorCode::UpstreamUnexpected,
                    super::upstream_error::message(P, crate::ErrorCode::UpstreamUnexpected),
                ));
            }
            call = call.query("next_page_token", token);
        }
        self.gateway.json(P, self.key, call).await
    }

    pub async fn models(&self) -> Result<Vec<Model>> {
        let call = Call::get("elevenlabs.models", "/v1/models");
        self.gateway.json(P, self.key, call).await
    }

    pub async fn subscription(&self) -> Result<Subscription> {
        let call = Call::get("elevenlabs.subscription", "/v1/user/subscription");
        self.gateway.json(P, self.key, call).await
    }

    pub async fn user(&self) -> Result<User> {
        let call = Call::get("elevenlabs.user", "/v1/user");
        self.gateway.json(P, self.key, call).await
    }

    /// A signed websocket URL for an agent session: a credential, so kept `Sensitive`.
    pub async fn agent_signed_url(&self, agent_id: &str) -> Result<Sensitive<String>> {
        let call = Call::get(
            "elevenlabs.signed_url",
            "/v1/convai/conversation/get-signed-url",
        )
        .query("agent_id", check_id("agent", agent_id)?);
        let signed: SignedUrl = self.gateway.json(P, self.key, call).await?;
        Ok(signed.signed_url)
    }

    /// Starts streamed speech; read the response chunk by chunk, drop it to cancel.
    pub async fn speech_stream(&self, voice_id: &str, request: &SpeechRequest) -> Result<Response> {
        let path = format!("/v1/text-to-speech/{}/stream", check_id("voice", voice_id)?);
        let call = Call::get("elevenlabs.speech_stream", path)
            .with_method(Method::POST)
            .query("output_format", OUTPUT_FORMAT)
            .query("enable_logging", "false")
            .json(json!({ "text": request.text, "model_id": request.model_id }));
        self.gateway.stream(P, self.key, call).await
    }

    /// The live key check: `GET /v1/models` (needs no extra permission; body not logged).
    pub async fn verify_key(&self) -> Result<()> {
        let call = Call::get("elevenlabs.verify_key", "/v1/models");
        self.gateway.empty(P, self.key, call).await.map(|_| ())
    }
}
