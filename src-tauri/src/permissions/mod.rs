//! The webviews' own permission requests (camera, microphone, screen capture, location,
//! notifications...). On every platform the handler in this folder only describes the
//! request in the core's terms and applies [`serene_core::media::decide`]: nothing else
//! grants or refuses, and every request gets an explicit answer rather than the platform's
//! default (a prompt, or a remembered choice).
//!
//! - Linux: WebKitGTK's `permission-request` signal ([`linux`]).
//! - Windows: WebView2's `PermissionRequested` event, never remembered ([`windows`]).
//! - macOS: WKWebView's media-capture delegate method ([`macos`]); WebKit asks nothing else.

use serene_core::media::{self, Decision, Request, Window};
use tauri::{Runtime, WebviewWindow};

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "macos")]
mod macos;
#[cfg(windows)]
mod windows;

/// What is running now, asked again at every request.
type MediaState = Box<dyn Fn() -> media::Running + Send + 'static>;

/// Puts `window`'s media requests under the rule, as `which` of Serene's windows.
pub fn guard_media<R: Runtime>(
    window: &WebviewWindow<R>,
    which: Window,
    running: impl Fn() -> media::Running + Send + 'static,
) {
    let running: MediaState = Box::new(running);
    let result = window.with_webview(move |webview| {
        #[cfg(target_os = "linux")]
        linux::guard(webview, which, running);
        #[cfg(windows)]
        windows::guard(webview, which, running);
        #[cfg(target_os = "macos")]
        macos::guard(webview, which, running);
        #[cfg(not(any(target_os = "linux", windows, target_os = "macos")))]
        let _ = (webview, which, running);
    });
    if let Err(error) = result {
        tracing::warn!(%error, window = ?which, "could not install the permission handler");
    }
}

/// The rule, with a log line for each refusal (the requester's scheme and host only: a
/// path or query may carry a token).
#[cfg_attr(
    not(any(target_os = "linux", windows, target_os = "macos")),
    allow(dead_code)
)]
fn decide(which: Window, request: Request, requester: &str, running: &MediaState) -> Decision {
    let decision = media::decide(which, request, requester, &running());
    if !decision.allowed() {
        let url = url::Url::parse(requester).ok();
        tracing::info!(
            window = ?which,
            ?request,
            scheme = url.as_ref().map(|url| url.scheme().to_owned()),
            host = url.as_ref().and_then(|url| url.host_str().map(str::to_owned)),
            "refused a permission request"
        );
    }
    decision
}

/// An origin as WebKit's `WKSecurityOrigin` gives it (port 0 for the scheme's default),
/// in the URL form [`media::decide`] reads.
#[cfg_attr(not(target_os = "macos"), allow(dead_code))]
fn origin_url(protocol: &str, host: &str, port: i64) -> String {
    if port > 0 {
        format!("{protocol}://{host}:{port}")
    } else {
        format!("{protocol}://{host}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_webkit_origin_reads_as_the_same_origin() {
        let room = url::Url::parse("https://tavus.daily.co/c123").unwrap();
        for (protocol, host, port) in [
            ("https", "tavus.daily.co", 0),
            ("https", "tavus.daily.co", 443),
        ] {
            let url = url::Url::parse(&origin_url(protocol, host, port)).unwrap();
            assert_eq!(url.origin(), room.origin());
        }
        let other = url::Url::parse(&origin_url("https", "tavus.daily.co", 8443)).unwrap();
        assert_ne!(other.origin(), room.origin());
        assert_eq!(origin_url("tauri", "localhost", 0), "tauri://localhost");
    }

    #[test]
    fn every_request_gets_the_cores_answer() {
        let voice: MediaState = Box::new(|| media::Running::Voice);
        let microphone = Request::Capture {
            camera: false,
            microphone: true,
        };
        let app = serene_core::navigation::APP_ORIGIN;
        assert!(decide(Window::Main, microphone, app, &voice).allowed());
        assert!(!decide(Window::Main, Request::Other, app, &voice).allowed());
        assert!(!decide(Window::Room, microphone, app, &voice).allowed());
        let nothing: MediaState = Box::new(|| media::Running::Nothing);
        assert!(!decide(Window::Main, microphone, app, &nothing).allowed());
    }
}
