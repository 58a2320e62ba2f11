//! The app itself: version information and crisis-help links.

use serene_core::views::AppInfo;
use serene_core::{crisis, Error};

#[tauri::command]
pub fn app_info() -> AppInfo {
    AppInfo {
        name: "Serene".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        platform: std::env::consts::OS.into(),
    }
}

/// Opens an allowlisted crisis-help site in the system browser. The UI sends an id, never
/// a URL.
#[tauri::command]
pub fn open_help_link(id: String) -> Result<(), Error> {
    let url = crisis::help_link(&id)?;
    crate::external::open_in_browser(&url)
}
