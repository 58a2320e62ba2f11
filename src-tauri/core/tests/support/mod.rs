#![allow(dead_code)]

use std::time::Duration;

use serene_core::endpoints::Endpoints;
use serene_core::gateway::{Gateway, Limits};
use serene_core::policy::rate_limit::RollingWindow;
use serene_core::Sensitive;

pub const TAVUS_KEY: &str = "tvsk_fake_contract_key_0001";
pub const ELEVEN_KEY: &str = "sk_fake0000test0000key0000not0000real0000value000";

pub fn limits() -> Limits {
    Limits {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_millis(400),
        stream_idle_timeout: Duration::from_millis(400),
        max_body_bytes: 64 * 1024,
        retries: 2,
        backoff_base: Duration::from_millis(5),
        max_retry_wait: Duration::from_secs(2),
    }
}

/// A gateway pointed at loopback fakes, with short timeouts and no local rate limit.
pub fn gateway(tavus: &str, elevenlabs: &str) -> Gateway {
    let endpoints = Endpoints {
        tavus: tavus.parse().unwrap(),
        elevenlabs: elevenlabs.parse().unwrap(),
    };
    Gateway::with_limits(
        endpoints,
        limits(),
        RollingWindow::new(100_000, Duration::from_secs(60)),
    )
    .unwrap()
}

pub fn key(value: &str) -> Sensitive<String> {
    Sensitive::new(value.to_string())
}

/// An in-memory secret store for tests that are about something other than the keychain.
#[derive(Default)]
pub struct MemoryStore(std::sync::Mutex<std::collections::HashMap<String, String>>);

impl serene_core::vault::SecretStore for MemoryStore {
    fn read(
        &self,
        account: &str,
    ) -> Result<Option<Sensitive<String>>, serene_core::vault::StoreFault> {
        Ok(self
            .0
            .lock()
            .unwrap()
            .get(account)
            .cloned()
            .map(Sensitive::new))
    }
    fn write(
        &self,
        account: &str,
        secret: &Sensitive<String>,
    ) -> Result<(), serene_core::vault::StoreFault> {
        self.0
            .lock()
            .unwrap()
            .insert(account.into(), secret.expose().clone());
        Ok(())
    }
    fn delete(&self, account: &str) -> Result<(), serene_core::vault::StoreFault> {
        self.0.lock().unwrap().remove(account);
        Ok(())
    }
}
