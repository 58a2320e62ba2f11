//! WebKitGTK: every `permission-request` (media, location, notifications, pointer lock,
//! clipboard...) is answered with the core's rule.

use serene_core::media::{Request, Window};
use tauri::webview::PlatformWebview;
use webkit2gtk::glib::prelude::Cast;
use webkit2gtk::{
    PermissionRequestExt, SettingsExt, UserMediaPermissionRequest, UserMediaPermissionRequestExt,
    WebViewExt,
};

use super::MediaState;

pub(super) fn guard(webview: PlatformWebview, which: Window, running: MediaState) {
    let view = webview.inner();
    if let Some(settings) = WebViewExt::settings(&view) {
        settings.set_enable_media_stream(true);
        match which {
            Window::Main => settings.set_enable_mock_capture_devices(mock_microphone()),
            // Where this WebKitGTK build has WebRTC at all.
            Window::Room => settings.set_enable_webrtc(true),
            Window::Other => {}
        }
    }
    view.connect_permission_request(move |view, request| {
        // webkit2gtk 2.0.2 gives a media request no origin, so the page's URI stands for
        // the requester. The main window has no frames (`frame-src 'none'`); in the room,
        // a frame of another origin can ask only if the room's page delegates it.
        let described = match request.downcast_ref::<UserMediaPermissionRequest>() {
            // A screen-capture request asks for neither device, and is refused as such.
            Some(media) => Request::Capture {
                camera: media.is_for_video_device(),
                microphone: media.is_for_audio_device(),
            },
            None => Request::Other,
        };
        let requester = view.uri().map(|uri| uri.to_string()).unwrap_or_default();
        if super::decide(which, described, &requester, &running).allowed() {
            request.allow();
        } else {
            request.deny();
        }
        true
    });
}

/// e2e builds, when a test asks: WebKit's synthetic microphone, as Xvfb has no sound card.
/// WebKit grants it without a permission request, so only the voice test asks for it; the
/// other tests see the real request path, and our handler refusing it.
fn mock_microphone() -> bool {
    cfg!(feature = "e2e") && std::env::var_os("SERENE_TEST_MOCK_MICROPHONE").is_some()
}
