//! The one camera and microphone rule, for every platform's webview.
//!
//! Each platform's permission callback (WebKitGTK's `permission-request`, WebView2's
//! `PermissionRequested`, WKWebView's media-capture delegate) describes the request in
//! these terms and applies [`decide`]'s answer; nothing else grants or refuses.
//!
//! - The main window may have the microphone alone, only for the app's own origin, and only
//!   while a voice conversation runs.
//! - The room window may have the camera and the microphone, only for the exact origin of
//!   the running video session's room, and only while that session runs.
//! - Everything else is refused: other windows, other origins, screen capture, location,
//!   notifications, clipboard, and any kind a platform adds later.

use url::{Origin, Url};

/// Which of Serene's windows is asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    Main,
    Room,
    /// Any window Serene does not know (none should exist).
    Other,
}

/// What the page asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// A `getUserMedia` request: which devices it wants.
    Capture { camera: bool, microphone: bool },
    /// Anything else: screen or window capture, location, notifications, clipboard, MIDI,
    /// sensors, a kind the platform cannot name.
    Other,
}

/// What is running in the core right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Running {
    Nothing,
    /// A voice conversation (the main window relays the microphone to the core).
    Voice,
    /// A video session whose room is at `room`.
    Video {
        room: Url,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny,
}

impl Decision {
    pub fn allowed(self) -> bool {
        self == Decision::Allow
    }
}

/// The rule. `requester` is the URL (or just the origin) of the frame that asks, as the
/// platform reports it; one that does not parse is refused.
pub fn decide(window: Window, request: Request, requester: &str, running: &Running) -> Decision {
    let Ok(requester) = Url::parse(requester) else {
        return Decision::Deny;
    };
    let allowed = match (window, request, running) {
        (
            Window::Main,
            Request::Capture {
                camera: false,
                microphone: true,
            },
            Running::Voice,
        ) => crate::navigation::is_app_url(&requester),
        (Window::Room, Request::Capture { camera, microphone }, Running::Video { room }) => {
            (camera || microphone) && same_origin(&requester.origin(), &room.origin())
        }
        _ => false,
    };
    if allowed {
        Decision::Allow
    } else {
        Decision::Deny
    }
}

/// Opaque origins (`data:`, `blob:` of an opaque origin, `about:`) never match anything.
fn same_origin(a: &Origin, b: &Origin) -> bool {
    a.is_tuple() && a == b
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: &str = crate::navigation::APP_ORIGIN;
    const ROOM: &str = "https://tavus.daily.co/c123";

    fn video() -> Running {
        Running::Video {
            room: Url::parse(ROOM).unwrap(),
        }
    }

    const MIC: Request = Request::Capture {
        camera: false,
        microphone: true,
    };
    const CAM: Request = Request::Capture {
        camera: true,
        microphone: false,
    };
    const BOTH: Request = Request::Capture {
        camera: true,
        microphone: true,
    };
    const NONE: Request = Request::Capture {
        camera: false,
        microphone: false,
    };

    #[test]
    fn the_main_window_gets_the_microphone_alone_during_a_voice_conversation() {
        assert!(decide(Window::Main, MIC, APP, &Running::Voice).allowed());
        let page = format!("{APP}/index.html#voice");
        assert!(decide(Window::Main, MIC, &page, &Running::Voice).allowed());
    }

    #[test]
    fn the_main_window_gets_nothing_else() {
        for request in [CAM, BOTH, NONE, Request::Other] {
            for running in [Running::Nothing, Running::Voice, video()] {
                assert_eq!(
                    decide(Window::Main, request, APP, &running),
                    Decision::Deny,
                    "{request:?} while {running:?}"
                );
            }
        }
        assert_eq!(
            decide(Window::Main, MIC, APP, &Running::Nothing),
            Decision::Deny
        );
        assert_eq!(decide(Window::Main, MIC, APP, &video()), Decision::Deny);
    }

    #[test]
    fn the_main_window_never_grants_a_foreign_origin() {
        for requester in [
            ROOM,
            "http://127.0.0.1:4000/",
            "tauri://evil",
            "data:text/html,x",
            "",
            "not a url",
        ] {
            assert_eq!(
                decide(Window::Main, MIC, requester, &Running::Voice),
                Decision::Deny,
                "{requester}"
            );
        }
    }

    #[test]
    fn the_room_gets_camera_and_microphone_for_its_own_origin_while_its_session_runs() {
        for request in [CAM, MIC, BOTH] {
            assert!(decide(Window::Room, request, ROOM, &video()).allowed());
            assert!(decide(Window::Room, request, "https://tavus.daily.co", &video()).allowed());
        }
    }

    #[test]
    fn the_room_gets_nothing_without_its_session_or_from_another_origin() {
        for request in [CAM, MIC, BOTH] {
            assert_eq!(
                decide(Window::Room, request, ROOM, &Running::Nothing),
                Decision::Deny
            );
            assert_eq!(
                decide(Window::Room, request, ROOM, &Running::Voice),
                Decision::Deny
            );
            for requester in [
                "https://evil.daily.co/c123",
                "http://tavus.daily.co/c123",
                "https://tavus.daily.co:8443/c123",
                "https://tavus.daily.co.evil.test/",
                APP,
                "data:text/html,x",
                "about:blank",
            ] {
                assert_eq!(
                    decide(Window::Room, request, requester, &video()),
                    Decision::Deny,
                    "{requester}"
                );
            }
        }
        assert_eq!(decide(Window::Room, NONE, ROOM, &video()), Decision::Deny);
        assert_eq!(
            decide(Window::Room, Request::Other, ROOM, &video()),
            Decision::Deny
        );
    }

    #[test]
    fn unknown_windows_get_nothing() {
        for request in [CAM, MIC, BOTH, NONE, Request::Other] {
            for running in [Running::Nothing, Running::Voice, video()] {
                for requester in [APP, ROOM] {
                    assert_eq!(
                        decide(Window::Other, request, requester, &running),
                        Decision::Deny
                    );
                }
            }
        }
    }
}
