//! Non-secret settings (chosen replica, persona, voice, model; key-check results) in one
//! JSON file in the app config directory, with a schema version. Written atomically; a
//! file that cannot be read is set aside, reported, and replaced by defaults.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::atomic_file;
use crate::error::{Error, ErrorCode, Result};
use crate::gateway::ids::check_id;
use crate::provider::Provider;

pub const FILE_NAME: &str = "settings.json";
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    /// Seconds since the Unix epoch.
    pub checked_at: u64,
    /// `verified`, or the error code of the failed check.
    pub outcome: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    #[serde(default)]
    pub verification: BTreeMap<Provider, Verification>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            schema_version: SCHEMA_VERSION,
            tavus_replica_id: None,
            tavus_persona_id: None,
            elevenlabs_voice_id: None,
            elevenlabs_model_id: None,
            verification: BTreeMap::new(),
        }
    }
}

/// The choices the UI may change. `Some("")` clears a choice; `None` leaves it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SettingsPatch {
    pub tavus_replica_id: Option<String>,
    pub tavus_persona_id: Option<String>,
    pub elevenlabs_voice_id: Option<String>,
    pub elevenlabs_model_id: Option<String>,
}

impl SettingsPatch {
    /// Parses a patch from the UI: unknown fields or wrong types are a clear error.
    pub fn from_json(value: serde_json::Value) -> Result<Self> {
        serde_json::from_value(value)
            .map_err(|_| Error::invalid_input("Those settings are not in the expected shape."))
    }
}

impl Settings {
    pub fn apply(&mut self, patch: SettingsPatch) -> Result<()> {
        let fields = [
            (
                patch.tavus_replica_id,
                "replica",
                &mut self.tavus_replica_id,
            ),
            (
                patch.tavus_persona_id,
                "persona",
                &mut self.tavus_persona_id,
            ),
            (
                patch.elevenlabs_voice_id,
                "voice",
                &mut self.elevenlabs_voice_id,
            ),
            (
                patch.elevenlabs_model_id,
                "model",
                &mut self.elevenlabs_model_id,
            ),
        ];
        // Validate every field before changing any, so a bad patch changes nothing.
        for (value, what, _) in &fields {
            if let Some(id) = value.as_deref().filter(|id| !id.is_empty()) {
                check_id(what, id)?;
            }
        }
        for (value, _, slot) in fields {
            if let Some(id) = value {
                *slot = (!id.is_empty()).then_some(id);
            }
        }
        Ok(())
    }
}

/// What happened when the settings were loaded, for the UI to tell the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadNotice {
    pub message: String,
}

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

    /// Loads the settings; defaults if there is no file. A file that does not parse (or
    /// comes from a newer Serene) is moved aside and reported, never crashed on.
    pub fn load(&self) -> (Settings, Option<LoadNotice>) {
        let raw = match std::fs::read(&self.path) {
            Ok(raw) => raw,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return (Settings::default(), None)
            }
            Err(error) => {
                tracing::warn!(%error, "settings file could not be read");
                return (
                    Settings::default(),
                    Some(LoadNotice {
                        message:
                            "Serene couldn't read its settings file and is using defaults for now."
                                .into(),
                    }),
                );
            }
        };
        match serde_json::from_slice::<Settings>(&raw) {
            Ok(settings) if settings.schema_version == SCHEMA_VERSION => (settings, None),
            parsed => {
                let reason = match parsed {
                    Ok(_) => "an unknown schema version".to_string(),
                    Err(error) => format!("a parse error at line {}", error.line()),
                };
                let kept = atomic_file::set_aside(&self.path);
                tracing::warn!(reason, kept = ?kept.as_ref().ok(), "settings file set aside");
                let message = match kept {
                    Ok(aside) => format!(
                        "Serene's settings file was damaged, so it was set aside as {} and defaults are in use. Your API keys are safe in your keychain.",
                        aside.file_name().and_then(|n| n.to_str()).unwrap_or("a backup")
                    ),
                    Err(_) => "Serene's settings file was damaged and defaults are in use. Your API keys are safe in your keychain.".into(),
                };
                (Settings::default(), Some(LoadNotice { message }))
            }
        }
    }

    pub fn save(&self, settings: &Settings) -> Result<()> {
        let json = serde_json::to_vec_pretty(settings).map_err(|_| Error::internal())?;
        atomic_file::write_private(&self.path, &json).map_err(|error| {
            tracing::warn!(%error, "settings could not be saved");
            Error::new(
                ErrorCode::SystemUnavailable,
                "Serene couldn't save your settings. Check that your disk has space, then try again.",
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_means_defaults_without_a_notice() {
        let dir = tempfile::tempdir().unwrap();
        let (settings, notice) = SettingsFile::in_dir(dir.path()).load();
        assert_eq!(settings, Settings::default());
        assert!(notice.is_none());
    }

    #[test]
    fn saves_and_loads_with_a_schema_version() {
        let dir = tempfile::tempdir().unwrap();
        let file = SettingsFile::in_dir(dir.path());
        let mut settings = Settings::default();
        settings
            .apply(SettingsPatch {
                tavus_replica_id: Some("r79e1c033f".into()),
                ..Default::default()
            })
            .unwrap();
        file.save(&settings).unwrap();
        let raw: serde_json::Value =
            serde_json::from_slice(&std::fs::read(file.path()).unwrap()).unwrap();
        assert_eq!(raw["schemaVersion"], 1);
        assert_eq!(file.load(), (settings, None));
    }

    #[test]
    fn a_corrupt_file_is_set_aside_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let file = SettingsFile::in_dir(dir.path());
        std::fs::write(file.path(), b"{\"schemaVersion\": 1, \"tavusRep").unwrap();
        let (settings, notice) = file.load();
        assert_eq!(settings, Settings::default());
        assert!(notice.unwrap().message.contains("set aside"));
        assert!(!file.path().exists());
        let kept: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(kept.len(), 1, "the damaged file is kept for inspection");
    }

    #[test]
    fn a_newer_schema_is_not_misread() {
        let dir = tempfile::tempdir().unwrap();
        let file = SettingsFile::in_dir(dir.path());
        std::fs::write(file.path(), br#"{"schemaVersion": 99}"#).unwrap();
        let (settings, notice) = file.load();
        assert_eq!(settings, Settings::default());
        assert!(notice.is_some());
    }

    #[test]
    fn a_bad_patch_changes_nothing() {
        let mut settings = Settings::default();
        let error = settings
            .apply(SettingsPatch {
                tavus_replica_id: Some("r1".into()),
                elevenlabs_voice_id: Some("../evil".into()),
                ..Default::default()
            })
            .unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidInput);
        assert_eq!(settings, Settings::default());
    }

    #[test]
    fn patches_from_the_ui_are_shape_checked() {
        assert!(SettingsPatch::from_json(serde_json::json!({"tavusReplicaId": "r1"})).is_ok());
        for bad in [
            serde_json::json!({"tavusReplicaId": 5}),
            serde_json::json!({"somethingElse": "x"}),
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
