//! The settings file's JSON (`settings.sealed` once opened: `Settings`, as
//! `Sealer::read_json` decodes it) and the UI's settings patch (`SettingsPatch::from_json`
//! then `Settings::apply`): never panic; settings that parse survive a write and re-read
//! unchanged; a patch that `apply` refuses changes nothing.

#![no_main]

use libfuzzer_sys::fuzz_target;
use serene_core::settings::{Settings, SettingsPatch, MAX_RETENTION_DAYS, SESSION_LANGUAGES};
use serene_core::ErrorCode;

fuzz_target!(|data: &[u8]| {
    if let Ok(settings) = serde_json::from_slice::<Settings>(data) {
        let written = serde_json::to_vec(&settings).expect("settings serialise");
        let reread: Settings = serde_json::from_slice(&written).expect("written settings parse");
        assert_eq!(reread, settings, "settings changed through a save and load");
    }

    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    match SettingsPatch::from_json(value) {
        Ok(patch) => {
            let before = Settings::default();
            let mut after = before.clone();
            match after.apply(patch) {
                Ok(()) => {
                    assert!((1..=MAX_RETENTION_DAYS).contains(&after.audit_retention_days));
                    assert!(SESSION_LANGUAGES.contains(&after.session_language.as_str()));
                    for id in [
                        &after.tavus_replica_id,
                        &after.tavus_persona_id,
                        &after.elevenlabs_voice_id,
                        &after.elevenlabs_model_id,
                    ]
                    .into_iter()
                    .flatten()
                    {
                        assert!(!id.is_empty(), "an empty id was stored");
                    }
                }
                Err(error) => {
                    assert_eq!(error.code, ErrorCode::InvalidInput);
                    assert_eq!(after, before, "a refused patch changed the settings");
                }
            }
        }
        Err(error) => assert_eq!(error.code, ErrorCode::InvalidInput),
    }
});
