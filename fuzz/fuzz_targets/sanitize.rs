//! The text sanitiser (`policy::text::sanitize`), for the one field the app has (the
//! session topic) and for a field whose limit the input picks: never panics;
//! what it returns is trimmed, holds no control character but `\n` and none of the
//! invisible formatting characters it strips, and never exceeds the field's limit.

#![no_main]

use libfuzzer_sys::fuzz_target;
use serene_core::policy::text::{sanitize, Field};
use serene_core::ErrorCode;

/// `service::video::TOPIC`, which is not public (`service::video` is a private module).
const TOPIC: Field = Field {
    label: "what you'd like to talk about",
    max_chars: 2000,
};

/// The characters the sanitiser documents as stripped besides controls (see text.rs).
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{00AD}')
}

fn check(field: Field, input: &str) {
    match sanitize(field, input) {
        Ok(out) => {
            assert!(
                out.chars().count() <= field.max_chars,
                "over the limit of {}: {out:?}",
                field.max_chars
            );
            assert!(
                out.chars().all(|c| c == '\n' || !c.is_control()),
                "a control character survived: {out:?}"
            );
            assert!(
                !out.chars().any(is_invisible_format),
                "an invisible character survived: {out:?}"
            );
            assert_eq!(out.trim(), out, "not trimmed");
        }
        Err(error) => assert_eq!(error.code, ErrorCode::InvalidInput),
    }
}

fuzz_target!(|data: &[u8]| {
    // The first two bytes pick a limit (0 to 65535) for the second field.
    let (limit, text) = match data {
        [a, b, rest @ ..] => (usize::from(u16::from_le_bytes([*a, *b])), rest),
        _ => (0, data),
    };
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    check(TOPIC, text);
    // Labels only shape the error message (capitalised); try an empty and a non-ASCII one.
    for label in ["", "\u{df}tudy topic", "topic"] {
        check(
            Field {
                label,
                max_chars: limit,
            },
            text,
        );
    }
});
