//! Which websocket URLs an agent session may open.
//!
//! The signed URL comes from ElevenLabs' answer, not from Serene, so it is checked before
//! anything connects: a changed API, a compromised response or a bug must not make Serene
//! stream the microphone to another host.

use url::Url;

use crate::endpoints::Endpoints;
use crate::error::{Error, Result};

/// The hosts whose websockets serve agents (`shared/contracts/elevenlabs.md`, Transport).
pub const AGENT_HOSTS: [&str; 4] = [
    "api.elevenlabs.io",
    "api.us.elevenlabs.io",
    "api.eu.residency.elevenlabs.io",
    "api.in.residency.elevenlabs.io",
];

const AGENT_PATH_PREFIX: &str = "/v1/convai/";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentUrlPolicy {
    /// Only ever set in an `e2e` build, and `check` ignores it in any other.
    loopback_ws: bool,
}

impl AgentUrlPolicy {
    /// Only `wss://` on the ElevenLabs hosts, default port, `/v1/convai/...`.
    pub fn production() -> Self {
        Self { loopback_ws: false }
    }

    /// The policy for this build's endpoints: in an `e2e` build whose ElevenLabs endpoint
    /// is a loopback fake, plain `ws://` on loopback is accepted too. Otherwise production.
    pub fn for_endpoints(endpoints: &Endpoints) -> Self {
        #[cfg(feature = "e2e")]
        let loopback_ws = crate::endpoints::loopback_http(endpoints.elevenlabs.as_str()).is_some();
        #[cfg(not(feature = "e2e"))]
        let (loopback_ws, _) = (false, endpoints);
        Self { loopback_ws }
    }

    /// Parses and checks a signed URL. The error never repeats the URL: it is a credential.
    pub fn check(&self, raw: &str) -> Result<Url> {
        let url = Url::parse(raw).map_err(|_| refused())?;
        let plain_loopback = cfg!(feature = "e2e") && self.loopback_ws && is_loopback_ws(&url);
        let production = url.scheme() == "wss"
            && url.port().is_none()
            && matches!(url.host(), Some(url::Host::Domain(host)) if AGENT_HOSTS.contains(&host));
        let clean = url.username().is_empty()
            && url.password().is_none()
            && url.fragment().is_none()
            && url.path().starts_with(AGENT_PATH_PREFIX);
        if clean && (production || plain_loopback) {
            Ok(url)
        } else {
            Err(refused())
        }
    }
}

fn is_loopback_ws(url: &Url) -> bool {
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name == "localhost",
        None => false,
    };
    url.scheme() == "ws" && loopback
}

fn refused() -> Error {
    Error::not_allowed(
        "ElevenLabs sent a conversation link Serene does not trust, so it was not opened.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_parser_drops_the_default_port() {
        // `check` relies on this to accept `:443` and refuse every other port.
        let url = Url::parse("wss://api.elevenlabs.io:443/v1/convai/conversation").unwrap();
        assert_eq!(url.port(), None);
    }

    #[test]
    fn production_policy_accepts_the_agent_hosts() {
        let policy = AgentUrlPolicy::production();
        for host in AGENT_HOSTS {
            let raw =
                format!("wss://{host}/v1/convai/conversation?agent_id=a&conversation_signature=s");
            assert!(policy.check(&raw).is_ok(), "{host}");
        }
    }

    #[test]
    fn refusal_never_repeats_the_url() {
        let error = AgentUrlPolicy::production()
            .check("wss://evil.test/v1/convai/conversation?conversation_signature=secret")
            .unwrap_err();
        assert!(!error.message.contains("secret"));
        assert!(!error.message.contains("evil"));
    }
}
