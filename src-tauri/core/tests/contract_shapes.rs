//! The fakes' bodies against the providers' own shapes: every ElevenLabs body is checked
//! against its response schema in `shared/contracts/elevenlabs-openapi.json` (types,
//! required fields, enums, `$ref`s, `anyOf`), and the Tavus fake's answers against the
//! fields `shared/contracts/tavus.md` documents. A fake that invents or drops a field fails.

mod support;

use std::path::PathBuf;

use serde_json::{json, Value};
use support::eleven_bodies as eleven;
use support::tavus_fake::{Status, TavusFake};
use support::TAVUS_KEY;

fn contracts() -> PathBuf {
    // The contracts sit beside the project: ../shared/contracts from the repository root.
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    for candidate in [
        root.join("../shared/contracts"),
        root.join("shared/contracts"),
    ] {
        if candidate.join("elevenlabs-openapi.json").is_file() {
            return candidate;
        }
    }
    std::env::var("SERENE_CONTRACTS")
        .map(PathBuf::from)
        .expect("shared/contracts not found; set SERENE_CONTRACTS")
}

fn openapi() -> Value {
    let path = contracts().join("elevenlabs-openapi.json");
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The `200` JSON schema of `method path`.
fn response_schema<'a>(spec: &'a Value, path: &str, method: &str) -> &'a Value {
    &spec["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
}

fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let name = reference.trim_start_matches("#/components/schemas/");
            resolve(spec, &spec["components"]["schemas"][name])
        }
        None => schema,
    }
}

/// Problems with `value` against `schema`, each with its JSON path.
fn check(spec: &Value, schema: &Value, value: &Value, at: &str, problems: &mut Vec<String>) {
    let schema = resolve(spec, schema);
    if let Some(options) = schema.get("anyOf").or_else(|| schema.get("oneOf")) {
        let fits = options.as_array().unwrap().iter().any(|option| {
            let mut inner = Vec::new();
            check(spec, option, value, at, &mut inner);
            inner.is_empty()
        });
        if !fits {
            problems.push(format!("{at}: fits none of its alternatives: {value}"));
        }
        return;
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
        if !allowed.contains(value) {
            problems.push(format!("{at}: {value} is not one of {allowed:?}"));
        }
    }
    if let Some(constant) = schema.get("const") {
        if constant != value {
            problems.push(format!("{at}: {value} is not {constant}"));
        }
    }
    let Some(kind) = schema.get("type").and_then(Value::as_str) else {
        return;
    };
    let ok = match kind {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        _ => true,
    };
    if !ok {
        problems.push(format!("{at}: expected {kind}, got {value}"));
        return;
    }
    match kind {
        "object" => {
            let object = value.as_object().unwrap();
            let properties = schema.get("properties").and_then(Value::as_object);
            for required in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let name = required.as_str().unwrap();
                if !object.contains_key(name) {
                    problems.push(format!("{at}: required field {name} is missing"));
                }
            }
            for (name, field) in object {
                match properties.and_then(|p| p.get(name)) {
                    Some(property) => {
                        check(spec, property, field, &format!("{at}.{name}"), problems)
                    }
                    None => match schema.get("additionalProperties") {
                        Some(Value::Bool(false)) | None if properties.is_some() => {
                            problems.push(format!("{at}: {name} is not in the schema"))
                        }
                        Some(extra @ Value::Object(_)) => {
                            check(spec, extra, field, &format!("{at}.{name}"), problems)
                        }
                        _ => {}
                    },
                }
            }
        }
        "array" => {
            if let Some(items) = schema.get("items") {
                for (i, item) in value.as_array().unwrap().iter().enumerate() {
                    check(spec, items, item, &format!("{at}[{i}]"), problems);
                }
            }
        }
        _ => {}
    }
}

fn assert_fits(spec: &Value, path: &str, method: &str, body: &Value) {
    let schema = response_schema(spec, path, method);
    assert!(!schema.is_null(), "no 200 schema for {method} {path}");
    let mut problems = Vec::new();
    check(spec, schema, body, "$", &mut problems);
    assert!(
        problems.is_empty(),
        "{method} {path}:\n{}",
        problems.join("\n")
    );
}

#[test]
fn elevenlabs_fake_bodies_fit_the_openapi_file() {
    let spec = openapi();
    assert_fits(&spec, "/v1/models", "get", &eleven::models());
    assert_fits(&spec, "/v2/voices", "get", &eleven::voices_page(None));
    assert_fits(&spec, "/v2/voices", "get", &eleven::voices_page(Some("x")));
    assert_fits(
        &spec,
        "/v1/user/subscription",
        "get",
        &eleven::subscription(1200),
    );
    assert_fits(
        &spec,
        "/v1/convai/conversation/get-signed-url",
        "get",
        &eleven::signed_url(
            "wss://api.elevenlabs.io/v1/convai/conversation?agent_id=a&conversation_signature=s",
        ),
    );
    // The declared 422 body.
    let validation = &spec["paths"]["/v1/text-to-speech/{voice_id}/stream"]["post"]["responses"]
        ["422"]["content"]["application/json"]["schema"];
    let mut problems = Vec::new();
    check(
        &spec,
        validation,
        &eleven::validation_error("text"),
        "$",
        &mut problems,
    );
    assert!(problems.is_empty(), "{problems:?}");
}

#[test]
fn the_checker_catches_an_invented_or_missing_field() {
    let spec = openapi();
    let mut invented = eleven::voices_page(None);
    invented["voices"][0]["made_up"] = json!(1);
    let mut missing = eleven::models();
    missing[0].as_object_mut().unwrap().remove("languages");
    let mut wrong = eleven::subscription(1);
    wrong["status"] = json!("whatever");
    for (path, body) in [
        ("/v2/voices", invented),
        ("/v1/models", missing),
        ("/v1/user/subscription", wrong),
    ] {
        let mut problems = Vec::new();
        check(
            &spec,
            response_schema(&spec, path, "get"),
            &body,
            "$",
            &mut problems,
        );
        assert!(!problems.is_empty(), "{path} passed with a bad body");
    }
}

/// The create response fields `tavus.md` documents, and no others.
const TAVUS_CONVERSATION_FIELDS: &[&str] = &[
    "conversation_id",
    "conversation_name",
    "conversation_url",
    "status",
    "callback_url",
    "created_at",
];

#[tokio::test]
async fn tavus_fake_answers_with_documented_fields_and_strict_routes() {
    let (server, fake) = TavusFake::start(TAVUS_KEY).await;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();
    let url = |p: &str| format!("{}{p}", server.uri());
    let send = |method: reqwest::Method, p: &str, key: &str, body: Option<Value>| {
        let mut request = client.request(method, url(p)).header("x-api-key", key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send()
    };
    use reqwest::Method;

    // Unknown paths and methods answer as an API does, never as a bad key.
    for (method, path) in [
        (Method::GET, "/v2/conversation"),
        (Method::GET, "/v1/conversations"),
        (Method::POST, "/v2/conversations/c1/stop"),
    ] {
        let status = send(method, path, TAVUS_KEY, None).await.unwrap().status();
        assert_eq!(status, 404, "{path}");
    }
    for (method, path) in [
        (Method::PUT, "/v2/conversations"),
        (Method::GET, "/v2/conversations/c1/end"),
        (Method::POST, "/v2/replicas"),
    ] {
        let status = send(method.clone(), path, TAVUS_KEY, None)
            .await
            .unwrap()
            .status();
        assert_eq!(status, 405, "{method} {path}");
    }
    let bad_key = send(Method::GET, "/v2/replicas", "wrong", None)
        .await
        .unwrap();
    assert_eq!(bad_key.status(), 401);
    assert_eq!(
        bad_key.json::<Value>().await.unwrap(),
        json!({"message": "Invalid access token"})
    );

    // The create body is checked against the documented fields.
    for bad in [
        json!({"replica_id": "r1", "invented_field": true}),
        json!({"replica_id": "r1", "properties": {"enable_recordings": false}}),
        json!({"replica_id": "r1", "properties": {"language": "en"}}),
        json!({"replica_id": 5}),
    ] {
        let answer = send(
            Method::POST,
            "/v2/conversations",
            TAVUS_KEY,
            Some(bad.clone()),
        )
        .await
        .unwrap();
        assert_eq!(answer.status(), 400, "{bad}");
        assert!(answer.json::<Value>().await.unwrap()["error"].is_string());
    }
    let created: Value = send(
        Method::POST,
        "/v2/conversations",
        TAVUS_KEY,
        Some(json!({"replica_id": "r1", "properties": {"language": "multilingual"}})),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let mut fields: Vec<&str> = created
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort();
    let mut documented = TAVUS_CONVERSATION_FIELDS.to_vec();
    documented.sort();
    assert_eq!(fields, documented);
    let id = created["conversation_id"].as_str().unwrap().to_string();

    // State is kept, and GET reflects it.
    let status = |v: Value| v["status"].as_str().unwrap().to_string();
    let get = || {
        send(
            Method::GET,
            &format!("/v2/conversations/{id}"),
            TAVUS_KEY,
            None,
        )
    };
    assert_eq!(status(get().await.unwrap().json().await.unwrap()), "active");
    let end = send(
        Method::POST,
        &format!("/v2/conversations/{id}/end"),
        TAVUS_KEY,
        None,
    );
    assert_eq!(end.await.unwrap().status(), 200);
    assert_eq!(status(get().await.unwrap().json().await.unwrap()), "ended");
    assert_eq!(fake.status(&id), Some(Status::Ended));
    let delete = send(
        Method::DELETE,
        &format!("/v2/conversations/{id}?hard=true"),
        TAVUS_KEY,
        None,
    );
    assert_eq!(delete.await.unwrap().status(), 204);
    let gone = get().await.unwrap();
    assert_eq!(gone.status(), 400);
    assert_eq!(
        gone.json::<Value>().await.unwrap(),
        json!({"error": "Invalid conversation_id"})
    );
}
