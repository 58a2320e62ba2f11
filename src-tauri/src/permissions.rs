//! The webviews' own permission requests (camera, microphone, location, notifications,
//! screen capture...). Nothing in Serene's main window needs one yet, so every request is
//! refused explicitly rather than left to the platform's default; the room window may use
//! the camera and microphone, and nothing else, while its session runs.

use tauri::{Runtime, WebviewWindow};

pub fn deny_all<R: Runtime>(window: &WebviewWindow<R>) {
    #[cfg(target_os = "linux")]
    {
        let result = window.with_webview(|webview| {
            use webkit2gtk::{PermissionRequestExt, WebViewExt};
            webview.inner().connect_permission_request(|_, request| {
                tracing::info!("refused a permission request from the page");
                request.deny();
                true
            });
        });
        if let Err(error) = result {
            tracing::warn!(%error, "could not install the permission handler");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = window;
}

/// Linux, where a WebKitGTK build has WebRTC: the room window may have the camera and
/// microphone while `session_running()` holds (the person agreed in the start form);
/// every other request is refused.
pub fn room_media_only<R: Runtime>(
    window: &WebviewWindow<R>,
    session_running: impl Fn() -> bool + Send + 'static,
) {
    #[cfg(target_os = "linux")]
    {
        let result = window.with_webview(move |webview| {
            use webkit2gtk::glib::prelude::Cast;
            use webkit2gtk::{PermissionRequestExt, SettingsExt, WebViewExt};
            let view = webview.inner();
            if let Some(settings) = WebViewExt::settings(&view) {
                settings.set_enable_webrtc(true);
                settings.set_enable_media_stream(true);
            }
            view.connect_permission_request(move |_, request| {
                let media = request
                    .downcast_ref::<webkit2gtk::UserMediaPermissionRequest>()
                    .is_some();
                if media && session_running() {
                    request.allow();
                } else {
                    tracing::info!(media, "refused a permission request from the room");
                    request.deny();
                }
                true
            });
        });
        if let Err(error) = result {
            tracing::warn!(%error, "could not install the room's permission handler");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (window, session_running);
}
