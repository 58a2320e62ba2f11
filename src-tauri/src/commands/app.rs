//! The app itself: version information and crisis-help links.

use serde::Serialize;
use serene_core::{crisis, Error};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    name: &'static str,
    version: &'static str,
    platform: &'static str,
}

#[tauri::command]
pub fn app_info() -> AppInfo {
    AppInfo {
        name: "Serene",
        version: env!("CARGO_PKG_VERSION"),
        platform: std::env::consts::OS,
    }
}

/// Opens an allowlisted crisis-help site in the system browser. The UI sends an id, never
/// a URL.
#[tauri::command]
pub fn open_help_link(id: String) -> Result<(), Error> {
    let url = crisis::help_link(&id)?;
    crate::external::open_in_browser(&url)
}
