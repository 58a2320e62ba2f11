#![allow(dead_code)]

use std::time::Duration;

pub mod counting_alloc;
pub mod eleven_bodies;
pub mod tavus_fake;

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

/// The app's directories, all under one temporary root.
pub fn dirs(root: &std::path::Path) -> serene_core::privacy::local::LocalDirs {
    serene_core::privacy::local::LocalDirs {
        config: root.join("config"),
        data: root.join("data"),
        local_data: root.join("local-data"),
        cache: root.join("cache"),
        logs: root.join("logs"),
    }
}

/// Answers the live check every key passes before it is saved (Tavus: a one-replica page;
/// ElevenLabs: the model list), as each provider does for a good key.
pub async fn mount_key_checks(server: &wiremock::MockServer) {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, ResponseTemplate};
    Mock::given(method("GET"))
        .and(path("/v2/replicas"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"data": [], "total_count": 0})),
        )
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/models"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!([])))
        .mount(server)
        .await;
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

/// A secret store kept in one JSON file: for tests whose keys must outlive a process.
pub struct FileStore(pub std::path::PathBuf);

impl FileStore {
    fn load(&self) -> std::collections::HashMap<String, String> {
        std::fs::read(&self.0)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }
    fn save(&self, map: &std::collections::HashMap<String, String>) {
        let tmp = self.0.with_extension("tmp");
        std::fs::write(&tmp, serde_json::to_vec(map).unwrap()).unwrap();
        std::fs::rename(tmp, &self.0).unwrap();
    }
}

impl serene_core::vault::SecretStore for FileStore {
    fn read(
        &self,
        account: &str,
    ) -> Result<Option<Sensitive<String>>, serene_core::vault::StoreFault> {
        Ok(self.load().get(account).cloned().map(Sensitive::new))
    }
    fn write(
        &self,
        account: &str,
        secret: &Sensitive<String>,
    ) -> Result<(), serene_core::vault::StoreFault> {
        let mut map = self.load();
        map.insert(account.into(), secret.expose().clone());
        self.save(&map);
        Ok(())
    }
    fn delete(&self, account: &str) -> Result<(), serene_core::vault::StoreFault> {
        let mut map = self.load();
        map.remove(account);
        self.save(&map);
        Ok(())
    }
}

/// Deletion's pacing on a virtual clock: every wait moves the clock on at once, so the
/// real intervals and back-offs are kept and checked without taking real minutes.
#[derive(Default)]
pub struct VirtualPacer {
    pub now_ms: std::sync::Arc<std::sync::atomic::AtomicU64>,
    pub waits: std::sync::Mutex<Vec<Duration>>,
}

impl serene_core::service::Pacer for VirtualPacer {
    fn sleep(&self, duration: Duration) -> futures_util::future::BoxFuture<'static, ()> {
        self.now_ms.fetch_add(
            duration.as_millis() as u64,
            std::sync::atomic::Ordering::SeqCst,
        );
        self.waits.lock().unwrap().push(duration);
        Box::pin(tokio::task::yield_now())
    }
}

/// A gateway with the app's real ordinary limit (10 calls a minute).
pub fn gateway_with_real_limit(tavus: &str) -> Gateway {
    let endpoints = Endpoints {
        tavus: tavus.parse().unwrap(),
        elevenlabs: tavus.parse().unwrap(),
    };
    Gateway::with_limits(endpoints, limits(), RollingWindow::upstream_calls()).unwrap()
}
