//! A fake Tavus that keeps state and is as strict as `shared/contracts/tavus.md`:
//! conversations are created (validated against the documented fields; unknown ones are
//! a 400), listed, read, ended and deleted, and `GET` reflects what happened. An unknown
//! path answers 404 and a known path with the wrong method 405, never 401; a wrong key on
//! a known route gets the documented 401. Faults can be injected per conversation.
//!
//! Shared with the app's e2e fakes (`tests/support/fakes.rs` includes this file).
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{json, Map, Value};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Top-level create fields the contract documents.
const CREATE_FIELDS: &[(&str, Kind)] = &[
    ("replica_id", Kind::Str),
    ("persona_id", Kind::Str),
    ("conversation_name", Kind::Str),
    ("conversational_context", Kind::Str),
    ("custom_greeting", Kind::Str),
    ("audio_only", Kind::Bool),
    ("callback_url", Kind::Str),
    ("test_mode", Kind::Bool),
    ("require_auth", Kind::Bool),
    ("max_participants", Kind::Int),
    ("memory_stores", Kind::Any),
    ("document_ids", Kind::Any),
    ("document_tags", Kind::Any),
    ("document_retrieval_strategy", Kind::Any),
    ("properties", Kind::Object),
];
/// `properties` fields the contract documents (recording storage fields are left out:
/// this project must never send them).
const PROPERTY_FIELDS: &[(&str, Kind)] = &[
    ("max_call_duration", Kind::Int),
    ("participant_left_timeout", Kind::Int),
    ("participant_absent_timeout", Kind::Int),
    ("enable_recording", Kind::Bool),
    ("enable_closed_captions", Kind::Bool),
    ("language", Kind::Str),
    ("apply_greenscreen", Kind::Bool),
];
/// The languages the contract lists, plus `multilingual`.
pub const LANGUAGES: &[&str] = &[
    "English",
    "French",
    "German",
    "Spanish",
    "Portuguese",
    "Chinese",
    "Japanese",
    "Hindi",
    "Italian",
    "Korean",
    "Dutch",
    "Polish",
    "Russian",
    "Swedish",
    "Turkish",
    "Tagalog",
    "Bulgarian",
    "Romanian",
    "Arabic",
    "Czech",
    "Greek",
    "Finnish",
    "Croatian",
    "Malay",
    "Slovak",
    "Danish",
    "Tamil",
    "Ukrainian",
    "Hungarian",
    "Norwegian",
    "Vietnamese",
    "Bengali",
    "Thai",
    "Hebrew",
    "Georgian",
    "Indonesian",
    "Telugu",
    "Gujarati",
    "Kannada",
    "Malayalam",
    "Marathi",
    "Punjabi",
    "multilingual",
];

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Str,
    Bool,
    Int,
    Object,
    Any,
}

impl Kind {
    fn accepts(self, value: &Value) -> bool {
        match self {
            Kind::Str => value.is_string(),
            Kind::Bool => value.is_boolean(),
            Kind::Int => value.is_u64(),
            Kind::Object => value.is_object(),
            Kind::Any => true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Active,
    Ended,
    /// Soft-deleted (`DELETE` without `hard=true`): still held by Tavus.
    SoftDeleted,
}

#[derive(Debug, Clone)]
pub struct Conversation {
    pub status: Status,
    pub created_at: String,
    pub room_url: String,
}

/// An injected answer for one conversation's `end` or `DELETE`.
#[derive(Debug, Clone)]
pub struct Fault {
    pub status: u16,
    pub body: Option<Value>,
    pub retry_after: Option<u64>,
    /// How many more times it is served (`None`: until cleared).
    pub times: Option<u32>,
}

/// What the fake saw: method, path with query, and the virtual time if a clock is set.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub at_ms: u64,
}

#[derive(Default)]
pub struct State {
    pub conversations: BTreeMap<String, Conversation>,
    pub end_faults: HashMap<String, Fault>,
    pub delete_faults: HashMap<String, Fault>,
    /// Served to every request before anything else, while `times` lasts.
    pub global_fault: Option<Fault>,
    pub seen: Vec<Seen>,
    pub created_bodies: Vec<Value>,
    pub room_url: Option<String>,
    /// Every created conversation gets this id (the e2e fakes' fixed one).
    pub fixed_id: Option<String>,
    next_id: u64,
}

#[derive(Clone)]
pub struct TavusFake {
    pub state: Arc<Mutex<State>>,
    key: String,
    clock: Option<Arc<AtomicU64>>,
    replicas: Value,
    personas: Value,
}

pub const ROOM_HOST: &str = "https://tavus.daily.co/";

impl TavusFake {
    pub fn new(key: &str) -> Self {
        Self {
            state: Arc::default(),
            key: key.to_string(),
            clock: None,
            replicas: json!([
                {"replica_id": "r79e1c033f", "replica_name": "Anna", "status": "completed"},
                {"replica_id": "r5dc7c5c7b", "replica_name": "Marcus", "status": "completed"}
            ]),
            personas: json!([
                {"persona_id": "p5317866", "persona_name": "Supportive listener", "default_replica_id": "r79e1c033f"}
            ]),
        }
    }

    /// Each request is stamped with this virtual time (milliseconds).
    pub fn with_clock(mut self, clock: Arc<AtomicU64>) -> Self {
        self.clock = Some(clock);
        self
    }

    pub fn with_conversation_id(self, id: &str) -> Self {
        self.state.lock().unwrap().fixed_id = Some(id.to_string());
        self
    }

    pub fn with_replicas(mut self, replicas: Value) -> Self {
        self.replicas = replicas;
        self
    }

    /// Mounts the fake as the whole of `server`.
    pub async fn mount(self, server: &MockServer) -> Self {
        Mock::given(wiremock::matchers::any())
            .respond_with(self.clone())
            .mount(server)
            .await;
        self
    }

    pub async fn start(key: &str) -> (MockServer, Self) {
        let server = MockServer::start().await;
        let fake = Self::new(key).mount(&server).await;
        (server, fake)
    }

    /// A conversation that already exists on Tavus (made in an earlier session).
    pub fn seed(&self, id: &str, status: Status) {
        self.state.lock().unwrap().conversations.insert(
            id.to_string(),
            Conversation {
                status,
                created_at: "2026-11-23T05:00:00Z".into(),
                room_url: format!("{ROOM_HOST}{id}"),
            },
        );
    }

    pub fn status(&self, id: &str) -> Option<Status> {
        self.state
            .lock()
            .unwrap()
            .conversations
            .get(id)
            .map(|c| c.status)
    }

    /// Conversations Tavus still holds (soft-deleted ones included).
    pub fn held(&self) -> Vec<String> {
        self.state
            .lock()
            .unwrap()
            .conversations
            .keys()
            .cloned()
            .collect()
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    pub fn count(&self, method: &str, path_suffix: &str) -> usize {
        self.seen()
            .iter()
            .filter(|s| s.method == method && s.path.ends_with(path_suffix))
            .count()
    }

    pub fn fail_delete(&self, id: &str, fault: Fault) {
        self.state
            .lock()
            .unwrap()
            .delete_faults
            .insert(id.to_string(), fault);
    }

    pub fn fail_end(&self, id: &str, fault: Fault) {
        self.state
            .lock()
            .unwrap()
            .end_faults
            .insert(id.to_string(), fault);
    }

    pub fn fail_everything(&self, fault: Fault) {
        self.state.lock().unwrap().global_fault = Some(fault);
    }

    pub fn heal(&self) {
        let mut state = self.state.lock().unwrap();
        state.end_faults.clear();
        state.delete_faults.clear();
        state.global_fault = None;
    }

    /// Created conversations get this room URL (to test hostile ones).
    pub fn set_room_url(&self, url: &str) {
        self.state.lock().unwrap().room_url = Some(url.to_string());
    }

    pub fn created_bodies(&self) -> Vec<Value> {
        self.state.lock().unwrap().created_bodies.clone()
    }

    fn answer(&self, request: &Request) -> ResponseTemplate {
        let method = request.method.as_str().to_string();
        let path = request.url.path().to_string();
        let mut state = self.state.lock().unwrap();
        let at_ms = self.clock.as_ref().map_or(0, |c| c.load(Ordering::SeqCst));
        state.seen.push(Seen {
            method: method.clone(),
            path: match request.url.query() {
                Some(q) => format!("{path}?{q}"),
                None => path.clone(),
            },
            at_ms,
        });
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        // Which route, and which methods it has: unknown paths are 404, wrong methods 405.
        let allowed: &[&str] = match segments.as_slice() {
            ["v2", "conversations"] => &["GET", "POST"],
            ["v2", "conversations", _] => &["GET", "DELETE"],
            ["v2", "conversations", _, "end"] => &["POST"],
            ["v2", "replicas"] | ["v2", "personas"] => &["GET"],
            _ => return ResponseTemplate::new(404),
        };
        if !allowed.contains(&method.as_str()) {
            return ResponseTemplate::new(405).insert_header("allow", allowed.join(", "));
        }
        let key_ok = request
            .headers
            .get("x-api-key")
            .and_then(|v| v.to_str().ok())
            == Some(self.key.as_str());
        if !key_ok {
            return ResponseTemplate::new(401)
                .set_body_json(json!({"message": "Invalid access token"}));
        }
        if let Some(fault) = take_fault(&mut state.global_fault) {
            return fault;
        }
        let query: HashMap<String, String> = request.url.query_pairs().into_owned().collect();
        match (method.as_str(), segments.as_slice()) {
            ("POST", ["v2", "conversations"]) => self.create(&mut state, &request.body),
            ("GET", ["v2", "conversations"]) => {
                let wanted = query.get("status").cloned();
                let data: Vec<Value> = state
                    .conversations
                    .iter()
                    .filter(|(_, c)| c.status != Status::SoftDeleted)
                    .filter(|(_, c)| wanted.as_deref().is_none_or(|w| w == status_name(c.status)))
                    .map(|(id, c)| conversation_json(id, c))
                    .collect();
                page(data, &query)
            }
            ("GET", ["v2", "conversations", id]) => match state.conversations.get(*id) {
                Some(c) if c.status != Status::SoftDeleted => {
                    ResponseTemplate::new(200).set_body_json(conversation_json(id, c))
                }
                _ => invalid_id(),
            },
            ("POST", ["v2", "conversations", id, "end"]) => {
                let id = id.to_string();
                if let Some(fault) = take_fault_in(&mut state.end_faults, &id) {
                    return fault;
                }
                match state.conversations.get_mut(&id) {
                    Some(c) if c.status == Status::Active => {
                        c.status = Status::Ended;
                        ResponseTemplate::new(200)
                    }
                    // Ending twice is undocumented: a bare 400, so the client must check.
                    Some(c) if c.status == Status::Ended => ResponseTemplate::new(400),
                    _ => invalid_id(),
                }
            }
            ("DELETE", ["v2", "conversations", id]) => {
                let id = id.to_string();
                if let Some(fault) = take_fault_in(&mut state.delete_faults, &id) {
                    return fault;
                }
                if !state.conversations.contains_key(&id) {
                    return invalid_id();
                }
                if query.get("hard").map(String::as_str) == Some("true") {
                    state.conversations.remove(&id);
                } else if let Some(c) = state.conversations.get_mut(&id) {
                    c.status = Status::SoftDeleted;
                }
                ResponseTemplate::new(204)
            }
            ("GET", ["v2", "replicas"]) => page(as_vec(&self.replicas), &query),
            ("GET", ["v2", "personas"]) => page(as_vec(&self.personas), &query),
            _ => ResponseTemplate::new(404),
        }
    }

    fn create(&self, state: &mut State, body: &[u8]) -> ResponseTemplate {
        let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(body) else {
            return bad_request("Invalid request body");
        };
        if let Err(why) = check_fields(&body, CREATE_FIELDS) {
            return bad_request(&why);
        }
        if let Some(Value::Object(properties)) = body.get("properties") {
            if let Err(why) = check_fields(properties, PROPERTY_FIELDS) {
                return bad_request(&why);
            }
            if let Some(language) = properties.get("language").and_then(Value::as_str) {
                if !LANGUAGES.contains(&language) {
                    return bad_request("Invalid language");
                }
            }
            if properties
                .get("max_call_duration")
                .and_then(Value::as_u64)
                .is_some_and(|d| d > 3600)
            {
                return bad_request("Invalid max_call_duration");
            }
        }
        if body.get("replica_id").is_none() && body.get("persona_id").is_none() {
            return bad_request("Invalid replica_id");
        }
        state.created_bodies.push(Value::Object(body.clone()));
        state.next_id += 1;
        let id = state
            .fixed_id
            .clone()
            .unwrap_or_else(|| format!("c{:06x}", state.next_id + 0xabc000));
        let test_mode = body.get("test_mode") == Some(&Value::Bool(true));
        let conversation = Conversation {
            status: if test_mode {
                Status::Ended
            } else {
                Status::Active
            },
            created_at: "2026-11-23T05:00:00Z".into(),
            room_url: state
                .room_url
                .clone()
                .unwrap_or_else(|| format!("{ROOM_HOST}{id}")),
        };
        let mut answer = conversation_json(&id, &conversation);
        answer["conversation_name"] = body
            .get("conversation_name")
            .cloned()
            .unwrap_or(json!("New Conversation"));
        state.conversations.insert(id, conversation);
        ResponseTemplate::new(200).set_body_json(answer)
    }
}

impl Respond for TavusFake {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.answer(request)
    }
}

fn check_fields(object: &Map<String, Value>, known: &[(&str, Kind)]) -> Result<(), String> {
    for (name, value) in object {
        match known.iter().find(|(k, _)| k == name) {
            None => return Err(format!("Invalid field {name}")),
            Some((_, kind)) if !kind.accepts(value) => return Err(format!("Invalid {name}")),
            Some(_) => {}
        }
    }
    Ok(())
}

fn status_name(status: Status) -> &'static str {
    match status {
        Status::Active => "active",
        Status::Ended => "ended",
        Status::SoftDeleted => "deleted",
    }
}

/// The create response's documented fields.
fn conversation_json(id: &str, c: &Conversation) -> Value {
    json!({
        "conversation_id": id,
        "conversation_name": "Serene session",
        "conversation_url": c.room_url,
        "status": status_name(c.status),
        "callback_url": "",
        "created_at": c.created_at,
    })
}

fn page(data: Vec<Value>, query: &HashMap<String, String>) -> ResponseTemplate {
    let limit: usize = query
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(10);
    let page: usize = query.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    let total = data.len();
    let slice: Vec<Value> = data
        .into_iter()
        .skip(page.saturating_sub(1) * limit)
        .take(limit)
        .collect();
    ResponseTemplate::new(200).set_body_json(json!({"data": slice, "total_count": total}))
}

fn as_vec(value: &Value) -> Vec<Value> {
    value.as_array().cloned().unwrap_or_default()
}

/// The contract's unknown-id answer.
pub fn invalid_id() -> ResponseTemplate {
    ResponseTemplate::new(400).set_body_json(json!({"error": "Invalid conversation_id"}))
}

/// The contract's bad-request shape (`{"error": ...}`).
fn bad_request(why: &str) -> ResponseTemplate {
    ResponseTemplate::new(400).set_body_json(json!({ "error": why }))
}

fn serve(fault: &Fault) -> ResponseTemplate {
    let mut template = ResponseTemplate::new(fault.status);
    if let Some(body) = &fault.body {
        template = template.set_body_json(body.clone());
    }
    if let Some(seconds) = fault.retry_after {
        template = template.insert_header("retry-after", seconds.to_string());
    }
    template
}

fn take_fault(slot: &mut Option<Fault>) -> Option<ResponseTemplate> {
    let fault = slot.as_mut()?;
    let answer = serve(fault);
    if let Some(times) = fault.times.as_mut() {
        *times -= 1;
        if *times == 0 {
            *slot = None;
        }
    }
    Some(answer)
}

fn take_fault_in(faults: &mut HashMap<String, Fault>, id: &str) -> Option<ResponseTemplate> {
    let mut slot = faults.remove(id);
    let answer = take_fault(&mut slot);
    if let Some(fault) = slot {
        faults.insert(id.to_string(), fault);
    }
    answer
}

impl Fault {
    pub fn always(status: u16, body: Option<Value>) -> Self {
        Self {
            status,
            body,
            retry_after: None,
            times: None,
        }
    }

    pub fn times(status: u16, body: Option<Value>, times: u32) -> Self {
        Self {
            status,
            body,
            retry_after: None,
            times: Some(times),
        }
    }

    pub fn rate_limited(retry_after: Option<u64>, times: u32) -> Self {
        Self {
            status: 429,
            body: None,
            retry_after,
            times: Some(times),
        }
    }
}
