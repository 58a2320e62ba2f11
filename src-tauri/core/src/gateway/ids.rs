//! Ids that end up in a URL path (conversation, voice, agent...) are checked first, so a
//! value from the UI or from upstream can never add a path segment, a query or a host.

use crate::error::{Error, Result};

pub const MAX_ID_LEN: usize = 128;

pub fn check_id<'a>(what: &str, id: &'a str) -> Result<&'a str> {
    let ok = !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(id)
    } else {
        Err(Error::invalid_input(format!(
            "That {what} id is not valid."
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_provider_shaped_ids() {
        for id in [
            "c123abc",
            "21m00Tcm4TlvDq8ikWAM",
            "agent_01-abc",
            "r79e1c033f",
        ] {
            assert_eq!(check_id("voice", id).unwrap(), id);
        }
    }

    #[test]
    fn refuses_anything_that_could_change_the_url() {
        for id in [
            "", "../x", "a/b", "a?b=1", "a#b", "a b", "%2e%2e", "é", "a.b",
        ] {
            assert!(check_id("voice", id).is_err(), "{id:?}");
        }
        assert!(check_id("voice", &"a".repeat(MAX_ID_LEN + 1)).is_err());
    }
}
