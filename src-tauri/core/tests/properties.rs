//! Property tests: the room-URL validator, the text sanitiser, the key format check and
//! the readers of the files Serene keeps never panic, and hold their promises on any input.

use proptest::prelude::*;
use serene_core::api_key::{check_format, MAX_LEN, MIN_LEN};
use serene_core::policy::text::{sanitize, Field};
use serene_core::privacy::audit::{AuditLog, Head};
use serene_core::privacy::sealed::Sealer;
use serene_core::provider::Provider;
use serene_core::session::room_url::validate;
use serene_core::settings::SettingsFile;
use serene_core::Sensitive;

const FIELD: Field = Field {
    label: "topic",
    max_chars: 200,
};

fn sealer() -> Sealer {
    Sealer::new(&Sensitive::new(vec![7u8; 32])).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_validator_accepts_exactly_the_documented_shape(raw in any::<String>()) {
        if let Ok(url) = validate(&raw, None) {
            prop_assert_eq!(url.as_str(), raw.as_str());
            prop_assert_eq!(url.scheme(), "https");
            prop_assert_eq!(url.host_str(), Some("tavus.daily.co"));
            prop_assert!(url.port().is_none() && url.username().is_empty() && url.fragment().is_none());
            let segments: Vec<_> = url.path_segments().unwrap().collect();
            prop_assert_eq!(segments.len(), 1);
            prop_assert!(url.query().is_none_or(|q| q.starts_with("t=") && !q.contains('&')));
        }
    }

    /// URLs built from parts, each either the documented one or a near miss: accepted
    /// exactly when every part is the documented one.
    #[test]
    fn a_url_is_accepted_exactly_when_every_part_is_the_documented_one(
        scheme in 0usize..3,
        userinfo in 0usize..3,
        host in 0usize..4,
        port in 0usize..3,
        path in 0usize..3,
        query in 0usize..4,
        fragment in 0usize..2,
        id in "[A-Za-z0-9_-]{1,40}",
        token in "[A-Za-z0-9._-]{1,60}",
    ) {
        let schemes = ["https", "http", "wss"];
        let userinfos = ["", "user@", "user:pw@"];
        let hosts = ["tavus.daily.co", "evil.test", "a.tavus.daily.co", "tavus.daily.co.evil.test"];
        let ports = ["", ":443", ":8443"];
        let paths = [format!("/{id}"), format!("/{id}/more"), "/".to_string()];
        let queries = [String::new(), format!("?t={token}"), "?x=1".to_string(), format!("?t={token}&x=1")];
        let fragments = ["", "#part"];
        let raw = format!(
            "{}://{}{}{}{}{}{}",
            schemes[scheme], userinfos[userinfo], hosts[host], ports[port], paths[path],
            queries[query], fragments[fragment]
        );
        let documented = scheme == 0 && userinfo == 0 && host == 0 && port == 0 && path == 0
            && query <= 1 && fragment == 0;
        prop_assert_eq!(validate(&raw, None).is_ok(), documented, "{}", raw);
    }

    #[test]
    fn every_well_formed_room_is_accepted(
        id in "[A-Za-z0-9_-]{1,64}",
        token in proptest::option::of("[A-Za-z0-9._-]{1,200}"),
    ) {
        let raw = match &token {
            Some(t) => format!("https://tavus.daily.co/{id}?t={t}"),
            None => format!("https://tavus.daily.co/{id}"),
        };
        prop_assert!(validate(&raw, None).is_ok(), "{}", raw);
    }

    #[test]
    fn near_misses_around_a_good_room_are_refused(
        id in "[A-Za-z0-9]{1,20}",
        prefix in "[ \\t\\n]{1,3}|[A-Za-z]{1,5}\\.",
    ) {
        let misses = [
            format!("{prefix}https://tavus.daily.co/{id}"),
            format!("https://{prefix}tavus.daily.co/{id}"),
            format!("https://tavus.daily.co/{id}/{id}"),
            format!("https://tavus.daily.co/{id}#{id}"),
        ];
        for miss in misses {
            prop_assert!(validate(&miss, None).is_err(), "{:?}", miss);
        }
    }

    #[test]
    fn sanitised_text_has_no_controls_and_fits(raw in any::<String>()) {
        if let Ok(clean) = sanitize(FIELD, &raw) {
            prop_assert!(clean.chars().count() <= FIELD.max_chars);
            prop_assert!(clean.chars().all(|c| c == '\n' || !c.is_control()));
            prop_assert_eq!(clean.trim(), clean.as_str());
        }
    }

    #[test]
    fn short_enough_text_is_never_refused(raw in "\\PC{0,150}") {
        prop_assert!(sanitize(FIELD, &raw).is_ok());
    }

    #[test]
    fn the_key_check_accepts_exactly_printable_ascii_within_bounds(raw in any::<String>()) {
        let ok = (MIN_LEN..=MAX_LEN).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic());
        prop_assert_eq!(check_format(Provider::Tavus, &raw).is_ok(), ok);
    }

    #[test]
    fn any_settings_file_opens_or_is_set_aside(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let dir = tempfile::tempdir().unwrap();
        let file = SettingsFile::in_dir(dir.path());
        std::fs::write(file.path(), &bytes).unwrap();
        let (_, notice) = file.load(Some(&sealer()));
        prop_assert!(notice.is_some(), "random bytes opened as settings");
    }

    #[test]
    fn any_audit_log_verifies_or_says_where_it_breaks(
        lines in proptest::collection::vec("[A-Za-z0-9+/=]{0,120}", 0..6),
        head_seq in 0u64..8,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::new(dir.path(), &[3u8; 32]);
        std::fs::write(log.path(), lines.join("\n") + "\n").unwrap();
        let head = (head_seq > 0).then(|| Head { seq: head_seq, mac: "x".into() });
        let (records, check) = log.read_verified(&sealer(), head.as_ref());
        prop_assert!(records.is_empty());
        if !check.intact {
            prop_assert!(check.problem.is_some() && check.problem_at.is_some());
        }
    }
}
