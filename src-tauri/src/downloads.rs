//! Downloads: refused in every window. Serene saves nothing a page hands it; without this
//! handler WebKitGTK saves an `<a download>` of an app asset into the person's home folder,
//! and WebView2 and WKWebView have download paths of their own.

use tauri::webview::DownloadEvent;
use tauri::{Runtime, Webview};

/// For `WebviewWindowBuilder::on_download`: refuses, logging the scheme and host only (a
/// URL's path or query may carry a token).
pub fn refuse<R: Runtime>(_webview: Webview<R>, event: DownloadEvent<'_>) -> bool {
    if let DownloadEvent::Requested { url, .. } = event {
        tracing::warn!(
            scheme = url.scheme(),
            host = url.host_str(),
            "refused a download"
        );
    }
    false
}
