//! Face-to-face sessions with a Tavus replica: start (journaled before the room is shown),
//! end on every path, status polling, stuck-session cleanup and a free setup check.

use serde::{Deserialize, Serialize};
use url::Url;

use super::{code_name, now, JournalEntry, Service};
use crate::error::{Error, ErrorCode, Result};
use crate::gateway::tavus::{
    ConversationProperties, ConversationStatus, CreateConversation, Ended, Tavus,
};
use crate::policy::budget::Spend;
use crate::policy::text::{sanitize, Field};
use crate::privacy::audit::AuditEvent;
use crate::provider::Provider;
use crate::session::room_url;
use crate::vault::SecretStore;

pub const SESSION_MINUTES: [u32; 4] = [15, 30, 45, 60];
pub const TOPIC: Field = Field {
    label: "what you'd like to talk about",
    max_chars: 2000,
};
const GREETING: &str =
    "Hello, I'm glad you're here. Take your time, and tell me whatever feels right to start with.";
/// Tavus ends the call this long after the person leaves, or if nobody joins.
const LEFT_TIMEOUT: u32 = 30;
const ABSENT_TIMEOUT: u32 = 120;

#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StartRequest {
    #[serde(default)]
    pub topic: String,
    pub minutes: u32,
    #[serde(default)]
    pub captions: bool,
}

impl StartRequest {
    pub fn from_json(value: serde_json::Value) -> Result<Self> {
        serde_json::from_value(value)
            .map_err(|_| Error::invalid_input("That session request is not in the expected shape."))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export, optional_fields)]
#[serde(rename_all = "camelCase")]
pub struct StartedSession {
    /// The page shows the room by this id (`show_room`): the room URL, which carries the
    /// meeting token, never leaves the core.
    pub conversation_id: String,
    pub started_at: u64,
    pub ends_at: u64,
}

/// The session in progress, kept in memory so the shell can end it on quit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveSession {
    pub conversation_id: String,
    pub room_url: Url,
    pub started_at: u64,
    pub ends_at: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    EndedByPerson,
    TimeUp,
    WindowClosed,
    AppQuit,
    EndedByTavus,
    RoomRefused,
    StartupCleanup,
    StuckCleanup,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export, optional_fields)]
#[serde(rename_all = "camelCase")]
pub struct SessionStatus {
    pub ended: bool,
}

/// `SERENE_TEST_ROOM_ORIGIN`, in e2e builds only: one loopback origin the room may use.
pub(super) fn test_room_origin() -> Option<Url> {
    #[cfg(feature = "e2e")]
    {
        let raw = std::env::var("SERENE_TEST_ROOM_ORIGIN").ok()?;
        let url = Url::parse(&raw).ok()?;
        let loopback = matches!(url.host(), Some(url::Host::Ipv4(ip)) if ip.is_loopback());
        (url.scheme() == "http" && loopback && url.port().is_some()).then_some(url)
    }
    #[cfg(not(feature = "e2e"))]
    None
}

impl<S: SecretStore> Service<S> {
    /// Creates a conversation and returns its validated room. The conversation id is
    /// journaled before anything can show the room, so it is ended even after a crash.
    pub async fn start_video(&self, request: StartRequest) -> Result<StartedSession> {
        self.require_consent()?;
        if !SESSION_MINUTES.contains(&request.minutes) {
            return Err(Error::invalid_input(
                "Choose a session of 15, 30, 45 or 60 minutes.",
            ));
        }
        let settings = self.state().settings.clone();
        let topic = sanitize(TOPIC, &request.topic)?;
        if settings.tavus_replica_id.is_none() && settings.tavus_persona_id.is_none() {
            return Err(Error::invalid_input(
                "Choose your therapist (a Tavus replica or persona) in Settings first.",
            ));
        }
        if self.active_session().is_some() {
            return Err(Error::not_allowed(
                "A session is already running. End it before starting another.",
            ));
        }
        if self.deletion_pending().is_some_and(|left| left > 0) {
            return Err(Error::not_allowed(
                "\"Delete everything\" has not finished. Finish it in Privacy before starting a session.",
            ));
        }
        if self.voice_session_running() {
            return Err(Error::not_allowed(
                "A voice session is running. End it before starting another.",
            ));
        }
        if let Err(error) = self.session_starts.try_acquire(std::time::Instant::now()) {
            self.record(AuditEvent::LimitRefused {
                limit: "conversation_starts".into(),
            });
            return Err(error);
        }
        self.require_verified(Provider::Tavus)?;
        self.spend(Spend::VideoMinutes, request.minutes)?;
        let key = self.vault.key(Provider::Tavus)?;
        let tavus = Tavus::new(&self.gateway, &key);
        let minutes = request.minutes.min(60);
        let create = CreateConversation {
            replica_id: settings.tavus_replica_id.clone(),
            persona_id: settings.tavus_persona_id.clone(),
            conversation_name: Some("Serene session".into()),
            conversational_context: (!settings.anonymous_sessions && !topic.is_empty())
                .then_some(topic),
            custom_greeting: Some(GREETING.into()),
            test_mode: None,
            properties: Some(ConversationProperties {
                max_call_duration: Some((minutes * 60).min(3600)),
                participant_left_timeout: Some(LEFT_TIMEOUT),
                participant_absent_timeout: Some(ABSENT_TIMEOUT),
                enable_recording: Some(false),
                enable_closed_captions: Some(request.captions),
                language: Some(settings.session_language.clone()),
            }),
        };
        let conversation = tavus.create_conversation(&create).await?;
        let id = conversation.conversation_id.clone();
        let started_at = now();
        if crate::gateway::ids::check_id("conversation", &id).is_err() {
            tracing::warn!("Tavus returned a conversation id of an unexpected shape");
            return Err(Error::new(
                ErrorCode::UpstreamUnexpected,
                "Tavus sent an answer Serene couldn't use. Please try again.",
            ));
        }
        self.journal_add(JournalEntry {
            conversation_id: id.clone(),
            started_at,
            ended_at: None,
        })?;
        let raw = conversation.conversation_url.unwrap_or_default();
        let room = match room_url::validate(&raw, self.test_room_origin.as_ref()) {
            Ok(room) => room,
            Err(refusal) => {
                // Never log the URL itself: it may carry a meeting token.
                tracing::warn!(?refusal, "room URL refused; ending the conversation");
                let _ = self.end_video(&id, EndReason::RoomRefused).await;
                return Err(Error::new(
                    ErrorCode::RoomRefused,
                    "Tavus sent a room address Serene doesn't trust, so the session was ended before anything opened. Please try again later.",
                ));
            }
        };
        let ends_at = started_at + u64::from(minutes) * 60;
        // No audio stream to the page while the room runs (see `refuse_during_video`).
        self.stop_speech();
        *self.active.lock().unwrap_or_else(|p| p.into_inner()) = Some(ActiveSession {
            conversation_id: id.clone(),
            room_url: room.clone(),
            started_at,
            ends_at,
        });
        self.record(AuditEvent::SessionStarted {
            conversation_id: id.clone(),
        });
        Ok(StartedSession {
            conversation_id: id,
            started_at,
            ends_at,
        })
    }

    /// While a video session runs, the page gets no channel stream (speech, a voice
    /// conversation): Tauri lets any window fetch a channel's data by id, so nothing
    /// streams while a room page runs beside the main one.
    pub fn refuse_during_video(&self) -> Result<()> {
        if self.active_session().is_some() {
            return Err(Error::new(
                ErrorCode::SessionInProgress,
                "A face-to-face session is running. Speech and voice conversations wait until it ends.",
            ));
        }
        Ok(())
    }

    pub fn active_session(&self) -> Option<ActiveSession> {
        self.active
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Ends a journaled conversation on Tavus. Only an end Tavus confirmed (or an id it no
    /// longer knows) marks it ended; otherwise it stays journaled, to be ended at the next
    /// start. With "delete ended sessions" on, it is then hard-deleted on Tavus.
    pub async fn end_video(&self, conversation_id: &str, reason: EndReason) -> Result<()> {
        crate::gateway::ids::check_id("conversation", conversation_id)?;
        let journaled = self
            .open_sessions()
            .into_iter()
            .find(|e| e.conversation_id == conversation_id);
        let Some(entry) = journaled else {
            return Err(Error::not_allowed(
                "That session is not one Serene started.",
            ));
        };
        // Whatever Tavus answers, the person asked for the room to go.
        self.close_room_app_window_of(conversation_id).await;
        let key = self.vault.key(Provider::Tavus)?;
        let ended = match Tavus::new(&self.gateway, &key)
            .end_conversation(conversation_id)
            .await
        {
            Ok(ended) => ended,
            Err(error) => {
                tracing::warn!(code = ?error.code, "could not end a conversation; it stays journaled");
                return Err(error);
            }
        };
        self.forget_session(&entry, reason);
        match ended {
            Ended::Gone => self.journal_forget(conversation_id),
            Ended::Ended => self.delete_if_ephemeral(conversation_id).await,
        }
        Ok(())
    }

    /// Hard-deletes an ended conversation on Tavus when the setting asks for it. A failure
    /// keeps it journaled; `end_journaled` tries again at the next start.
    async fn delete_if_ephemeral(&self, conversation_id: &str) {
        if !self.state().settings.delete_ended_sessions {
            return;
        }
        let Ok(key) = self.vault.key(Provider::Tavus) else {
            return;
        };
        match Tavus::new(&self.gateway, &key)
            .delete_conversation(conversation_id)
            .await
        {
            Ok(()) => self.journal_forget(conversation_id),
            Err(error) => {
                tracing::warn!(code = ?error.code, "ended conversation not deleted yet; kept to retry");
            }
        }
    }

    fn forget_session(&self, entry: &JournalEntry, reason: EndReason) {
        if let Err(error) = self.journal_mark_ended(&entry.conversation_id) {
            tracing::warn!(code = ?error.code, "journal not updated");
        }
        let mut active = self.active.lock().unwrap_or_else(|p| p.into_inner());
        if active
            .as_ref()
            .is_some_and(|a| a.conversation_id == entry.conversation_id)
        {
            *active = None;
        }
        drop(active);
        self.record(AuditEvent::SessionEnded {
            conversation_id: entry.conversation_id.clone(),
            seconds: now().saturating_sub(entry.started_at),
            how: code_name(reason),
        });
    }

    /// Ends the running session, if any (window closed, app quitting, timer).
    pub async fn end_active(&self, reason: EndReason) -> Result<()> {
        match self.active_session() {
            Some(active) => self.end_video(&active.conversation_id, reason).await,
            None => Ok(()),
        }
    }

    /// Asks Tavus whether the conversation is still live; if it has ended (the person left
    /// the room and its timeouts fired), forgets it locally.
    pub async fn video_status(&self, conversation_id: &str) -> Result<SessionStatus> {
        crate::gateway::ids::check_id("conversation", conversation_id)?;
        let Some(entry) = self
            .open_sessions()
            .into_iter()
            .find(|e| e.conversation_id == conversation_id)
        else {
            return Ok(SessionStatus { ended: true });
        };
        let key = self.vault.key(Provider::Tavus)?;
        let ended = match Tavus::new(&self.gateway, &key)
            .get_conversation(conversation_id)
            .await
        {
            Ok(conversation) if conversation.status.as_deref() == Some("ended") => {
                Some(Ended::Ended)
            }
            Ok(_) => None,
            // Tavus's invalid-id answer means what it means on every call: nothing is left.
            Err(error) if error.code == ErrorCode::NotFound => Some(Ended::Gone),
            Err(error) => return Err(error),
        };
        match ended {
            Some(how) => {
                self.forget_session(&entry, EndReason::EndedByTavus);
                self.close_room_app_window_of(conversation_id).await;
                match how {
                    Ended::Gone => self.journal_forget(conversation_id),
                    Ended::Ended => self.delete_if_ephemeral(conversation_id).await,
                }
                Ok(SessionStatus { ended: true })
            }
            None => Ok(SessionStatus { ended: false }),
        }
    }

    /// Ends every journaled conversation: at start-up, after a crash or `kill -9`. With
    /// "delete ended sessions" on, it also retries deleting ended ones that were not.
    pub async fn end_journaled(&self, reason: EndReason) -> usize {
        let mut ended = 0;
        for entry in self.open_sessions() {
            if self.end_video(&entry.conversation_id, reason).await.is_ok() {
                ended += 1;
            }
        }
        let left_on_tavus: Vec<String> = self
            .journal()
            .into_iter()
            .filter(|e| e.ended_at.is_some())
            .map(|e| e.conversation_id)
            .collect();
        for id in left_on_tavus {
            self.delete_if_ephemeral(&id).await;
        }
        ended
    }

    /// This install's conversations that Tavus still lists as active.
    pub async fn stuck_sessions(&self) -> Result<Vec<String>> {
        let journal = self.open_sessions();
        if journal.is_empty() {
            return Ok(Vec::new());
        }
        let key = self.vault.key(Provider::Tavus)?;
        let active = Tavus::new(&self.gateway, &key)
            .list_conversations(Some(ConversationStatus::Active), 1, 100)
            .await?;
        Ok(active
            .data
            .into_iter()
            .map(|c| c.conversation_id)
            .filter(|id| journal.iter().any(|e| &e.conversation_id == id))
            .collect())
    }

    pub async fn end_stuck_sessions(&self) -> Result<usize> {
        let mut ended = 0;
        for id in self.stuck_sessions().await? {
            self.end_video(&id, EndReason::StuckCleanup).await?;
            ended += 1;
        }
        Ok(ended)
    }

    /// A free check (`test_mode`: no cost, no concurrency slot, the replica never joins)
    /// that the chosen replica and persona work.
    pub async fn check_video_setup(&self) -> Result<String> {
        let settings = self.state().settings.clone();
        if settings.tavus_replica_id.is_none() && settings.tavus_persona_id.is_none() {
            return Err(Error::invalid_input(
                "Choose your therapist (a Tavus replica or persona) in Settings first.",
            ));
        }
        let key = self.vault.key(Provider::Tavus)?;
        let create = CreateConversation {
            replica_id: settings.tavus_replica_id,
            persona_id: settings.tavus_persona_id,
            conversation_name: Some("Serene setup check".into()),
            test_mode: Some(true),
            ..Default::default()
        };
        Tavus::new(&self.gateway, &key)
            .create_conversation(&create)
            .await
            .map_err(|mut error| {
                if matches!(error.code, ErrorCode::NotFound | ErrorCode::UpstreamRejected) {
                    error.message = "Tavus didn't accept the chosen replica or persona. Pick them again in Settings.".into();
                }
                error
            })?;
        Ok("Your Tavus setup works: the replica and persona were accepted.".into())
    }
}
