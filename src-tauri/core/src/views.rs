//! Answers the shell builds itself (not from a core service), kept here so that their
//! TypeScript bindings are generated with every other IPC type.

use serde::Serialize;

/// The app's name, version and platform, for the About line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub name: String,
    pub version: String,
    pub platform: String,
}

/// Whether an export was saved, and under what file name (never the folder).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export, optional_fields)]
#[serde(rename_all = "camelCase")]
pub struct ExportOutcome {
    pub saved: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
}
