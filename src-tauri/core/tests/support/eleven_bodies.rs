//! ElevenLabs bodies the fakes send, written from `shared/contracts/elevenlabs-openapi.json`
//! with every required field. `tests/contract_shapes.rs` checks each against its schema;
//! the app's e2e fakes include this file too, so no fake invents a shape.
#![allow(dead_code)]

use serde_json::{json, Value};

fn model(id: &str, name: &str, tts: bool, free: u64, subscribed: u64, group: &str) -> Value {
    json!({
        "model_id": id,
        "name": name,
        "can_be_finetuned": false,
        "can_do_text_to_speech": tts,
        "can_do_voice_conversion": !tts,
        "can_use_style": tts,
        "can_use_speaker_boost": tts,
        "serves_pro_voices": false,
        "token_cost_factor": 1.0,
        "description": name,
        "requires_alpha_access": false,
        "max_characters_request_free_user": free,
        "max_characters_request_subscribed_user": subscribed,
        "maximum_text_length_per_request": subscribed,
        "languages": [{"language_id": "en", "name": "English"}],
        "model_rates": {"character_cost_multiplier": 1.0},
        "concurrency_group": group
    })
}

/// `GET /v1/models`: a bare array. Limits as the contract lists them (Aug 2025 docs);
/// one model that cannot speak, which a speech picker must leave out.
pub fn models() -> Value {
    json!([
        model(
            "eleven_multilingual_v2",
            "Eleven Multilingual v2",
            true,
            10_000,
            10_000,
            "standard"
        ),
        model(
            "eleven_flash_v2_5",
            "Eleven Flash v2.5",
            true,
            40_000,
            40_000,
            "turbo"
        ),
        model("eleven_v3", "Eleven v3", true, 3_000, 3_000, "standard"),
        model(
            "eleven_multilingual_sts_v2",
            "Eleven Multilingual v2 (speech to speech)",
            false,
            10_000,
            10_000,
            "standard"
        ),
    ])
}

pub fn voice(id: &str, name: &str) -> Value {
    json!({
        "voice_id": id,
        "name": name,
        "category": "premade",
        "labels": {"accent": "american"},
        "available_for_tiers": [],
        "high_quality_base_model_ids": ["eleven_multilingual_v2"]
    })
}

/// `GET /v2/voices`, in two pages: the first names the token of the second.
pub const SECOND_VOICE_PAGE: &str = "page2token";

pub fn voices_page(token: Option<&str>) -> Value {
    match token {
        None => json!({
            "voices": [voice("21m00Tcm4TlvDq8ikWAM", "Rachel"), voice("AZnzlk1XvdvUeBnXmlld", "Domi")],
            "has_more": true,
            "total_count": 3,
            "next_page_token": SECOND_VOICE_PAGE
        }),
        Some(_) => json!({
            "voices": [voice("EXAVITQu4vr4xnSDxMaL", "Bella")],
            "has_more": false,
            "total_count": 3,
            "next_page_token": null
        }),
    }
}

/// `GET /v1/user/subscription`.
pub fn subscription(character_count: u64) -> Value {
    json!({
        "tier": "starter",
        "character_count": character_count,
        "character_limit": 30000,
        "max_character_limit_extension": null,
        "can_extend_character_limit": false,
        "allowed_to_extend_character_limit": false,
        "next_character_count_reset_unix": 1798761600,
        "voice_slots_used": 0,
        "professional_voice_slots_used": 0,
        "voice_limit": 10,
        "voice_add_edit_counter": 0,
        "professional_voice_limit": 0,
        "can_extend_voice_limit": false,
        "can_use_instant_voice_cloning": true,
        "can_use_professional_voice_cloning": false,
        "status": "active",
        "has_open_invoices": false
    })
}

/// `GET /v1/convai/conversation/get-signed-url`.
pub fn signed_url(url: &str) -> Value {
    json!({ "signed_url": url })
}

/// The contract's error bodies (`detail.status`, with a message).
pub fn error(status: &str, message: &str) -> Value {
    json!({"detail": {"status": status, "message": message}})
}

/// A 422 as the OpenAPI file declares it (`HTTPValidationError`).
pub fn validation_error(field: &str) -> Value {
    json!({"detail": [{"loc": ["body", field], "msg": "Field required", "type": "missing"}]})
}
