//! Voice-only conversations with the person's ElevenLabs agent: the core gets a signed URL,
//! opens the agent websocket itself and relays audio both ways. One at a time, never beside
//! a video session, ended by Stop, the time cap, closing the window or quitting. Only that
//! it happened and how long it lasted go into the audit log; no audio, no words.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::video::SESSION_MINUTES;
use super::{now, Service};
use crate::agent::{AgentEvent, AgentRelay, AgentUrlPolicy, RelayLimits};
use crate::error::{Error, ErrorCode, Result};
use crate::gateway::elevenlabs::ElevenLabs;
use crate::policy::budget::Spend;
use crate::privacy::audit::AuditEvent;
use crate::provider::Provider;
use crate::vault::SecretStore;

#[derive(Default)]
pub(super) struct VoiceSlot {
    running: Mutex<Option<Running>>,
}

struct Running {
    relay: AgentRelay,
    started: Instant,
    ends_at: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VoiceStartRequest {
    pub minutes: u32,
}

impl VoiceStartRequest {
    pub fn from_json(value: serde_json::Value) -> Result<Self> {
        serde_json::from_value(value)
            .map_err(|_| Error::invalid_input("That session request is not in the expected shape."))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct VoiceSession {
    /// Seconds since the Unix epoch when the core will end it.
    pub ends_at: u64,
}

impl<S: SecretStore> Service<S> {
    /// Starts a voice conversation; `on_event` receives everything the agent sends, ending
    /// with exactly one `ended` or `failed` event.
    pub async fn start_voice(
        &self,
        request: VoiceStartRequest,
        on_event: impl Fn(AgentEvent) + Send + Sync + 'static,
    ) -> Result<VoiceSession> {
        self.require_consent()?;
        self.refuse_during_video()?;
        if !SESSION_MINUTES.contains(&request.minutes) {
            return Err(Error::invalid_input(
                "Choose a session of 15, 30, 45 or 60 minutes.",
            ));
        }
        if self.active_session().is_some() || self.voice_session_running() {
            return Err(Error::not_allowed(
                "A session is already running. End it before starting another.",
            ));
        }
        self.require_verified(Provider::ElevenLabs)?;
        self.spend(Spend::VoiceMinutes, request.minutes)?;
        let agent = self
            .state()
            .settings
            .elevenlabs_agent_id
            .clone()
            .ok_or_else(|| {
                Error::invalid_input("Add your ElevenLabs agent id in Settings first.")
            })?;
        let key = self.vault.key(Provider::ElevenLabs)?;
        let signed = ElevenLabs::new(&self.gateway, &key)
            .agent_signed_url(&agent)
            .await
            .map_err(signed_url_error)?;
        let limits = RelayLimits {
            max_session: Duration::from_secs(u64::from(request.minutes) * 60),
            ..RelayLimits::default()
        };
        let policy = AgentUrlPolicy::for_endpoints(self.gateway.endpoints());
        let relay = AgentRelay::connect(signed, &policy, limits, on_event).await?;
        let ends_at = now() + u64::from(request.minutes) * 60;
        *self.voice_slot() = Some(Running {
            relay,
            started: Instant::now(),
            ends_at,
        });
        self.record(AuditEvent::VoiceSessionStarted);
        Ok(VoiceSession { ends_at })
    }

    /// One microphone frame (16 kHz, 16-bit little-endian mono PCM) for the agent.
    pub fn send_voice_audio(&self, pcm: &[u8]) -> Result<()> {
        self.refuse_during_video()?;
        match self.voice_slot().as_ref() {
            Some(running) => running.relay.send_audio(pcm),
            None => Err(Error::new(
                ErrorCode::NotFound,
                "No voice session is running.",
            )),
        }
    }

    /// Ends the voice session, if one runs (or has just ended by itself), and records it.
    pub async fn end_voice(&self, how: &str) {
        let Some(running) = self.voice_slot().take() else {
            return;
        };
        running.relay.stop().await;
        self.record(AuditEvent::VoiceSessionEnded {
            seconds: running.started.elapsed().as_secs(),
            how: how.into(),
        });
    }

    pub fn voice_session_running(&self) -> bool {
        self.voice_slot()
            .as_ref()
            .is_some_and(|running| running.relay.is_running())
    }

    /// What is running, in the terms of the camera and microphone rule
    /// ([`crate::media::decide`]): every platform's permission handler asks this.
    pub fn media_state(&self) -> crate::media::Running {
        if self.voice_session_running() {
            return crate::media::Running::Voice;
        }
        match self.active_session() {
            Some(active) => crate::media::Running::Video {
                room: active.room_url,
            },
            None => crate::media::Running::Nothing,
        }
    }

    /// When the running voice session will be ended by the core, if one runs.
    pub fn voice_session_ends_at(&self) -> Option<u64> {
        self.voice_slot().as_ref().map(|running| running.ends_at)
    }

    fn voice_slot(&self) -> std::sync::MutexGuard<'_, Option<Running>> {
        self.voice_session
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }
}

/// What a refused signed-URL request means for the person: each documented refusal says
/// what happened, not only "unknown agent".
fn signed_url_error(error: Error) -> Error {
    let message = match error.code {
        ErrorCode::NotFound => {
            "ElevenLabs does not know that agent id. Check it under Settings, Voice conversation."
        }
        ErrorCode::KeyLacksPermission => {
            "Your ElevenLabs key is not allowed to start conversations with that agent. Give the key the Agents (Conversational AI) permission, and use an agent of the same account."
        }
        ErrorCode::UpstreamRejected => {
            "ElevenLabs refused the request for a conversation as malformed. Check the agent id under Settings; if it is right, update Serene."
        }
        ErrorCode::OutOfCredits => {
            "Your ElevenLabs account has no quota left for voice conversations. You can add more in your ElevenLabs account."
        }
        _ => return error,
    };
    Error {
        message: message.into(),
        ..error
    }
}
