//! The agent websocket's JSON messages (`shared/contracts/elevenlabs.md`, Agents websocket).
//!
//! Server text is parsed into typed messages and everything forwarded to the UI is
//! re-checked here: audio must be base64, text is stripped of control characters and capped.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Deserialize;
use serde_json::json;

use super::AgentEvent;

/// Longest transcript or response forwarded to the UI, in characters.
pub const MAX_TEXT_CHARS: usize = 4_000;
const MAX_ID_CHARS: usize = 128;

/// What one server message asks of the relay.
#[derive(Debug, PartialEq)]
pub(crate) enum Inbound {
    Event(AgentEvent),
    /// Answer with [`pong`] carrying the same id.
    Ping(u64),
    /// Agent audio up to (not including) this `event_id` is stale: drop it, then tell the
    /// UI, as the official SDKs do.
    Interruption(Option<u64>),
    /// A client tool the agent wants run. Serene runs none: answer with
    /// [`tool_refused`] (`is_error`), so the agent does not wait for ever.
    ToolCall(String),
    /// `vad_score`, and types this version does not know.
    Ignored,
}

/// The message did not match the contract; the relay ends the session.
#[derive(Debug, PartialEq)]
pub(crate) struct ProtocolViolation;

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ServerMessage {
    ConversationInitiationMetadata {
        conversation_initiation_metadata_event: Metadata,
    },
    Audio {
        audio_event: Audio,
    },
    UserTranscript {
        user_transcription_event: UserTranscription,
    },
    AgentResponse {
        agent_response_event: AgentResponse,
    },
    AgentResponseCorrection {
        agent_response_correction_event: AgentResponseCorrection,
    },
    Interruption {
        #[serde(default)]
        interruption_event: Option<InterruptionEvent>,
    },
    Ping {
        ping_event: Ping,
    },
    ClientToolCall {
        client_tool_call: ToolCall,
    },
    Error {
        #[serde(default)]
        error_event: Option<ErrorEvent>,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct InterruptionEvent {
    #[serde(default)]
    event_id: Option<u64>,
}

#[derive(Deserialize)]
struct ToolCall {
    tool_call_id: String,
}

/// The SDKs' in-band error: a type token and a numeric code. Its message is upstream
/// text and is never shown or logged.
#[derive(Deserialize)]
struct ErrorEvent {
    #[serde(default)]
    error_type: Option<String>,
    #[serde(default)]
    code: Option<i64>,
}

#[derive(Deserialize)]
struct Metadata {
    conversation_id: String,
    agent_output_audio_format: String,
    user_input_audio_format: String,
}

#[derive(Deserialize)]
struct Audio {
    audio_base_64: String,
    #[serde(default)]
    event_id: Option<u64>,
}

#[derive(Deserialize)]
struct UserTranscription {
    user_transcript: String,
}

#[derive(Deserialize)]
struct AgentResponse {
    agent_response: String,
}

#[derive(Deserialize)]
struct AgentResponseCorrection {
    corrected_agent_response: String,
}

#[derive(Deserialize)]
struct Ping {
    event_id: u64,
}

pub(crate) fn parse(text: &str) -> Result<Inbound, ProtocolViolation> {
    let message: ServerMessage = serde_json::from_str(text).map_err(|_| ProtocolViolation)?;
    let event = match message {
        ServerMessage::ConversationInitiationMetadata {
            conversation_initiation_metadata_event: m,
        } => AgentEvent::Started {
            conversation_id: sanitise(&m.conversation_id, MAX_ID_CHARS),
            agent_output_format: sanitise(&m.agent_output_audio_format, MAX_ID_CHARS),
            user_input_format: sanitise(&m.user_input_audio_format, MAX_ID_CHARS),
        },
        ServerMessage::Audio { audio_event } => {
            if audio_event.audio_base_64.is_empty() {
                return Ok(Inbound::Ignored);
            }
            // Decoded only to prove it is base64; the UI gets the text as received. Its
            // size is already bounded by the socket's message limit.
            STANDARD
                .decode(&audio_event.audio_base_64)
                .map_err(|_| ProtocolViolation)?;
            AgentEvent::AgentAudio {
                pcm_base64: audio_event.audio_base_64,
                event_id: audio_event.event_id,
            }
        }
        ServerMessage::UserTranscript {
            user_transcription_event: t,
        } => AgentEvent::UserTranscript {
            text: sanitise(&t.user_transcript, MAX_TEXT_CHARS),
        },
        ServerMessage::AgentResponse {
            agent_response_event: r,
        } => AgentEvent::AgentResponse {
            text: sanitise(&r.agent_response, MAX_TEXT_CHARS),
        },
        ServerMessage::AgentResponseCorrection {
            agent_response_correction_event: c,
        } => AgentEvent::AgentCorrection {
            text: sanitise(&c.corrected_agent_response, MAX_TEXT_CHARS),
        },
        ServerMessage::Interruption { interruption_event } => {
            return Ok(Inbound::Interruption(
                interruption_event.and_then(|e| e.event_id),
            ))
        }
        ServerMessage::Ping { ping_event } => return Ok(Inbound::Ping(ping_event.event_id)),
        ServerMessage::ClientToolCall { client_tool_call } => {
            if client_tool_call.tool_call_id.is_empty()
                || client_tool_call.tool_call_id.chars().count() > MAX_ID_CHARS
            {
                return Err(ProtocolViolation);
            }
            return Ok(Inbound::ToolCall(client_tool_call.tool_call_id));
        }
        ServerMessage::Error { error_event } => {
            let (kind, code) = error_event.map_or((None, None), |e| (e.error_type, e.code));
            tracing::warn!(
                error_type = kind.as_deref().map(|k| sanitise(k, 64)),
                code,
                "agent reported an error"
            );
            AgentEvent::AgentError {
                error: in_band_error(kind.as_deref().unwrap_or_default()),
            }
        }
        ServerMessage::Other => return Ok(Inbound::Ignored),
    };
    Ok(Inbound::Event(event))
}

/// An in-band error as one of our codes, with our own sentence.
fn in_band_error(kind: &str) -> crate::Error {
    use crate::error::{Error, ErrorCode};
    let kind = kind.to_ascii_lowercase();
    if kind.contains("quota") || kind.contains("credit") {
        Error::new(
            ErrorCode::OutOfCredits,
            "Your ElevenLabs account is out of credits for voice conversations. You can add more in your ElevenLabs account.",
        )
    } else if kind.contains("concurren") || kind.contains("rate") {
        Error::new(
            ErrorCode::ConcurrencyLimit,
            "Your ElevenLabs account has as many conversations running as its plan allows. Try again shortly.",
        )
    } else {
        Error::new(
            ErrorCode::UpstreamUnavailable,
            "ElevenLabs reported a problem with this conversation. If the agent stops answering, end it and start a new one.",
        )
    }
}

/// Drops control characters (keeping newlines) and caps the length in characters.
fn sanitise(text: &str, max_chars: usize) -> String {
    crate::policy::text::for_display(text, max_chars)
}

/// Sent once, right after the socket opens, as the official SDKs do; no overrides.
pub(crate) fn initiation() -> String {
    json!({ "type": "conversation_initiation_client_data" }).to_string()
}

pub(crate) fn pong(event_id: u64) -> String {
    json!({ "type": "pong", "event_id": event_id }).to_string()
}

/// The answer to every client tool call: Serene runs no client tools.
pub(crate) fn tool_refused(tool_call_id: &str) -> String {
    json!({
        "type": "client_tool_result",
        "tool_call_id": tool_call_id,
        "result": "This client runs no tools.",
        "is_error": true
    })
    .to_string()
}

pub(crate) fn user_audio(pcm: &[u8]) -> String {
    json!({ "user_audio_chunk": STANDARD.encode(pcm) }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_the_contract_messages() {
        let started = parse(
            r#"{"type":"conversation_initiation_metadata","conversation_initiation_metadata_event":
                {"conversation_id":"conv_1","agent_output_audio_format":"pcm_16000","user_input_audio_format":"pcm_16000"}}"#,
        );
        assert_eq!(
            started,
            Ok(Inbound::Event(AgentEvent::Started {
                conversation_id: "conv_1".into(),
                agent_output_format: "pcm_16000".into(),
                user_input_format: "pcm_16000".into(),
            }))
        );
        assert_eq!(
            parse(r#"{"type":"ping","ping_event":{"event_id":7,"ping_ms":50}}"#),
            Ok(Inbound::Ping(7))
        );
        assert_eq!(
            parse(r#"{"type":"interruption","interruption_event":{"event_id":3}}"#),
            Ok(Inbound::Interruption(Some(3)))
        );
        assert_eq!(
            parse(r#"{"type":"interruption"}"#),
            Ok(Inbound::Interruption(None))
        );
        assert_eq!(
            parse(
                r#"{"type":"client_tool_call","client_tool_call":{"tool_name":"x","tool_call_id":"t1","parameters":{}}}"#
            ),
            Ok(Inbound::ToolCall("t1".into()))
        );
        match parse(
            r#"{"type":"error","error_event":{"error_type":"quota_exceeded","code":1002,"message":"sk_leak"}}"#,
        ) {
            Ok(Inbound::Event(AgentEvent::AgentError { error })) => {
                assert_eq!(error.code, crate::ErrorCode::OutOfCredits);
                assert!(!error.message.contains("sk_leak"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            parse(
                r#"{"type":"agent_response_correction","agent_response_correction_event":
                    {"original_agent_response":"a b c","corrected_agent_response":"a b"}}"#
            ),
            Ok(Inbound::Event(AgentEvent::AgentCorrection {
                text: "a b".into()
            }))
        );
        assert_eq!(
            parse(
                r#"{"type":"user_transcript","user_transcription_event":{"user_transcript":"hi"}}"#
            ),
            Ok(Inbound::Event(AgentEvent::UserTranscript {
                text: "hi".into()
            }))
        );
        for ignored in [
            r#"{"type":"vad_score","vad_score_event":{"vad_score":0.9}}"#,
            r#"{"type":"something_new"}"#,
            r#"{"type":"audio","audio_event":{"audio_base_64":"","event_id":1}}"#,
        ] {
            assert_eq!(parse(ignored), Ok(Inbound::Ignored), "{ignored}");
        }
    }

    #[test]
    fn refuses_what_breaks_the_contract() {
        for bad in [
            "not json",
            r#"{"no_type":1}"#,
            r#"{"type":"ping","ping_event":{}}"#,
            r#"{"type":"audio","audio_event":{"audio_base_64":"***not base64***"}}"#,
            r#"{"type":"agent_response","agent_response_event":{"agent_response":7}}"#,
            r#"{"type":"client_tool_call","client_tool_call":{"tool_name":"x"}}"#,
        ] {
            assert_eq!(parse(bad), Err(ProtocolViolation), "{bad}");
        }
    }

    #[test]
    fn text_is_sanitised_and_capped() {
        assert_eq!(
            sanitise("a\u{0007}b\r\nc\u{200B}\u{202E}\td", 100),
            "ab\ncd",
            "controls, zero-width and bidirectional characters are removed"
        );
        let long = "é".repeat(MAX_TEXT_CHARS + 10);
        let text = parse(
            &json!({"type":"agent_response","agent_response_event":{"agent_response": long}})
                .to_string(),
        );
        match text {
            Ok(Inbound::Event(AgentEvent::AgentResponse { text })) => {
                assert_eq!(text.chars().count(), MAX_TEXT_CHARS)
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn client_messages_match_the_contract() {
        let value = |text: String| serde_json::from_str::<serde_json::Value>(&text).unwrap();
        assert_eq!(value(pong(7)), json!({"type": "pong", "event_id": 7}));
        assert_eq!(
            value(user_audio(&[1, 2, 3])),
            json!({"user_audio_chunk": "AQID"})
        );
        assert_eq!(
            value(tool_refused("t1")),
            json!({"type": "client_tool_result", "tool_call_id": "t1",
                   "result": "This client runs no tools.", "is_error": true})
        );
        assert_eq!(
            value(initiation()),
            json!({"type": "conversation_initiation_client_data"})
        );
    }
}
