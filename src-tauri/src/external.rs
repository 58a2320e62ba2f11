//! Hands an already-validated URL to the system browser.

use serene_core::{Error, ErrorCode};
use url::Url;

pub fn open_in_browser(url: &Url) -> Result<(), Error> {
    #[cfg(feature = "e2e")]
    if let Some(log) = std::env::var_os("SERENE_TEST_OPENED_LOG") {
        // Test-only: record the hand-off instead of launching a browser under Xvfb.
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|_| Error::internal())?;
        return writeln!(file, "{url}").map_err(|_| Error::internal());
    }
    open::that_detached(url.as_str()).map_err(|error| {
        tracing::warn!(%error, host = url.host_str(), "could not open the system browser");
        Error::new(
            ErrorCode::SystemUnavailable,
            "Serene could not open your web browser. The phone numbers shown work without it.",
        )
    })
}

/// Where to save an export: the native save dialog (or, in e2e builds, a path from the
/// environment, since WebDriver cannot drive a native dialog). `None` if cancelled.
pub fn choose_export_path<R: tauri::Runtime>(
    app: &tauri::AppHandle<R>,
) -> Option<std::path::PathBuf> {
    #[cfg(feature = "e2e")]
    if let Some(path) = std::env::var_os("SERENE_TEST_EXPORT_PATH") {
        return Some(path.into());
    }
    use tauri_plugin_dialog::DialogExt;
    app.dialog()
        .file()
        .set_title("Save your Serene data")
        .set_file_name("serene-export.json")
        .add_filter("JSON", &["json"])
        .blocking_save_file()
        .and_then(|path| path.into_path().ok())
}
