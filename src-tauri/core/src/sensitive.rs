//! `Sensitive<T>`: a value (an API key) that may come *from* the UI but never goes back.
//!
//! It deserialises, but deliberately has no `Serialize` impl, so a struct holding one
//! cannot be returned over IPC or written to JSON: that is a compile error, not a review
//! comment. `Debug` and `Display` print `<redacted>`, so it cannot leak into a log line,
//! and the inner value is zeroised on drop.

use std::fmt;

use serde::{Deserialize, Deserializer};
use zeroize::Zeroize;

pub const REDACTED: &str = "<redacted>";

pub struct Sensitive<T: Zeroize>(T);

impl<T: Zeroize> Sensitive<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The only way to read the secret. Call sites are few and reviewed: the vault and the
    /// request signer.
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// For filling a secret in place (a derived key, a buffer being decrypted).
    pub fn expose_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: Zeroize> Drop for Sensitive<T> {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl<T: Zeroize> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<T: Zeroize> fmt::Display for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<'de, T: Zeroize + Deserialize<'de>> Deserialize<'de> for Sensitive<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Sensitive)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use static_assertions::assert_not_impl_any;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    assert_not_impl_any!(Sensitive<String>: serde::Serialize, Clone);

    #[test]
    fn formats_as_redacted() {
        let key: Sensitive<String> = serde_json::from_str("\"sk_live_value\"").unwrap();
        assert_eq!(format!("{key}"), REDACTED);
        assert_eq!(format!("{key:?}"), REDACTED);
        assert_eq!(format!("{:?}", Some(&key)), "Some(<redacted>)");
        assert_eq!(key.expose(), "sk_live_value");
    }

    struct Probe(Arc<AtomicBool>);
    impl Zeroize for Probe {
        fn zeroize(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    #[test]
    fn zeroises_on_drop() {
        let wiped = Arc::new(AtomicBool::new(false));
        let secret = Sensitive::new(Probe(wiped.clone()));
        assert!(!wiped.load(Ordering::SeqCst));
        drop(secret);
        assert!(wiped.load(Ordering::SeqCst));
    }
}
