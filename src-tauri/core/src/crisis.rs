//! Crisis-help links the core may open in the system browser.
//!
//! The UI names a link by id; only the core knows URLs, so a compromised page cannot make
//! Serene open an arbitrary address. The phone numbers themselves live in the UI bundle
//! so that the help dialog works offline and even if IPC fails.

use url::Url;

use crate::error::{Error, Result};

/// `(id, url)`: every external address Serene will ever hand to the system opener.
pub const HELP_LINKS: &[(&str, &str)] = &[
    ("findahelpline", "https://findahelpline.com/"),
    ("us-988", "https://988lifeline.org/"),
    ("ca-988", "https://988.ca/"),
    ("uk-ie-samaritans", "https://www.samaritans.org/"),
    ("au-lifeline", "https://www.lifeline.org.au/"),
];

const MAX_ID_LEN: usize = 32;

/// Resolves a help-link id from the UI to its allowlisted HTTPS URL.
pub fn help_link(id: &str) -> Result<Url> {
    if id.is_empty() || id.len() > MAX_ID_LEN {
        return Err(Error::invalid_input("That help link is not known."));
    }
    let (_, url) = HELP_LINKS
        .iter()
        .find(|(known, _)| *known == id)
        .ok_or_else(|| Error::not_allowed("That help link is not known."))?;
    Url::parse(url).map_err(|_| Error::internal())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn every_link_is_https_and_parses() {
        for (id, _) in HELP_LINKS {
            let url = help_link(id).unwrap();
            assert_eq!(url.scheme(), "https", "{id}");
            assert!(url.username().is_empty() && url.port().is_none(), "{id}");
        }
    }

    #[test]
    fn unknown_or_hostile_ids_are_refused() {
        assert_eq!(
            help_link("https://evil.test").unwrap_err().code,
            ErrorCode::NotAllowed
        );
        assert_eq!(
            help_link("findahelpline ").unwrap_err().code,
            ErrorCode::NotAllowed
        );
        assert_eq!(help_link("").unwrap_err().code, ErrorCode::InvalidInput);
        assert_eq!(
            help_link(&"a".repeat(10_000)).unwrap_err().code,
            ErrorCode::InvalidInput
        );
    }
}
