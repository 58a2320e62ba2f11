//! Which URLs the main webview may navigate to: only the app's own origin.
//!
//! CSP does not govern top-level navigation, so the shell asks this for every navigation
//! and denies the rest. The app origin differs by platform: `tauri://localhost` on macOS
//! and Linux, `http(s)://tauri.localhost` on Windows.

use url::Url;

pub fn is_app_url(url: &Url) -> bool {
    if !url.username().is_empty() || url.password().is_some() || url.port().is_some() {
        return false;
    }
    matches!(
        (url.scheme(), url.host_str()),
        ("tauri", Some("localhost")) | ("http" | "https", Some("tauri.localhost"))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(raw: &str) -> bool {
        is_app_url(&Url::parse(raw).unwrap())
    }

    #[test]
    fn app_origins_are_allowed() {
        assert!(allowed("tauri://localhost"));
        assert!(allowed("tauri://localhost/index.html#help"));
        assert!(allowed("http://tauri.localhost/"));
        assert!(allowed("https://tauri.localhost/settings"));
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
