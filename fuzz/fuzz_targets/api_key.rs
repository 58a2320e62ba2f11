//! The API key shape check (`api_key::check_format`) for both providers, and the provider
//! name parser: never panic, and a key passes exactly when it is 16 to 256 bytes of
//! printable ASCII without whitespace.

#![no_main]

use libfuzzer_sys::fuzz_target;
use serene_core::api_key::{check_format, MAX_LEN, MIN_LEN};
use serene_core::provider::Provider;
use serene_core::ErrorCode;

fuzz_target!(|data: &[u8]| {
    let Ok(key) = std::str::from_utf8(data) else {
        return;
    };
    let shaped =
        (MIN_LEN..=MAX_LEN).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic());
    for provider in Provider::ALL {
        match check_format(provider, key) {
            Ok(()) => assert!(shaped, "{provider:?} accepted a bad shape"),
            Err(error) => {
                assert!(!shaped, "{provider:?} refused a good shape");
                assert_eq!(error.code, ErrorCode::InvalidInput);
                assert!(error.message.contains(provider.display_name()));
            }
        }
    }
    if let Ok(provider) = Provider::parse(key) {
        assert_eq!(serde_json::to_value(provider).unwrap(), key);
    }
});
