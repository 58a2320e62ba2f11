//! Text that goes upstream (to Tavus or ElevenLabs) is normalised (NFC), stripped of control
//! and invisible formatting characters (newlines kept), trimmed, and held to a per-field
//! limit. Over the limit is an error that names the field, never a silent cut.

use unicode_normalization::UnicodeNormalization;

use crate::error::{Error, Result};

/// A field's name as a person reads it ("what you'd like to talk about") and its limit in
/// characters.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub label: &'static str,
    pub max_chars: usize,
}

pub fn sanitize(field: Field, input: &str) -> Result<String> {
    // Stripped first, then normalised: removing a character between a letter and its
    // accent must still leave composed (NFC) text.
    let cleaned: String = input
        .chars()
        .filter(|c| *c == '\n' || !(c.is_control() || is_invisible_format(*c)))
        .nfc()
        .collect();
    let trimmed = cleaned.trim();
    let count = trimmed.chars().count();
    if count > field.max_chars {
        return Err(Error::invalid_input(format!(
            "{} is too long: {} characters, and the limit is {}.",
            capitalise(field.label),
            count,
            field.max_chars
        )));
    }
    Ok(trimmed.to_string())
}

/// Text from a provider (a replica, persona, voice or agent name, a transcript, release
/// notes) made safe to show: control characters (but line breaks), bidirectional controls
/// and zero-width characters removed, so no name can reorder or hide what is around it;
/// normalised; and cut to `max_chars`, since nothing upstream bounds it.
pub fn for_display(input: &str, max_chars: usize) -> String {
    let cleaned: String = input
        .chars()
        .filter(|c| *c == '\n' || !(c.is_control() || is_invisible_format(*c) || is_bidi_mark(*c)))
        .nfc()
        .collect();
    let trimmed = cleaned.trim();
    if trimmed.chars().count() <= max_chars {
        return trimmed.to_string();
    }
    let mut cut: String = trimmed.chars().take(max_chars.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Arabic letter mark and Mongolian vowel separator: also invisible direction controls.
fn is_bidi_mark(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{180E}')
}

/// Bidirectional overrides and zero-width characters: invisible, and used to disguise text.
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{00AD}')
}

fn capitalise(label: &str) -> String {
    let mut chars = label.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn provider_text_loses_every_hidden_control_and_is_capped() {
        let name = "Anna\u{202E}gnp.exe\u{200B}\u{2066}x\u{2069}\u{061C}\u{FEFF}\u{1b}[31m";
        assert_eq!(for_display(name, 80), "Annagnp.exex[31m");
        let long = "é".repeat(100);
        let shown = for_display(&long, 10);
        assert_eq!(shown.chars().count(), 10);
        assert!(shown.ends_with('…'));
        assert_eq!(
            for_display("  line one\nline two  ", 80),
            "line one\nline two"
        );
        assert_eq!(for_display("e\u{301}", 80), "é", "composed");
    }

    const TOPIC: Field = Field {
        label: "what you'd like to talk about",
        max_chars: 20,
    };

    #[test]
    fn keeps_newlines_and_strips_controls() {
        let out = sanitize(TOPIC, "  hi\u{0}\u{7}\r\nthere\t\u{1b}[31m ").unwrap();
        assert_eq!(out, "hi\nthere[31m");
    }

    #[test]
    fn strips_bidi_and_zero_width_characters() {
        assert_eq!(
            sanitize(TOPIC, "a\u{202E}b\u{200B}c\u{FEFF}").unwrap(),
            "abc"
        );
    }

    #[test]
    fn normalises_to_nfc() {
        // "é" as e + combining acute becomes one code point.
        assert_eq!(sanitize(TOPIC, "cafe\u{301}").unwrap(), "caf\u{e9}");
    }

    #[test]
    fn over_the_limit_names_the_field() {
        let error = sanitize(TOPIC, &"a".repeat(21)).unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidInput);
        assert_eq!(
            error.message,
            "What you'd like to talk about is too long: 21 characters, and the limit is 20."
        );
    }

    #[test]
    fn limit_counts_characters_after_cleaning() {
        let input = format!("  {}\u{0}\u{0}  ", "é".repeat(20));
        assert_eq!(sanitize(TOPIC, &input).unwrap().chars().count(), 20);
    }

    #[test]
    fn stripping_a_character_between_letter_and_accent_still_leaves_nfc() {
        // Found by the sanitiser fuzz target: normalising before stripping left "e\u{301}".
        assert_eq!(sanitize(TOPIC, "e\u{200B}\u{301}").unwrap(), "\u{e9}");
    }
}
