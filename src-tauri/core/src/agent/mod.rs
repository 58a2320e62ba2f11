//! A live voice conversation with an ElevenLabs agent, relayed between the UI and the
//! agent websocket (`shared/contracts/elevenlabs.md`, Agents websocket).
//!
//! The shell gets a signed URL from the gateway, opens an [`AgentRelay`], forwards
//! microphone frames with [`AgentRelay::send_audio`] and passes each [`AgentEvent`] on to
//! the UI. Every session ends with exactly one `Ended` or `Failed` event. Nothing is stored,
//! and audio and transcripts are never logged.

mod protocol;
mod relay;
mod task;
mod url;

use std::fmt;
use std::time::Duration;

use serde::Serialize;

pub use protocol::MAX_TEXT_CHARS;
pub use relay::{AgentRelay, MAX_FRAME_BYTES};
pub use url::{AgentUrlPolicy, AGENT_HOSTS};

/// What the relay reports, in the order it happened.
#[derive(Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
#[serde(
    tag = "kind",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
pub enum AgentEvent {
    Started {
        conversation_id: String,
        agent_output_format: String,
        user_input_format: String,
    },
    /// The agent's audio, base64 as received, in `agent_output_format`.
    AgentAudio {
        pcm_base64: String,
        event_id: Option<u64>,
    },
    UserTranscript {
        text: String,
    },
    AgentResponse {
        text: String,
    },
    AgentCorrection {
        text: String,
    },
    /// The person spoke over the agent: stop playing its queued audio, and drop any that
    /// arrives with an `event_id` below this one (the core already drops those it sees).
    Interruption {
        event_id: Option<u64>,
    },
    /// ElevenLabs reported an error in the conversation; the session may still go on.
    AgentError {
        error: crate::Error,
    },
    Ended {
        how: EndHow,
    },
    Failed {
        error: crate::Error,
    },
}

impl AgentEvent {
    pub fn is_terminal(&self) -> bool {
        matches!(self, AgentEvent::Ended { .. } | AgentEvent::Failed { .. })
    }
}

// By hand, so that a stray `{:?}` can never put audio or what someone said into a log.
impl fmt::Debug for AgentEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AgentEvent::Started {
                agent_output_format,
                user_input_format,
                ..
            } => f
                .debug_struct("Started")
                .field("agent_output_format", agent_output_format)
                .field("user_input_format", user_input_format)
                .finish_non_exhaustive(),
            AgentEvent::AgentAudio {
                pcm_base64,
                event_id,
            } => f
                .debug_struct("AgentAudio")
                .field("base64_len", &pcm_base64.len())
                .field("event_id", event_id)
                .finish(),
            AgentEvent::UserTranscript { text } => redacted_text(f, "UserTranscript", text),
            AgentEvent::AgentResponse { text } => redacted_text(f, "AgentResponse", text),
            AgentEvent::AgentCorrection { text } => redacted_text(f, "AgentCorrection", text),
            AgentEvent::Interruption { event_id } => f
                .debug_struct("Interruption")
                .field("event_id", event_id)
                .finish(),
            AgentEvent::AgentError { error } => {
                f.debug_struct("AgentError").field("error", error).finish()
            }
            AgentEvent::Ended { how } => f.debug_struct("Ended").field("how", how).finish(),
            AgentEvent::Failed { error } => f.debug_struct("Failed").field("error", error).finish(),
        }
    }
}

fn redacted_text(f: &mut fmt::Formatter<'_>, name: &str, text: &str) -> fmt::Result {
    f.debug_struct(name)
        .field("chars", &text.chars().count())
        .finish()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum EndHow {
    /// `stop()` was called or the handle was dropped.
    Stopped,
    /// The session reached `RelayLimits::max_session`.
    TimeCap,
    /// The agent closed the socket cleanly (1000, or no code).
    ClosedByAgent,
}

#[derive(Debug, Clone)]
pub struct RelayLimits {
    /// The session is closed, with `Ended { TimeCap }`, once it has lasted this long.
    pub max_session: Duration,
    /// Largest websocket message (and frame) accepted from the agent; more ends the
    /// session before it is buffered.
    pub max_message_bytes: usize,
}

impl Default for RelayLimits {
    fn default() -> Self {
        Self {
            max_session: Duration::from_secs(60 * 60),
            max_message_bytes: 1024 * 1024,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_serialise_to_the_ipc_shape() {
        let started = AgentEvent::Started {
            conversation_id: "c".into(),
            agent_output_format: "pcm_16000".into(),
            user_input_format: "pcm_16000".into(),
        };
        assert_eq!(
            serde_json::to_value(started).unwrap(),
            json!({"kind": "started", "conversationId": "c", "agentOutputFormat": "pcm_16000", "userInputFormat": "pcm_16000"})
        );
        let audio = AgentEvent::AgentAudio {
            pcm_base64: "AQI=".into(),
            event_id: Some(3),
        };
        assert_eq!(
            serde_json::to_value(audio).unwrap(),
            json!({"kind": "agent_audio", "pcmBase64": "AQI=", "eventId": 3})
        );
        let ended = AgentEvent::Ended {
            how: EndHow::TimeCap,
        };
        assert_eq!(
            serde_json::to_value(ended).unwrap(),
            json!({"kind": "ended", "how": "time_cap"})
        );
        assert_eq!(
            serde_json::to_value(AgentEvent::Interruption { event_id: Some(4) }).unwrap(),
            json!({"kind": "interruption", "eventId": 4})
        );
        let failed = AgentEvent::Failed {
            error: crate::Error::internal(),
        };
        assert_eq!(
            serde_json::to_value(failed).unwrap()["error"]["code"],
            "internal"
        );
    }

    #[test]
    fn debug_never_shows_words_or_audio() {
        let said = AgentEvent::UserTranscript {
            text: "I feel anxious".into(),
        };
        let audio = AgentEvent::AgentAudio {
            pcm_base64: "c2VjcmV0IGF1ZGlv".into(),
            event_id: None,
        };
        assert!(!format!("{said:?}").contains("anxious"));
        assert!(!format!("{audio:?}").contains("c2VjcmV0"));
    }
}
