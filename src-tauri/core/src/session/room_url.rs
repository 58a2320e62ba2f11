//! The room URL Tavus returns is third-party input that decides what a webview (or the
//! system browser) loads. It must be exactly `https://tavus.daily.co/<id>` with at most a
//! `t` token query. URL parsers silently repair odd input (whitespace, missing slashes,
//! `%2e%2e`, default ports), so any input whose re-serialised form differs from the raw
//! string is refused, and only the re-serialised URL is ever handed on.

use url::{Host, Url};

pub const ROOM_HOST: &str = "tavus.daily.co";
const MAX_SEGMENT: usize = 128;
const MAX_TOKEN: usize = 4096;

/// Why a room URL was refused (for the log; never the URL itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Unparsable,
    NotCanonical,
    Scheme,
    Host,
    Credentials,
    Port,
    Fragment,
    Path,
    Query,
}

/// Validates against the one documented shape. `test_origin` (e2e builds only) also allows
/// one loopback `http://127.0.0.1:PORT` origin, with the same path and query rules.
pub fn validate(raw: &str, test_origin: Option<&Url>) -> Result<Url, Refusal> {
    let url = Url::parse(raw).map_err(|_| Refusal::Unparsable)?;
    if url.as_str() != raw {
        return Err(Refusal::NotCanonical);
    }
    let is_test_origin = test_origin.is_some_and(|origin| {
        url.scheme() == "http"
            && url.host() == origin.host()
            && url.port() == origin.port()
            && origin.port().is_some()
    });
    if !is_test_origin {
        if url.scheme() != "https" {
            return Err(Refusal::Scheme);
        }
        if url.host() != Some(Host::Domain(ROOM_HOST)) {
            return Err(Refusal::Host);
        }
        if url.port().is_some() {
            return Err(Refusal::Port);
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Refusal::Credentials);
    }
    if url.fragment().is_some() {
        return Err(Refusal::Fragment);
    }
    let segment = url.path().strip_prefix('/').ok_or(Refusal::Path)?;
    let segment_ok = !segment.is_empty()
        && segment.len() <= MAX_SEGMENT
        && segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !segment_ok {
        return Err(Refusal::Path);
    }
    if let Some(query) = url.query() {
        let token = query.strip_prefix("t=").ok_or(Refusal::Query)?;
        let token_ok = !token.is_empty()
            && token.len() <= MAX_TOKEN
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !token_ok {
            return Err(Refusal::Query);
        }
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_exactly_the_documented_shape() {
        for good in [
            "https://tavus.daily.co/c123abc",
            "https://tavus.daily.co/c0fe2e8d-71b1_x",
            "https://tavus.daily.co/c123abc?t=eyJhbGciOi.J9-_x",
        ] {
            assert_eq!(validate(good, None).unwrap().as_str(), good);
        }
    }

    #[test]
    fn refuses_hostile_and_repaired_input() {
        let cases = [
            ("https://evil.test/c123", Refusal::Host),
            ("http://tavus.daily.co/c123", Refusal::Scheme),
            ("https://user:pw@tavus.daily.co/c123", Refusal::Credentials),
            ("https://tavus.daily.co:8443/c123", Refusal::Port),
            ("https://tavus.daily.co:443/c123", Refusal::NotCanonical),
            ("javascript:alert(1)", Refusal::Scheme),
            ("https://tavus.daily.co.evil.test/x", Refusal::Host),
            ("https://evil.test/tavus.daily.co", Refusal::Host),
            ("https://tavus.daily.co/../admin", Refusal::NotCanonical),
            ("https://tavus.daily.co/%2e%2e/admin", Refusal::NotCanonical),
            ("https://tavus.daily.co/a/b", Refusal::Path),
            ("https://tavus.daily.co/", Refusal::Path),
            ("https://tavus.daily.co/c123/", Refusal::Path),
            ("https://tavus.daily.co/c123#frag", Refusal::Fragment),
            ("https://tavus.daily.co/c123?x=1", Refusal::Query),
            ("https://tavus.daily.co/c123?t=a&x=1", Refusal::Query),
            ("https://tavus.daily.co/c123?t=", Refusal::Query),
            (" https://tavus.daily.co/c123", Refusal::NotCanonical),
            ("https://tavus.daily.co/c123\n", Refusal::NotCanonical),
            ("https:tavus.daily.co/c123", Refusal::NotCanonical),
            ("HTTPS://TAVUS.DAILY.CO/c123", Refusal::NotCanonical),
            ("https://TAVUS.daily.co/c123", Refusal::NotCanonical),
            ("https://tavus.daily.co./c123", Refusal::Host),
            ("https://xn--tavus-daily-co.test/c", Refusal::Unparsable),
            ("wss://tavus.daily.co/c123", Refusal::Scheme),
            ("", Refusal::Unparsable),
        ];
        for (raw, expected) in cases {
            assert_eq!(validate(raw, None), Err(expected), "{raw:?}");
        }
    }

    #[test]
    fn a_test_origin_is_only_that_loopback_origin() {
        let origin = Url::parse("http://127.0.0.1:4567").unwrap();
        assert!(validate("http://127.0.0.1:4567/room1", Some(&origin)).is_ok());
        assert!(validate("http://127.0.0.1:4568/room1", Some(&origin)).is_err());
        assert!(validate("http://127.0.0.1:4567/a/b", Some(&origin)).is_err());
        assert!(validate("http://127.0.0.1/room1", Some(&origin)).is_err());
        // Without it, loopback is refused like any other host.
        assert!(validate("http://127.0.0.1:4567/room1", None).is_err());
    }
}
