//! A burst of 1,000 concurrent catalogue calls with a working key: the upstream sees at
//! most the gateway's local limit (10 a minute), every other call is refused locally as
//! `rate_limited` with a `retryAfterSeconds`, and nothing hangs.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use serene_core::endpoints::Endpoints;
use serene_core::gateway::{Gateway, Limits};
use serene_core::policy::rate_limit::RollingWindow;
use serene_core::provider::Provider;
use serene_core::service::Service;
use serene_core::vault::SecretStore;
use serene_core::{Error, ErrorCode};
use support::{dirs, key, MemoryStore, ELEVEN_KEY, TAVUS_KEY};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const BURST: usize = 1_000;
/// What `Gateway::new` (the app's gateway) allows: `RollingWindow::upstream_calls()`.
const LOCAL_LIMIT: usize = 10;

/// A fake Tavus and ElevenLabs that answer every catalogue call.
async fn upstream() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/replicas"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [{"replica_id": "r1", "replica_name": "Anna"}],
            "total_count": 1
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/voices"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "voices": [{"voice_id": "v1", "name": "Calm"}]
        })))
        .mount(&server)
        .await;
    server
}

/// A service with both keys saved and the app's own local limit. Timeouts are generous so
/// that a slow machine cannot turn an admitted call into a timeout.
fn service(server: &MockServer, dir: &std::path::Path) -> Arc<Service<MemoryStore>> {
    let endpoints = Endpoints {
        tavus: server.uri().parse().unwrap(),
        elevenlabs: server.uri().parse().unwrap(),
    };
    let limits = Limits {
        request_timeout: Duration::from_secs(20),
        ..support::limits()
    };
    let gateway = Gateway::with_limits(endpoints, limits, RollingWindow::upstream_calls()).unwrap();
    let store = MemoryStore::default();
    // Straight into the store: `set_key` would check the key live, an upstream call of its own.
    store
        .write(Provider::Tavus.key_account(), &key(TAVUS_KEY))
        .unwrap();
    store
        .write(Provider::ElevenLabs.key_account(), &key(ELEVEN_KEY))
        .unwrap();
    Arc::new(
        Service::new(store, gateway, dirs(dir)).confirming_with(serene_core::confirm::AcceptAll),
    )
}

async fn requests_to(server: &MockServer, route: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|request| request.url.path() == route)
        .count()
}

/// Every refusal is the local limit's, with a wait the UI can show.
fn assert_locally_refused(refused: &[Error]) {
    for error in refused {
        assert_eq!(error.code, ErrorCode::RateLimited, "{error:?}");
        let wait = error.retry_after_seconds.expect("retryAfterSeconds is set");
        assert!((1..=60).contains(&wait), "retryAfterSeconds {wait}");
        let json = serde_json::to_value(error).unwrap();
        assert_eq!(json["retryAfterSeconds"], wait);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_catalogue_calls_reaches_the_upstream_at_most_the_local_limit() {
    let server = upstream().await;
    let dir = tempfile::tempdir().unwrap();
    let service = service(&server, dir.path());

    let started = Instant::now();
    let calls: Vec<_> = (0..BURST)
        .map(|_| {
            let service = service.clone();
            tokio::spawn(async move { service.replicas().await })
        })
        .collect();
    let mut answered = Vec::with_capacity(BURST);
    for call in calls {
        let outcome = tokio::time::timeout(Duration::from_secs(30), call)
            .await
            .expect("every call of the burst is answered")
            .expect("no call panics");
        answered.push(outcome);
    }
    let took = started.elapsed();
    println!("{BURST} calls answered in {took:?}");

    let (ok, refused): (Vec<_>, Vec<_>) = answered.into_iter().partition(Result::is_ok);
    let refused: Vec<Error> = refused.into_iter().map(Result::unwrap_err).collect();
    let seen = requests_to(&server, "/v2/replicas").await;
    assert!(
        seen <= LOCAL_LIMIT,
        "the upstream saw {seen} requests of a {BURST}-call burst"
    );
    assert_eq!(ok.len(), seen, "every admitted call answered");
    assert_eq!(ok.len(), LOCAL_LIMIT, "the limit admits exactly its budget");
    assert_eq!(refused.len(), BURST - LOCAL_LIMIT);
    assert_locally_refused(&refused);
    assert!(took < Duration::from_secs(20), "the burst took {took:?}");

    // The budget stays spent: the next call is refused too, without reaching the fake.
    let next = service.replicas().await.unwrap_err();
    assert_locally_refused(&[next]);
    assert_eq!(requests_to(&server, "/v2/replicas").await, seen);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_across_both_providers_stays_within_the_limit_for_each() {
    let server = upstream().await;
    let dir = tempfile::tempdir().unwrap();
    let service = service(&server, dir.path());

    let calls: Vec<_> = (0..BURST)
        .map(|i| {
            let service = service.clone();
            tokio::spawn(async move {
                if i % 2 == 0 {
                    service.replicas().await
                } else {
                    service.voices().await
                }
            })
        })
        .collect();
    let mut refused = Vec::new();
    let mut ok = 0;
    for call in calls {
        match tokio::time::timeout(Duration::from_secs(30), call)
            .await
            .expect("every call of the burst is answered")
            .expect("no call panics")
        {
            Ok(_) => ok += 1,
            Err(error) => refused.push(error),
        }
    }
    let tavus = requests_to(&server, "/v2/replicas").await;
    let elevenlabs = requests_to(&server, "/v2/voices").await;
    println!("the fakes saw Tavus {tavus}, ElevenLabs {elevenlabs}; {ok} calls succeeded");
    assert!(tavus <= LOCAL_LIMIT, "Tavus saw {tavus} requests");
    assert!(
        elevenlabs <= LOCAL_LIMIT,
        "ElevenLabs saw {elevenlabs} requests"
    );
    assert_eq!(ok, tavus + elevenlabs, "every admitted call answered");
    assert_eq!(refused.len(), BURST - ok);
    assert_locally_refused(&refused);
}
