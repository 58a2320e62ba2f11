//! Provider base URLs. Compiled in; only the test-only `e2e` feature can redirect them,
//! and then only to plain-HTTP loopback fakes.

use url::Url;

pub const TAVUS_BASE_URL: &str = "https://tavusapi.com";
pub const ELEVENLABS_BASE_URL: &str = "https://api.elevenlabs.io";

pub const TAVUS_OVERRIDE_VAR: &str = "SERENE_TAVUS_BASE_URL";
pub const ELEVENLABS_OVERRIDE_VAR: &str = "SERENE_ELEVENLABS_BASE_URL";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub tavus: Url,
    pub elevenlabs: Url,
}

impl Endpoints {
    pub fn production() -> Self {
        Self {
            tavus: Url::parse(TAVUS_BASE_URL).expect("compiled-in URL"),
            elevenlabs: Url::parse(ELEVENLABS_BASE_URL).expect("compiled-in URL"),
        }
    }

    /// The endpoints this build uses, reading the process environment.
    pub fn from_env() -> Self {
        Self::resolve(|name| std::env::var(name).ok())
    }

    /// In a default build this ignores `lookup` entirely.
    pub fn resolve(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let endpoints = Self::production();
        #[cfg(feature = "e2e")]
        let endpoints = {
            let mut endpoints = endpoints;
            if let Some(url) = lookup(TAVUS_OVERRIDE_VAR).and_then(|raw| loopback_http(&raw)) {
                endpoints.tavus = url;
            }
            if let Some(url) = lookup(ELEVENLABS_OVERRIDE_VAR).and_then(|raw| loopback_http(&raw)) {
                endpoints.elevenlabs = url;
            }
            endpoints
        };
        #[cfg(not(feature = "e2e"))]
        let _ = lookup;
        endpoints
    }
}

/// Accepts only `http://` on a loopback address: a test fake, never a real host.
#[cfg_attr(not(feature = "e2e"), allow(dead_code))]
pub(crate) fn loopback_http(raw: &str) -> Option<Url> {
    let url = Url::parse(raw).ok()?;
    let loopback = match url.host()? {
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
        url::Host::Domain(name) => name == "localhost",
    };
    (url.scheme() == "http" && loopback && url.username().is_empty()).then_some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_env(name: &str) -> Option<String> {
        match name {
            TAVUS_OVERRIDE_VAR => Some("http://127.0.0.1:9001".into()),
            ELEVENLABS_OVERRIDE_VAR => Some("http://127.0.0.1:9002".into()),
            _ => None,
        }
    }

    #[test]
    fn production_hosts_are_https() {
        let endpoints = Endpoints::production();
        assert_eq!(endpoints.tavus.as_str(), "https://tavusapi.com/");
        assert_eq!(endpoints.elevenlabs.as_str(), "https://api.elevenlabs.io/");
    }

    #[cfg(not(feature = "e2e"))]
    #[test]
    fn default_build_ignores_override_variables() {
        assert_eq!(Endpoints::resolve(fake_env), Endpoints::production());
        // And through the real process environment, as a launched app would see it.
        std::env::set_var(TAVUS_OVERRIDE_VAR, "http://127.0.0.1:9001");
        std::env::set_var(ELEVENLABS_OVERRIDE_VAR, "http://127.0.0.1:9002");
        assert_eq!(Endpoints::from_env(), Endpoints::production());
    }

    #[cfg(feature = "e2e")]
    #[test]
    fn e2e_build_accepts_only_loopback_http() {
        let endpoints = Endpoints::resolve(fake_env);
        assert_eq!(endpoints.tavus.as_str(), "http://127.0.0.1:9001/");
        assert_eq!(endpoints.elevenlabs.as_str(), "http://127.0.0.1:9002/");
        for hostile in [
            "https://127.0.0.1:9001",
            "http://evil.test",
            "http://10.0.0.1",
            "http://user@127.0.0.1",
            "not a url",
        ] {
            let endpoints = Endpoints::resolve(|_| Some(hostile.to_string()));
            assert_eq!(endpoints, Endpoints::production(), "{hostile}");
        }
    }
}
