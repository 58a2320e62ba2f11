//! The room URL validator (`session::room_url::validate`): never panics, and whatever it
//! accepts has exactly the documented shape — `https://tavus.daily.co/<id>` with an
//! optional `?t=<token>` (or, with a test origin, that loopback origin) — is byte-for-byte
//! the input, and validates again to the same URL.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use serene_core::session::room_url::{validate, ROOM_HOST};
use url::Url;

const MAX_SEGMENT: usize = 128;
const MAX_TOKEN: usize = 4096;

fn test_origin() -> &'static Url {
    static ORIGIN: OnceLock<Url> = OnceLock::new();
    ORIGIN.get_or_init(|| Url::parse("http://127.0.0.1:4567").unwrap())
}

fn check_path_and_query(url: &Url, raw: &str) {
    let segment = url.path().strip_prefix('/').expect("path starts with /");
    assert!(
        (1..=MAX_SEGMENT).contains(&segment.len())
            && segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "bad room id accepted: {raw:?}"
    );
    assert_eq!(url.path_segments().map(|s| s.count()), Some(1), "{raw:?}");
    if let Some(query) = url.query() {
        let token = query.strip_prefix("t=").expect("query is t=<token>");
        assert!(
            (1..=MAX_TOKEN).contains(&token.len())
                && token
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')),
            "bad token accepted: {raw:?}"
        );
    }
    assert!(url.fragment().is_none(), "fragment accepted: {raw:?}");
    assert!(
        url.username().is_empty() && url.password().is_none(),
        "credentials accepted: {raw:?}"
    );
}

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };

    let production = validate(raw, None);
    if let Ok(url) = &production {
        assert_eq!(url.as_str(), raw, "accepted a repaired URL");
        assert_eq!(url.scheme(), "https", "{raw:?}");
        assert_eq!(url.host_str(), Some(ROOM_HOST), "{raw:?}");
        assert_eq!(url.port(), None, "{raw:?}");
        check_path_and_query(url, raw);
        assert_eq!(validate(url.as_str(), None).as_ref(), Ok(url), "not stable");
    }

    let origin = test_origin();
    let with_origin = validate(raw, Some(origin));
    if let Ok(url) = &with_origin {
        assert_eq!(url.as_str(), raw, "accepted a repaired URL");
        let is_room =
            url.scheme() == "https" && url.host_str() == Some(ROOM_HOST) && url.port().is_none();
        let is_origin =
            url.scheme() == "http" && url.host() == origin.host() && url.port() == origin.port();
        assert!(is_room || is_origin, "another origin accepted: {raw:?}");
        check_path_and_query(url, raw);
        assert_eq!(
            validate(url.as_str(), Some(origin)).as_ref(),
            Ok(url),
            "not stable"
        );
    }
    // A test origin only ever widens what is accepted.
    if production.is_ok() {
        assert_eq!(with_origin, production, "{raw:?}");
    }
});
