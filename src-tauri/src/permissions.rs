//! The webview's own permission requests (camera, microphone, location, notifications,
//! screen capture...). Nothing in Serene's main window needs one yet, so every request is
//! refused explicitly rather than left to the platform's default.

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
