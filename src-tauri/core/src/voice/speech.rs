//! What a speech request may say, and how long it may be for the chosen model.

use serde::{Deserialize, Serialize};

use super::exercises;
use crate::error::{Error, Result};
use crate::gateway::elevenlabs::Model;
use crate::policy::text::{sanitize, Field};

/// The sentence a voice preview speaks.
pub const PREVIEW_TEXT: &str =
    "Hello. I'm here with you. Take a slow breath, and we'll begin whenever you're ready.";

/// Per-request character limits from the contract, used when `/v1/models` gives none.
const FALLBACK_LIMITS: &[(&str, usize)] = &[
    ("eleven_flash_v2_5", 40_000),
    ("eleven_turbo_v2_5", 40_000),
    ("eleven_multilingual_v2", 10_000),
    ("eleven_v3", 3_000),
];
/// Typed text longer than this (in bytes) is refused before anything else happens: no
/// model takes more than 40,000 characters, and a character is at most four bytes.
const MAX_TYPED_BYTES: usize = 160_000;
/// For a model neither source knows: the smallest published limit.
const UNKNOWN_MODEL_LIMIT: usize = 3_000;

/// What the page asks to hear. Free text is only ever what the person typed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SpeechText {
    ExerciseStep { exercise: String, step: usize },
    Preview {},
    Typed { text: String },
}

impl SpeechText {
    pub fn from_json(value: serde_json::Value) -> Result<Self> {
        let text: Self = serde_json::from_value(value).map_err(|_| {
            Error::invalid_input("That speech request is not in the expected shape.")
        })?;
        // Before any keychain read or model lookup: no model takes more than this.
        if let SpeechText::Typed { text } = &text {
            if text.len() > MAX_TYPED_BYTES {
                return Err(Error::invalid_input(
                    "That is longer than any voice model takes in one go.",
                ));
            }
        }
        Ok(text)
    }

    /// Whether resolving needs the model's live limit (only typed text can be long).
    pub fn needs_limit(&self) -> bool {
        matches!(self, SpeechText::Typed { .. })
    }

    /// The text to send, checked against `limit` characters.
    pub fn resolve(&self, limit: usize) -> Result<String> {
        let text = match self {
            SpeechText::ExerciseStep { exercise, step } => exercises::find(exercise)
                .and_then(|e| e.steps.get(*step))
                .map(|s| s.say.to_string())
                .ok_or_else(|| Error::invalid_input("That exercise step does not exist."))?,
            SpeechText::Preview {} => PREVIEW_TEXT.to_string(),
            SpeechText::Typed { text } => sanitize(
                Field {
                    label: "the text to speak",
                    max_chars: limit,
                },
                text,
            )?,
        };
        if text.is_empty() {
            return Err(Error::invalid_input("There is nothing to speak."));
        }
        if text.chars().count() > limit {
            return Err(Error::invalid_input(format!(
                "That is longer than the voice model takes in one go ({limit} characters)."
            )));
        }
        Ok(text)
    }
}

/// The per-request limit for `model_id`: the live value when `/v1/models` has one (the
/// free-tier value, which holds on every plan), else the contract's table.
pub fn character_limit(model_id: &str, live: Option<&[Model]>) -> usize {
    let from_live = live
        .and_then(|models| models.iter().find(|m| m.model_id == model_id))
        .and_then(Model::request_limit)
        .and_then(|n| usize::try_from(n).ok())
        .filter(|n| *n > 0);
    from_live.unwrap_or_else(|| {
        FALLBACK_LIMITS
            .iter()
            .find(|(id, _)| *id == model_id)
            .map(|(_, n)| *n)
            .unwrap_or(UNKNOWN_MODEL_LIMIT)
    })
}

/// The account's speech quota, for settings and before an exercise plays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export, optional_fields)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    pub tier: String,
    pub used: u64,
    pub limit: u64,
    pub remaining: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resets_at: Option<i64>,
}

/// How a speech request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct SpeechDone {
    pub bytes: u64,
    pub stopped: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    fn model(id: &str, free: Option<u64>) -> Model {
        Model {
            model_id: id.into(),
            name: id.into(),
            can_do_text_to_speech: true,
            max_characters_request_free_user: free,
            max_characters_request_subscribed_user: Some(99_999),
            maximum_text_length_per_request: None,
        }
    }

    #[test]
    fn live_limits_win_and_the_table_is_the_fallback() {
        let live = [model("eleven_multilingual_v2", Some(2_500))];
        assert_eq!(
            character_limit("eleven_multilingual_v2", Some(&live)),
            2_500
        );
        assert_eq!(character_limit("eleven_multilingual_v2", None), 10_000);
        assert_eq!(character_limit("eleven_v3", Some(&live)), 3_000);
        assert_eq!(character_limit("eleven_flash_v2_5", None), 40_000);
        assert_eq!(character_limit("something_new", None), UNKNOWN_MODEL_LIMIT);
        let no_free = [model("m", None)];
        assert_eq!(character_limit("m", Some(&no_free)), 99_999);
    }

    #[test]
    fn only_our_scripts_and_typed_text_are_spoken() {
        let step = SpeechText::from_json(
            serde_json::json!({"kind": "exercise_step", "exercise": "box-breathing", "step": 1}),
        )
        .unwrap();
        assert!(step.resolve(3_000).unwrap().starts_with("Breathe in"));
        let preview = SpeechText::from_json(serde_json::json!({"kind": "preview"})).unwrap();
        assert_eq!(preview.resolve(3_000).unwrap(), PREVIEW_TEXT);
        for bad in [
            serde_json::json!({"kind": "exercise_step", "exercise": "box-breathing", "step": 99}),
            serde_json::json!({"kind": "exercise_step", "exercise": "../etc", "step": 0}),
        ] {
            let err = SpeechText::from_json(bad)
                .unwrap()
                .resolve(3_000)
                .unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidInput);
        }
        for bad in [
            serde_json::json!({"kind": "script", "text": "anything"}),
            serde_json::json!({"kind": "preview", "text": "smuggled"}),
            serde_json::json!({"kind": "typed"}),
        ] {
            assert!(SpeechText::from_json(bad).is_err());
        }
    }

    #[test]
    fn typed_text_is_sanitised_and_held_to_the_limit() {
        let typed = SpeechText::Typed {
            text: "  I am\u{202E} safe\u{7}  ".into(),
        };
        assert_eq!(typed.resolve(100).unwrap(), "I am safe");
        let long = SpeechText::Typed {
            text: "a".repeat(101),
        };
        assert_eq!(long.resolve(100).unwrap_err().code, ErrorCode::InvalidInput);
        let empty = SpeechText::Typed {
            text: " \n ".into(),
        };
        assert_eq!(
            empty.resolve(100).unwrap_err().code,
            ErrorCode::InvalidInput
        );
    }

    #[test]
    fn a_step_longer_than_a_tiny_limit_is_refused_not_cut() {
        let step = SpeechText::ExerciseStep {
            exercise: "body-scan".into(),
            step: 0,
        };
        assert_eq!(step.resolve(10).unwrap_err().code, ErrorCode::InvalidInput);
    }
}
