//! Non-secret settings (chosen replica, persona, voice, model; key-check results) in one
//! JSON file in the app config directory, with a schema version. Written atomically; a
//! file that cannot be read is set aside, reported, and replaced by defaults.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::atomic_file;
use crate::confirm::Change;
use crate::error::{Error, Result};
use crate::gateway::ids::check_id;
use crate::privacy::sealed::{OpenFailure, Sealer};
use crate::provider::Provider;
use crate::updates::Channel;

pub const FILE_NAME: &str = "settings.sealed";
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    /// Seconds since the Unix epoch.
    pub checked_at: u64,
    /// `verified`, or the error code of the failed check.
    pub outcome: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, optional_fields = nullable)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Settings {
    pub schema_version: u32,
    #[serde(default)]
    pub tavus_replica_id: Option<String>,
    #[serde(default)]
    pub tavus_persona_id: Option<String>,
    #[serde(default)]
    pub elevenlabs_voice_id: Option<String>,
    #[serde(default)]
    pub elevenlabs_model_id: Option<String>,
    /// The ElevenLabs agent a voice-only conversation talks to.
    #[serde(default)]
    pub elevenlabs_agent_id: Option<String>,
    #[serde(default)]
    pub verification: BTreeMap<Provider, Verification>,
    /// Days the audit log keeps records.
    #[serde(default = "default_retention")]
    pub audit_retention_days: u32,
    /// Sessions send no conversational context upstream.
    #[serde(default)]
    pub anonymous_sessions: bool,
    /// The language Tavus speaks, as its full name (or `multilingual`).
    #[serde(default = "default_language")]
    pub session_language: String,
    /// Which update channel to follow.
    #[serde(default)]
    pub update_channel: Channel,
    /// Look for updates when Serene starts.
    #[serde(default = "default_true")]
    pub check_updates_automatically: bool,
    /// The most ElevenLabs characters Serene may spend on speech in a day.
    #[serde(default = "default_speech_characters")]
    pub daily_speech_characters: u32,
    /// The most Tavus video minutes Serene may start in a day.
    #[serde(default = "default_session_minutes")]
    pub daily_video_minutes: u32,
    /// The most ElevenLabs voice-conversation minutes Serene may start in a day.
    #[serde(default = "default_session_minutes")]
    pub daily_voice_minutes: u32,
    /// Hard-delete each conversation on Tavus as soon as it has ended.
    #[serde(default = "default_true")]
    pub delete_ended_sessions: bool,
    /// With the app lock on: lock after this many idle minutes (0: only at start and by hand).
    #[serde(default = "default_idle_lock_minutes")]
    pub idle_lock_minutes: u32,
    /// Quick exit quits Serene instead of hiding it.
    #[serde(default)]
    pub quick_exit_quits: bool,
    /// Windows are titled "Notes", never "Serene" or anything about a session.
    #[serde(default)]
    pub discreet_title: bool,
}

pub const DEFAULT_IDLE_LOCK_MINUTES: u32 = 10;
pub const MAX_IDLE_LOCK_MINUTES: u32 = 24 * 60;

fn default_idle_lock_minutes() -> u32 {
    DEFAULT_IDLE_LOCK_MINUTES
}

/// Enough for several guided exercises a day (the longest is about 2,000 characters).
pub const DEFAULT_DAILY_SPEECH_CHARACTERS: u32 = 10_000;
/// One hour-long session, or several shorter ones.
pub const DEFAULT_DAILY_SESSION_MINUTES: u32 = 60;
pub const MAX_DAILY_SPEECH_CHARACTERS: u32 = 1_000_000;
pub const MAX_DAILY_SESSION_MINUTES: u32 = 24 * 60;

fn default_speech_characters() -> u32 {
    DEFAULT_DAILY_SPEECH_CHARACTERS
}

fn default_session_minutes() -> u32 {
    DEFAULT_DAILY_SESSION_MINUTES
}

fn default_true() -> bool {
    true
}

/// Languages offered for sessions: every spoken language Tavus documents, by the full
/// name it takes, and `multilingual` for automatic detection (`shared/contracts/tavus.md`).
pub const SESSION_LANGUAGES: &[&str] = &[
    "English",
    "French",
    "German",
    "Spanish",
    "Portuguese",
    "Chinese",
    "Japanese",
    "Hindi",
    "Italian",
    "Korean",
    "Dutch",
    "Polish",
    "Russian",
    "Swedish",
    "Turkish",
    "Tagalog",
    "Bulgarian",
    "Romanian",
    "Arabic",
    "Czech",
    "Greek",
    "Finnish",
    "Croatian",
    "Malay",
    "Slovak",
    "Danish",
    "Tamil",
    "Ukrainian",
    "Hungarian",
    "Norwegian",
    "Vietnamese",
    "Bengali",
    "Thai",
    "Hebrew",
    "Georgian",
    "Indonesian",
    "Telugu",
    "Gujarati",
    "Kannada",
    "Malayalam",
    "Marathi",
    "Punjabi",
    "multilingual",
];

fn default_language() -> String {
    "English".into()
}

pub const DEFAULT_RETENTION_DAYS: u32 = 90;
pub const MAX_RETENTION_DAYS: u32 = 3650;

fn default_retention() -> u32 {
    DEFAULT_RETENTION_DAYS
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            schema_version: SCHEMA_VERSION,
            tavus_replica_id: None,
            tavus_persona_id: None,
            elevenlabs_voice_id: None,
            elevenlabs_model_id: None,
            elevenlabs_agent_id: None,
            verification: BTreeMap::new(),
            audit_retention_days: DEFAULT_RETENTION_DAYS,
            anonymous_sessions: false,
            session_language: default_language(),
            update_channel: Channel::Stable,
            check_updates_automatically: true,
            daily_speech_characters: DEFAULT_DAILY_SPEECH_CHARACTERS,
            daily_video_minutes: DEFAULT_DAILY_SESSION_MINUTES,
            daily_voice_minutes: DEFAULT_DAILY_SESSION_MINUTES,
            delete_ended_sessions: true,
            idle_lock_minutes: DEFAULT_IDLE_LOCK_MINUTES,
            quick_exit_quits: false,
            discreet_title: false,
        }
    }
}

impl Settings {
    /// What Serene uses when settings it had saved are missing, damaged or rolled back:
    /// the most private choices, so nothing is sent that the person had kept back.
    pub fn most_private() -> Self {
        Self {
            anonymous_sessions: true,
            ..Self::default()
        }
    }
}

/// The choices the UI may change. `Some("")` clears a choice; `None` leaves it.
#[derive(Debug, Clone, Default, Deserialize, ts_rs::TS)]
#[ts(export, optional_fields)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SettingsPatch {
    pub tavus_replica_id: Option<String>,
    pub tavus_persona_id: Option<String>,
    pub elevenlabs_voice_id: Option<String>,
    pub elevenlabs_model_id: Option<String>,
    pub elevenlabs_agent_id: Option<String>,
    pub audit_retention_days: Option<u32>,
    pub anonymous_sessions: Option<bool>,
    pub session_language: Option<String>,
    pub update_channel: Option<Channel>,
    pub check_updates_automatically: Option<bool>,
    pub daily_speech_characters: Option<u32>,
    pub daily_video_minutes: Option<u32>,
    pub daily_voice_minutes: Option<u32>,
    pub delete_ended_sessions: Option<bool>,
    pub idle_lock_minutes: Option<u32>,
    pub quick_exit_quits: Option<bool>,
    pub discreet_title: Option<bool>,
}

impl SettingsPatch {
    /// Parses a patch from the UI: unknown fields or wrong types are a clear error.
    pub fn from_json(value: serde_json::Value) -> Result<Self> {
        serde_json::from_value(value)
            .map_err(|_| Error::invalid_input("Those settings are not in the expected shape."))
    }
}

impl Settings {
    /// Validates every field of the patch first, then applies it: a bad patch changes
    /// nothing.
    pub fn apply(&mut self, patch: SettingsPatch) -> Result<()> {
        let ids = [
            (&patch.tavus_replica_id, "replica"),
            (&patch.tavus_persona_id, "persona"),
            (&patch.elevenlabs_voice_id, "voice"),
            (&patch.elevenlabs_model_id, "model"),
            (&patch.elevenlabs_agent_id, "agent"),
        ];
        for (value, what) in ids {
            if let Some(id) = value.as_deref().filter(|id| !id.is_empty()) {
                check_id(what, id)?;
            }
        }
        if patch
            .audit_retention_days
            .is_some_and(|days| !(1..=MAX_RETENTION_DAYS).contains(&days))
        {
            return Err(Error::invalid_input(format!(
                "Keep the audit log for 1 to {MAX_RETENTION_DAYS} days."
            )));
        }
        if patch
            .session_language
            .as_deref()
            .is_some_and(|language| !SESSION_LANGUAGES.contains(&language))
        {
            return Err(Error::invalid_input(
                "That session language is not offered.",
            ));
        }
        if patch
            .daily_speech_characters
            .is_some_and(|n| !(1..=MAX_DAILY_SPEECH_CHARACTERS).contains(&n))
        {
            return Err(Error::invalid_input(format!(
                "The daily speech limit is 1 to {MAX_DAILY_SPEECH_CHARACTERS} characters."
            )));
        }
        if [patch.daily_video_minutes, patch.daily_voice_minutes]
            .iter()
            .flatten()
            .any(|n| !(1..=MAX_DAILY_SESSION_MINUTES).contains(n))
        {
            return Err(Error::invalid_input(format!(
                "A daily session limit is 1 to {MAX_DAILY_SESSION_MINUTES} minutes."
            )));
        }
        if patch
            .idle_lock_minutes
            .is_some_and(|n| n > MAX_IDLE_LOCK_MINUTES)
        {
            return Err(Error::invalid_input(format!(
                "Lock after at most {MAX_IDLE_LOCK_MINUTES} idle minutes (0 turns idle locking off)."
            )));
        }
        let choose = |slot: &mut Option<String>, value: Option<String>| {
            if let Some(id) = value {
                *slot = (!id.is_empty()).then_some(id);
            }
        };
        choose(&mut self.tavus_replica_id, patch.tavus_replica_id);
        choose(&mut self.tavus_persona_id, patch.tavus_persona_id);
        choose(&mut self.elevenlabs_voice_id, patch.elevenlabs_voice_id);
        choose(&mut self.elevenlabs_model_id, patch.elevenlabs_model_id);
        choose(&mut self.elevenlabs_agent_id, patch.elevenlabs_agent_id);
        if let Some(days) = patch.audit_retention_days {
            self.audit_retention_days = days;
        }
        if let Some(language) = patch.session_language {
            self.session_language = language;
        }
        if let Some(anonymous) = patch.anonymous_sessions {
            self.anonymous_sessions = anonymous;
        }
        if let Some(channel) = patch.update_channel {
            self.update_channel = channel;
        }
        if let Some(automatic) = patch.check_updates_automatically {
            self.check_updates_automatically = automatic;
        }
        if let Some(n) = patch.daily_speech_characters {
            self.daily_speech_characters = n;
        }
        if let Some(n) = patch.daily_video_minutes {
            self.daily_video_minutes = n;
        }
        if let Some(n) = patch.daily_voice_minutes {
            self.daily_voice_minutes = n;
        }
        if let Some(delete) = patch.delete_ended_sessions {
            self.delete_ended_sessions = delete;
        }
        if let Some(n) = patch.idle_lock_minutes {
            self.idle_lock_minutes = n;
        }
        if let Some(quits) = patch.quick_exit_quits {
            self.quick_exit_quits = quits;
        }
        if let Some(discreet) = patch.discreet_title {
            self.discreet_title = discreet;
        }
        Ok(())
    }
}

/// The changes between two settings that the person must confirm outside the page: whose
/// AI companion or agent is used (a first replica or persona is the person's own setup,
/// but any agent id, being typed, could name someone else's agent), turning anonymous
/// sessions off, and raising a spending limit.
pub fn changes_to_confirm(current: &Settings, next: &Settings) -> Vec<Change> {
    let mut changes = Vec::new();
    let choices = [
        (
            "replica",
            &current.tavus_replica_id,
            &next.tavus_replica_id,
            false,
        ),
        (
            "persona",
            &current.tavus_persona_id,
            &next.tavus_persona_id,
            false,
        ),
        (
            "ElevenLabs agent",
            &current.elevenlabs_agent_id,
            &next.elevenlabs_agent_id,
            true,
        ),
    ];
    for (what, from, to, first_too) in choices {
        if from != to && (first_too || from.is_some()) {
            changes.push(Change::UseAccountChoice {
                what,
                from: from.clone(),
                to: to.clone(),
            });
        }
    }
    if current.anonymous_sessions && !next.anonymous_sessions {
        changes.push(Change::AnonymousSessionsOff);
    }
    let limits = [
        (
            "speech characters",
            current.daily_speech_characters,
            next.daily_speech_characters,
        ),
        (
            "video minutes",
            current.daily_video_minutes,
            next.daily_video_minutes,
        ),
        (
            "voice minutes",
            current.daily_voice_minutes,
            next.daily_voice_minutes,
        ),
    ];
    for (what, from, to) in limits {
        if to > from {
            changes.push(Change::RaiseSpendingLimit { what, from, to });
        }
    }
    changes
}

/// What happened when the settings were loaded, for the UI to tell the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadNotice {
    pub message: String,
}

const PURPOSE: &str = "settings";

/// `settings.sealed`: the settings as sealed JSON (see `privacy::sealed`).
pub struct SettingsFile {
    path: PathBuf,
}

impl SettingsFile {
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            path: dir.join(FILE_NAME),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Loads the settings; defaults if there is no file. A file that does not open (changed,
    /// damaged, sealed under a key that is gone, or from a newer Serene) is moved aside and
    /// reported, never crashed on.
    pub fn load(&self, sealer: Option<&Sealer>) -> (Settings, Option<LoadNotice>) {
        let Some(sealer) = sealer else {
            return (
                Settings::default(),
                Some(LoadNotice {
                    message: "Serene can't reach your system keychain, which protects its saved settings, so defaults are in use for now.".into(),
                }),
            );
        };
        let problem = match sealer.read_json::<Settings>(&self.path, PURPOSE) {
            Ok(None) if sealer.was_written(PURPOSE) => {
                tracing::warn!("the settings file is missing");
                return (
                    Settings::most_private(),
                    Some(LoadNotice {
                        message: "Serene's settings file is missing, so the most private choices are in use (anonymous sessions on). Please check your settings.".into(),
                    }),
                );
            }
            Ok(None) => return (Settings::default(), None),
            Ok(Some(settings)) if settings.schema_version == SCHEMA_VERSION => {
                return (settings, None)
            }
            Ok(Some(_)) => "comes from a newer version of Serene",
            Err(OpenFailure::Tampered) => {
                "could not be unlocked (it was changed, or the key that protects it is gone)"
            }
            Err(OpenFailure::Malformed) => "is damaged",
            Err(OpenFailure::RolledBack) => "is an older copy than the one Serene last saved",
        };
        let kept = atomic_file::set_aside(&self.path);
        tracing::warn!(problem, kept = ?kept.as_ref().ok(), "settings file set aside");
        let message = format!(
            "Serene's settings file {problem}, so it was set aside{} and the most private choices are in use (anonymous sessions on). Your API keys are safe in your keychain.",
            kept.ok()
                .and_then(|aside| aside.file_name().and_then(|n| n.to_str()).map(|n| format!(" as {n}")))
                .unwrap_or_default()
        );
        (Settings::most_private(), Some(LoadNotice { message }))
    }

    pub fn save(&self, sealer: &Sealer, settings: &Settings) -> Result<()> {
        sealer.write_json(&self.path, PURPOSE, settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use crate::sensitive::Sensitive;

    fn sealer(byte: u8) -> Sealer {
        Sealer::new(&Sensitive::new(vec![byte; 32])).unwrap()
    }

    #[test]
    fn missing_file_means_defaults_without_a_notice() {
        let dir = tempfile::tempdir().unwrap();
        let (settings, notice) = SettingsFile::in_dir(dir.path()).load(Some(&sealer(1)));
        assert_eq!(settings, Settings::default());
        assert!(notice.is_none());
    }

    #[test]
    fn saves_sealed_and_loads_with_a_schema_version() {
        let dir = tempfile::tempdir().unwrap();
        let file = SettingsFile::in_dir(dir.path());
        let mut settings = Settings::default();
        settings
            .apply(SettingsPatch {
                tavus_replica_id: Some("r79e1c033f".into()),
                ..Default::default()
            })
            .unwrap();
        file.save(&sealer(1), &settings).unwrap();
        let raw = std::fs::read(file.path()).unwrap();
        assert!(
            !raw.windows(10).any(|w| w == b"r79e1c033f"),
            "stored in the clear"
        );
        assert_eq!(file.load(Some(&sealer(1))), (settings, None));
    }

    #[test]
    fn a_damaged_file_is_set_aside_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let file = SettingsFile::in_dir(dir.path());
        std::fs::write(file.path(), b"{\"schemaVersion\": 1, \"tavusRep").unwrap();
        let (settings, notice) = file.load(Some(&sealer(1)));
        assert_eq!(settings, Settings::most_private());
        assert!(notice.unwrap().message.contains("set aside"));
        assert!(!file.path().exists());
        let kept: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(kept.len(), 1, "the damaged file is kept for inspection");
    }

    #[test]
    fn a_lost_data_key_is_reported_not_crashed_on() {
        let dir = tempfile::tempdir().unwrap();
        let file = SettingsFile::in_dir(dir.path());
        file.save(&sealer(1), &Settings::default()).unwrap();
        let (settings, notice) = file.load(Some(&sealer(2)));
        assert_eq!(settings, Settings::most_private());
        assert!(notice.unwrap().message.contains("key that protects it"));
    }

    #[test]
    fn no_keychain_means_defaults_and_a_notice() {
        let dir = tempfile::tempdir().unwrap();
        let (_, notice) = SettingsFile::in_dir(dir.path()).load(None);
        assert!(notice.unwrap().message.contains("keychain"));
    }

    #[test]
    fn a_newer_schema_is_not_misread() {
        let dir = tempfile::tempdir().unwrap();
        let file = SettingsFile::in_dir(dir.path());
        let newer = Settings {
            schema_version: 99,
            ..Default::default()
        };
        file.save(&sealer(1), &newer).unwrap();
        let (settings, notice) = file.load(Some(&sealer(1)));
        assert_eq!(settings, Settings::most_private());
        assert!(notice.unwrap().message.contains("newer"));
    }

    #[derive(Default)]
    struct Book(std::sync::Mutex<u64>);

    impl crate::privacy::sealed::VersionBook for Book {
        fn latest(&self, _: &str) -> u64 {
            *self.0.lock().unwrap()
        }
        fn record(&self, _: &str, version: u64) -> Result<()> {
            *self.0.lock().unwrap() = version;
            Ok(())
        }
    }

    fn versioned() -> Sealer {
        sealer(1).with_versions(std::sync::Arc::new(Book::default()))
    }

    #[test]
    fn a_deleted_settings_file_means_the_most_private_choices_and_a_notice() {
        let dir = tempfile::tempdir().unwrap();
        let file = SettingsFile::in_dir(dir.path());
        let sealer = versioned();
        let chosen = Settings {
            anonymous_sessions: false,
            tavus_replica_id: Some("r1".into()),
            ..Default::default()
        };
        file.save(&sealer, &chosen).unwrap();
        std::fs::remove_file(file.path()).unwrap();
        let (settings, notice) = file.load(Some(&sealer));
        assert!(settings.anonymous_sessions);
        assert!(notice.unwrap().message.contains("missing"));
    }

    #[test]
    fn an_older_settings_file_put_back_is_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let file = SettingsFile::in_dir(dir.path());
        let sealer = versioned();
        let private = Settings {
            anonymous_sessions: true,
            ..Default::default()
        };
        file.save(&sealer, &Settings::default()).unwrap();
        let older = std::fs::read(file.path()).unwrap();
        file.save(&sealer, &private).unwrap();
        std::fs::write(file.path(), older).unwrap();
        let (settings, notice) = file.load(Some(&sealer));
        assert_eq!(settings, Settings::most_private());
        assert!(notice.unwrap().message.contains("older copy"));
    }

    #[test]
    fn a_bad_patch_changes_nothing() {
        let mut settings = Settings::default();
        for patch in [
            SettingsPatch {
                tavus_replica_id: Some("r1".into()),
                elevenlabs_voice_id: Some("../evil".into()),
                ..Default::default()
            },
            SettingsPatch {
                tavus_replica_id: Some("r1".into()),
                audit_retention_days: Some(0),
                ..Default::default()
            },
            SettingsPatch {
                audit_retention_days: Some(30),
                session_language: Some("Klingon".into()),
                ..Default::default()
            },
        ] {
            let error = settings.apply(patch).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidInput);
            assert_eq!(settings, Settings::default());
        }
    }

    #[test]
    fn patches_from_the_ui_are_shape_checked() {
        assert!(SettingsPatch::from_json(serde_json::json!({"tavusReplicaId": "r1"})).is_ok());
        assert!(SettingsPatch::from_json(serde_json::json!({"anonymousSessions": true})).is_ok());
        for bad in [
            serde_json::json!({"tavusReplicaId": 5}),
            serde_json::json!({"somethingElse": "x"}),
            serde_json::json!({"auditRetentionDays": -1}),
            serde_json::json!("not an object"),
        ] {
            assert_eq!(
                SettingsPatch::from_json(bad).unwrap_err().code,
                ErrorCode::InvalidInput
            );
        }
    }

    #[test]
    fn an_empty_string_clears_a_choice() {
        let mut settings = Settings {
            tavus_persona_id: Some("p1".into()),
            ..Default::default()
        };
        settings
            .apply(SettingsPatch {
                tavus_persona_id: Some(String::new()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(settings.tavus_persona_id, None);
    }
}
