//! Which URLs the main webview may navigate to: only this platform's own app origin.
//!
//! CSP does not govern top-level navigation, so the shell asks this for every navigation
//! and denies the rest. Tauri serves the app from `tauri://localhost` on macOS and Linux,
//! and from `http://tauri.localhost` on Windows (WebView2 cannot register a custom scheme
//! as secure; `useHttpsScheme` is off). Each platform allows its own origin alone: on Linux
//! `*.localhost` resolves to 127.0.0.1, so allowing `http://tauri.localhost` there would let
//! a local web service load into the trusted window.

use url::Url;

/// The origin the main window's page is served from on the platform this is built for.
#[cfg(windows)]
pub const APP_ORIGIN: &str = "http://tauri.localhost";
#[cfg(not(windows))]
pub const APP_ORIGIN: &str = "tauri://localhost";

pub fn is_app_url(url: &Url) -> bool {
    if !url.username().is_empty() || url.password().is_some() || url.port().is_some() {
        return false;
    }
    let (scheme, host) = if cfg!(windows) {
        ("http", "tauri.localhost")
    } else {
        ("tauri", "localhost")
    };
    url.scheme() == scheme && url.host_str() == Some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(raw: &str) -> bool {
        is_app_url(&Url::parse(raw).unwrap())
    }

    #[test]
    fn this_platforms_app_origin_is_allowed() {
        assert!(allowed(APP_ORIGIN));
        assert!(allowed(&format!("{APP_ORIGIN}/index.html#help")));
        assert!(allowed(&format!("{APP_ORIGIN}/settings")));
    }

    #[test]
    fn another_platforms_app_origin_is_denied() {
        let others: &[&str] = if cfg!(windows) {
            &["tauri://localhost/", "https://tauri.localhost/"]
        } else {
            &[
                "http://tauri.localhost/",
                "https://tauri.localhost/settings",
            ]
        };
        for raw in others {
            assert!(!allowed(raw), "{raw} must be denied on this platform");
        }
    }

    #[test]
    fn everything_else_is_denied() {
        for raw in [
            "http://127.0.0.1:4000/",
            "http://localhost/",
            "https://tavus.daily.co/abc",
            "tauri://localhost.evil.test/",
            "http://tauri.localhost.evil.test/",
            "http://tauri.localhost:8080/",
            "http://user@tauri.localhost/",
            "tauri://user@localhost/",
            "about:blank",
            "data:text/html,hi",
            "javascript:alert(1)",
            "file:///etc/passwd",
            "ipc://localhost/app_info",
        ] {
            assert!(!allowed(raw), "{raw} must be denied");
        }
    }
}
