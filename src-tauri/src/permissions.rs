//! The webviews' own permission requests (camera, microphone, location, notifications,
//! screen capture...), each refused explicitly rather than left to the platform's default,
//! except: the main window may use the microphone (and nothing else) while a voice session
//! runs, and the room window the camera and microphone while its session runs.

use tauri::{Runtime, WebviewWindow};

/// The main window: the microphone alone, and only while `voice_running()` holds.
pub fn main_microphone_only<R: Runtime>(
    window: &WebviewWindow<R>,
    voice_running: impl Fn() -> bool + Send + 'static,
) {
    #[cfg(target_os = "linux")]
    {
        let result = window.with_webview(move |webview| {
            use webkit2gtk::glib::prelude::Cast;
            use webkit2gtk::{
                PermissionRequestExt, SettingsExt, UserMediaPermissionRequestExt, WebViewExt,
            };
            let view = webview.inner();
            if let Some(settings) = WebViewExt::settings(&view) {
                settings.set_enable_media_stream(true);
                settings.set_enable_mock_capture_devices(mock_microphone());
            }
            view.connect_permission_request(move |_, request| {
                let media = request
                    .downcast_ref::<webkit2gtk::UserMediaPermissionRequest>()
                    .map(|media| (media.is_for_audio_device(), media.is_for_video_device()));
                if main_may_use(media, voice_running()) {
                    request.allow();
                } else {
                    tracing::info!(?media, "refused a permission request from the page");
                    request.deny();
                }
                true
            });
        });
        if let Err(error) = result {
            tracing::warn!(%error, "could not install the permission handler");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (window, voice_running);
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

/// The main window's rule: a request for the microphone alone (`(audio, video)` of a media
/// request; `None` for any other kind) while a voice session runs. Nothing else, ever.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn main_may_use(media: Option<(bool, bool)>, voice_running: bool) -> bool {
    matches!(media, Some((true, false))) && voice_running
}

/// e2e builds, when a test asks: WebKit's synthetic microphone, as Xvfb has no sound card.
/// WebKit grants it without a permission request, so only the voice test asks for it; the
/// other tests see the real request path, and our handler refusing it.
#[cfg(target_os = "linux")]
fn mock_microphone() -> bool {
    cfg!(feature = "e2e") && std::env::var_os("SERENE_TEST_MOCK_MICROPHONE").is_some()
}

#[cfg(test)]
mod tests {
    use super::main_may_use;

    #[test]
    fn the_main_window_gets_the_microphone_alone_and_only_during_a_voice_session() {
        assert!(main_may_use(Some((true, false)), true));
        assert!(!main_may_use(Some((true, false)), false), "no session");
        assert!(!main_may_use(Some((true, true)), true), "camera with it");
        assert!(!main_may_use(Some((false, true)), true), "camera alone");
        assert!(
            !main_may_use(Some((false, false)), true),
            "screen or other media"
        );
        assert!(!main_may_use(None, true), "location, notifications...");
    }
}
