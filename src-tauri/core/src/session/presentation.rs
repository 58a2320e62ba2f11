//! Where the video room is shown. The main page never decides this (it must not even be
//! able to tell whether it has WebRTC: see the shell's `no_webrtc.js`); the core decides
//! from the platform and a probe the shell runs outside the main page.

use serde::Serialize;

/// The room's place, as the start screen words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "camelCase")]
pub enum RoomPresentation {
    /// A separate webview window that no capability names.
    Window,
    /// An app-mode window of an installed Chromium-family browser, with a private
    /// temporary profile that Serene closes and deletes when the session ends.
    AppWindow,
    /// The default web browser: Serene cannot close it.
    Browser,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    Linux,
    Windows,
    MacOs,
    Other,
}

impl Platform {
    pub fn current() -> Self {
        if cfg!(target_os = "linux") {
            Self::Linux
        } else if cfg!(target_os = "windows") {
            Self::Windows
        } else if cfg!(target_os = "macos") {
            Self::MacOs
        } else {
            Self::Other
        }
    }
}

/// What the shell found out, outside the main page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    /// A throwaway webview with WebRTC switched on has `RTCPeerConnection` (Linux only:
    /// WebView2 and WKWebView always do). `None`: the probe could not run.
    pub webview_has_webrtc: Option<bool>,
    /// A Chromium-family browser was found to host an app window.
    pub app_browser_found: bool,
}

pub fn decide(platform: Platform, probe: Probe) -> RoomPresentation {
    match platform {
        // WebView2 and WKWebView carry WebRTC: the sandboxed room window.
        Platform::Windows | Platform::MacOs => RoomPresentation::Window,
        Platform::Linux if probe.webview_has_webrtc == Some(true) => RoomPresentation::Window,
        Platform::Linux if probe.app_browser_found => RoomPresentation::AppWindow,
        // Elsewhere Serene has no way to track and close a browser's processes.
        Platform::Linux | Platform::Other => RoomPresentation::Browser,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(webrtc: Option<bool>, browser: bool) -> Probe {
        Probe {
            webview_has_webrtc: webrtc,
            app_browser_found: browser,
        }
    }

    #[test]
    fn windows_and_macos_use_the_room_window_whatever_the_probe_says() {
        for platform in [Platform::Windows, Platform::MacOs] {
            for webrtc in [None, Some(false), Some(true)] {
                for browser in [false, true] {
                    assert_eq!(
                        decide(platform, probe(webrtc, browser)),
                        RoomPresentation::Window
                    );
                }
            }
        }
    }

    #[test]
    fn linux_uses_the_room_window_only_when_its_webview_has_webrtc() {
        for browser in [false, true] {
            assert_eq!(
                decide(Platform::Linux, probe(Some(true), browser)),
                RoomPresentation::Window
            );
        }
    }

    #[test]
    fn linux_without_webrtc_prefers_an_app_window_then_the_browser() {
        for webrtc in [None, Some(false)] {
            assert_eq!(
                decide(Platform::Linux, probe(webrtc, true)),
                RoomPresentation::AppWindow
            );
            assert_eq!(
                decide(Platform::Linux, probe(webrtc, false)),
                RoomPresentation::Browser
            );
        }
    }

    #[test]
    fn other_systems_always_use_the_browser() {
        for webrtc in [None, Some(false), Some(true)] {
            for browser in [false, true] {
                assert_eq!(
                    decide(Platform::Other, probe(webrtc, browser)),
                    RoomPresentation::Browser
                );
            }
        }
    }

    #[test]
    fn the_page_sees_camel_case_names() {
        let names: Vec<String> = [
            RoomPresentation::Window,
            RoomPresentation::AppWindow,
            RoomPresentation::Browser,
        ]
        .iter()
        .map(|p| serde_json::to_string(p).unwrap())
        .collect();
        assert_eq!(names, ["\"window\"", "\"appWindow\"", "\"browser\""]);
    }
}
