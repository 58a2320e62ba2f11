//! Update policy: which channel's manifest to ask for, which download URLs to accept, and
//! what each refusal means to a person. The signature checks themselves are the updater
//! plugin's (minisign, with the signed version bound to the announced one); the shell maps
//! its errors onto [`Refusal`].

use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::{Error, ErrorCode};

/// The update server. Each channel has its own manifest under it.
pub const UPDATE_BASE_URL: &str = "https://updates.serene.app";

/// e2e builds only: the loopback update server, the test's throwaway public key, and a
/// file that records an install instead of running `dpkg`.
pub const TEST_ENDPOINT_VAR: &str = "SERENE_TEST_UPDATE_ENDPOINT";
pub const TEST_PUBKEY_VAR: &str = "SERENE_TEST_UPDATE_PUBKEY";
pub const TEST_INSTALL_LOG_VAR: &str = "SERENE_TEST_UPDATE_INSTALL_LOG";

/// Longest release-notes text shown; longer notes are cut (the page renders them as text).
pub const MAX_NOTES_CHARS: usize = 4_000;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    #[default]
    Stable,
    Beta,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Stable => "stable",
            Channel::Beta => "beta",
        }
    }
}

/// Where the updater asks for `channel`'s manifest. The `{{…}}` variables are filled in by
/// the updater (operating system, CPU architecture, running version), so the server can
/// answer per platform and hold back a release from versions it would break.
pub fn endpoint(channel: Channel) -> Url {
    endpoint_under(UPDATE_BASE_URL, channel).expect("compiled-in update URL")
}

fn endpoint_under(base: &str, channel: Channel) -> Option<Url> {
    let base = base.trim_end_matches('/');
    Url::parse(&format!(
        "{base}/{}/{{{{target}}}}/{{{{arch}}}}/{{{{current_version}}}}",
        channel.as_str()
    ))
    .ok()
}

/// The endpoint this build uses. A default build ignores `lookup`; an e2e build lets a test
/// point it at a loopback `http://` server (never anything else).
pub fn endpoint_from(channel: Channel, lookup: impl Fn(&str) -> Option<String>) -> Url {
    #[cfg(feature = "e2e")]
    if let Some(base) = lookup(TEST_ENDPOINT_VAR)
        .and_then(|raw| crate::endpoints::loopback_http(&raw))
        .and_then(|url| endpoint_under(url.as_str(), channel))
    {
        return base;
    }
    #[cfg(not(feature = "e2e"))]
    let _ = lookup;
    endpoint(channel)
}

/// Why an update was refused. Each is recorded in the audit log by its `reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The download does not match its signature (changed on the way, or a bad signature).
    BadSignature,
    /// Signed, but by a key this build does not trust.
    UnknownKey,
    /// The signature is for a different version than the one announced: an older release
    /// replayed under a newer number.
    VersionMismatch,
    /// The server announced a version older than the one running.
    Downgrade,
    /// The manifest or download address is not HTTPS.
    Insecure,
    /// The manifest is not a release manifest Serene understands.
    Malformed,
}

impl Refusal {
    pub fn reason(self) -> &'static str {
        match self {
            Refusal::BadSignature => "bad_signature",
            Refusal::UnknownKey => "unknown_key",
            Refusal::VersionMismatch => "version_mismatch",
            Refusal::Downgrade => "downgrade",
            Refusal::Insecure => "insecure_address",
            Refusal::Malformed => "malformed_manifest",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Refusal::BadSignature => "The update did not match its signature, so it may have been changed on the way. Nothing was installed and Serene keeps running as it is.",
            Refusal::UnknownKey => "The update was signed by a key Serene does not trust. Nothing was installed.",
            Refusal::VersionMismatch => "The update's signature belongs to a different version than the one announced, which is how an old release is passed off as new. Nothing was installed.",
            Refusal::Downgrade => "The update server offered an older version than the one you have. Serene never goes back a version, so nothing was installed.",
            Refusal::Insecure => "The update would have been fetched without HTTPS, so Serene refused it. Nothing was installed.",
            Refusal::Malformed => "The update server's answer was not in the expected shape, so Serene ignored it. Nothing was installed.",
        }
    }

    pub fn error(self) -> Error {
        Error::new(ErrorCode::UpdateRefused, self.message())
    }
}

/// A download address must be HTTPS. In an e2e build the one loopback test server may
/// serve plain HTTP; any other `http://` address is still refused.
pub fn check_download_url(url: &Url, test_origin: Option<&Url>) -> Result<(), Refusal> {
    if url.scheme() == "https" && url.username().is_empty() && url.password().is_none() {
        return Ok(());
    }
    match test_origin {
        Some(origin) if cfg!(feature = "e2e") && url.origin() == origin.origin() => Ok(()),
        _ => Err(Refusal::Insecure),
    }
}

/// Release notes as plain text of bounded length, without control characters other than
/// line breaks.
pub fn notes_for_display(raw: Option<&str>) -> String {
    crate::policy::text::for_display(raw.unwrap_or_default(), MAX_NOTES_CHARS)
}

/// What the person sees when an update is available.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export, optional_fields)]
#[serde(rename_all = "camelCase")]
pub struct UpdateOffer {
    pub version: String,
    pub current_version: String,
    pub notes: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

/// Download progress sent to the page while an update downloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export, optional_fields)]
#[serde(rename_all = "camelCase")]
pub struct DownloadProgress {
    pub downloaded: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
}

pub fn session_in_progress() -> Error {
    Error::new(
        ErrorCode::SessionInProgress,
        "Serene will update after your session ends, so nothing interrupts it.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_channel_has_an_https_templated_endpoint() {
        assert_eq!(
            endpoint(Channel::Stable).as_str(),
            "https://updates.serene.app/stable/%7B%7Btarget%7D%7D/%7B%7Barch%7D%7D/%7B%7Bcurrent_version%7D%7D"
        );
        assert!(endpoint(Channel::Beta).path().starts_with("/beta/"));
        for channel in [Channel::Stable, Channel::Beta] {
            assert_eq!(endpoint(channel).scheme(), "https");
        }
    }

    #[test]
    fn a_default_build_ignores_the_test_endpoint() {
        let url = endpoint_from(Channel::Stable, |_| Some("http://127.0.0.1:9/".into()));
        if cfg!(feature = "e2e") {
            assert_eq!(url.host_str(), Some("127.0.0.1"));
        } else {
            assert_eq!(url, endpoint(Channel::Stable));
        }
    }

    #[test]
    fn the_test_endpoint_must_be_loopback() {
        let url = endpoint_from(Channel::Beta, |_| {
            Some("http://updates.example.com/".into())
        });
        assert_eq!(url, endpoint(Channel::Beta));
    }

    #[test]
    fn download_urls_must_be_https() {
        let ok = Url::parse("https://github.com/x/serene_0.2.0_amd64.deb").unwrap();
        assert_eq!(check_download_url(&ok, None), Ok(()));
        for bad in [
            "http://github.com/x/serene.deb",
            "ftp://example.com/serene.deb",
            "file:///tmp/serene.deb",
            "https://user:pw@example.com/serene.deb",
        ] {
            let url = Url::parse(bad).unwrap();
            assert_eq!(
                check_download_url(&url, None),
                Err(Refusal::Insecure),
                "{bad}"
            );
        }
    }

    #[test]
    fn only_the_test_origin_may_be_plain_http_and_only_in_e2e_builds() {
        let origin = Url::parse("http://127.0.0.1:4000/").unwrap();
        let same = Url::parse("http://127.0.0.1:4000/serene.deb").unwrap();
        let other = Url::parse("http://localhost:4000/serene.deb").unwrap();
        let expected = if cfg!(feature = "e2e") {
            Ok(())
        } else {
            Err(Refusal::Insecure)
        };
        assert_eq!(check_download_url(&same, Some(&origin)), expected);
        assert_eq!(
            check_download_url(&other, Some(&origin)),
            Err(Refusal::Insecure)
        );
    }

    #[test]
    fn notes_are_plain_bounded_text() {
        let long = "a".repeat(MAX_NOTES_CHARS + 10);
        assert_eq!(
            notes_for_display(Some(&long)).chars().count(),
            MAX_NOTES_CHARS
        );
        assert_eq!(
            notes_for_display(Some("Safe \u{202E}txt.exe\u{200B}")),
            "Safe txt.exe"
        );
        assert_eq!(
            notes_for_display(Some("Fixes\n\u{1b}[31mred\u{7}")),
            "Fixes\n[31mred"
        );
        assert_eq!(notes_for_display(None), "");
    }

    #[test]
    fn refusals_have_distinct_reasons_and_one_code() {
        let all = [
            Refusal::BadSignature,
            Refusal::UnknownKey,
            Refusal::VersionMismatch,
            Refusal::Downgrade,
            Refusal::Insecure,
            Refusal::Malformed,
        ];
        let reasons: std::collections::BTreeSet<_> = all.iter().map(|r| r.reason()).collect();
        assert_eq!(reasons.len(), all.len());
        assert!(all
            .iter()
            .all(|r| r.error().code == ErrorCode::UpdateRefused));
    }
}
