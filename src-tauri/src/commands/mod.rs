//! IPC commands: parse, call the core, return its result. Nothing else lives here.

pub mod app;
pub mod catalogue;
pub mod keys;
pub mod lock;
pub mod privacy;
pub mod settings;
pub mod updates;
pub mod video;
pub mod voice;
pub mod voice_session;

/// The core service as managed state.
pub type Service = serene_core::service::Service;

/// Reads a channel argument by hand: Tauri's own parser repeats an invalid value, however
/// large, in its error, and that error would travel back over IPC.
pub fn channel<T, R>(
    webview: &tauri::Webview<R>,
    raw: &str,
) -> Result<tauri::ipc::Channel<T>, serene_core::Error>
where
    T: tauri::ipc::IpcResponse,
    R: tauri::Runtime,
{
    use std::str::FromStr;
    let invalid = || serene_core::Error::invalid_input("That channel id is not valid.");
    if raw.len() > 64 {
        return Err(invalid());
    }
    tauri::ipc::JavaScriptChannelId::from_str(raw)
        .map(|id| id.channel_on(webview.clone()))
        .map_err(|_| invalid())
}
