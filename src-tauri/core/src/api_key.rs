//! The shape check a pasted API key must pass before it touches the keychain. Providers do
//! not document their formats precisely, so this checks only what is always safe: length
//! bounds and printable ASCII without whitespace. A live call is the real test.

use crate::error::{Error, Result};
use crate::provider::Provider;

pub const MIN_LEN: usize = 16;
pub const MAX_LEN: usize = 256;

pub fn check_format(provider: Provider, key: &str) -> Result<()> {
    let name = provider.display_name();
    if key.len() < MIN_LEN {
        return Err(Error::invalid_input(format!(
            "That {name} key is too short. Copy the whole key from your {name} dashboard."
        )));
    }
    if key.len() > MAX_LEN {
        return Err(Error::invalid_input(format!(
            "That {name} key is too long. Paste only the key itself."
        )));
    }
    if !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::invalid_input(format!(
            "That {name} key contains spaces or characters a key never has. Paste only the key itself."
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn accepts_documented_shapes() {
        let eleven = format!("sk_{}", "0123456789abcdef".repeat(3));
        assert!(check_format(Provider::ElevenLabs, &eleven).is_ok());
        assert!(check_format(Provider::ElevenLabs, &"a1".repeat(16)).is_ok());
        assert!(check_format(Provider::Tavus, "tvsk_Example-Key_1234").is_ok());
    }

    #[test]
    fn refuses_bad_shapes_without_echoing_the_key() {
        let secretish = "sk_THIS_SHOULD_NOT_ECHO";
        for bad in [
            "short".to_string(),
            "x".repeat(MAX_LEN + 1),
            format!("{secretish} with spaces"),
            format!("{secretish}\n"),
            format!("{secretish}\u{7f}"),
            format!("{secretish}é"),
            format!(" {secretish}"),
        ] {
            let error = check_format(Provider::Tavus, &bad).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidInput);
            assert!(!error.message.contains("ECHO"), "{}", error.message);
            assert!(error.message.contains("Tavus"));
        }
    }
}
