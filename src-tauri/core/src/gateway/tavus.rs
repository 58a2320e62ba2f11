//! Typed Tavus CVI client, from `shared/contracts/tavus.md`.

use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::ids::check_id;
use super::{Call, Gateway};
use crate::error::{ErrorCode, Result};
use crate::provider::Provider;
use crate::sensitive::Sensitive;

const P: Provider = Provider::Tavus;

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct CreateConversation {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replica_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub persona_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversation_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversational_context: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_greeting: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test_mode: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties: Option<ConversationProperties>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ConversationProperties {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_call_duration: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub participant_left_timeout: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub participant_absent_timeout: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_recording: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_closed_captions: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

/// A conversation as Tavus reports it. Older responses' `replica_id`/`persona_id` are not
/// relied on; `meeting_token` is never requested.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct Conversation {
    pub conversation_id: String,
    #[serde(default)]
    pub conversation_name: Option<String>,
    #[serde(default)]
    pub conversation_url: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct Page<T> {
    pub data: Vec<T>,
    #[serde(default)]
    pub total_count: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct Replica {
    pub replica_id: String,
    #[serde(default)]
    pub replica_name: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct Persona {
    pub persona_id: String,
    #[serde(default)]
    pub persona_name: Option<String>,
    #[serde(default)]
    pub default_replica_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConversationStatus {
    Active,
    Ended,
}

/// How an end came out. Either way the conversation no longer runs or bills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// Tavus answered the end with success, or confirmed with a GET that it has ended.
    Ended,
    /// Tavus does not know the id (404, or its `400 Invalid conversation_id`): nothing is
    /// left there to end or delete.
    Gone,
}

pub struct Tavus<'a> {
    gateway: &'a Gateway,
    key: &'a Sensitive<String>,
    paced_by_caller: bool,
}

impl<'a> Tavus<'a> {
    pub fn new(gateway: &'a Gateway, key: &'a Sensitive<String>) -> Self {
        Self {
            gateway,
            key,
            paced_by_caller: false,
        }
    }

    /// A client whose calls skip the ordinary limit because the caller paces them
    /// (delete-everything, which must not be cut off half-way by that limit).
    pub fn paced_by_caller(mut self) -> Self {
        self.paced_by_caller = true;
        self
    }

    fn call(&self, op: &'static str, path: impl Into<String>) -> Call {
        let call = Call::get(op, path);
        if self.paced_by_caller {
            call.paced_by_caller()
        } else {
            call
        }
    }

    /// Creates a conversation (billing starts now). Never retried: a retry could create two.
    pub async fn create_conversation(&self, request: &CreateConversation) -> Result<Conversation> {
        let body = serde_json::to_value(request).map_err(|_| crate::Error::internal())?;
        let call = Call::get("tavus.create_conversation", "/v2/conversations")
            .with_method(Method::POST)
            .json(body);
        self.gateway.json(P, self.key, call).await
    }

    pub async fn get_conversation(&self, id: &str) -> Result<Conversation> {
        let path = format!("/v2/conversations/{}", check_id("conversation", id)?);
        let call = self.call("tavus.get_conversation", path);
        self.gateway.json(P, self.key, call).await
    }

    pub async fn list_conversations(
        &self,
        status: Option<ConversationStatus>,
        page: u32,
        limit: u32,
    ) -> Result<Page<Conversation>> {
        let mut call = Call::get("tavus.list_conversations", "/v2/conversations")
            .query("limit", limit.clamp(1, 100))
            .query("page", page.max(1));
        if let Some(status) = status {
            let status = match status {
                ConversationStatus::Active => "active",
                ConversationStatus::Ended => "ended",
            };
            call = call.query("status", status);
        }
        self.gateway.json(P, self.key, call).await
    }

    /// Ends a conversation. Any 2xx is success; not-found (Tavus's invalid-id answer
    /// included) means there is nothing left to end. Any other refusal or failure is not
    /// believed: `GET /v2/conversations/{id}` must confirm `ended` before this says so, as
    /// a conversation wrongly believed ended keeps running and billing.
    pub async fn end_conversation(&self, id: &str) -> Result<Ended> {
        let path = format!("/v2/conversations/{}/end", check_id("conversation", id)?);
        let call = self
            .call("tavus.end_conversation", path)
            .with_method(Method::POST);
        let error = match self.gateway.empty(P, self.key, call).await {
            Ok(_) => return Ok(Ended::Ended),
            Err(error) if error.code == ErrorCode::NotFound => return Ok(Ended::Gone),
            Err(error) => error,
        };
        // A GET cannot succeed where the end was refused for the key or the pace.
        if matches!(
            error.code,
            ErrorCode::RateLimited | ErrorCode::InvalidKey | ErrorCode::KeyLacksPermission
        ) {
            return Err(error);
        }
        match self.get_conversation(id).await {
            Ok(conversation) if conversation.status.as_deref() == Some("ended") => {
                tracing::info!("end_conversation: Tavus confirms it has ended");
                Ok(Ended::Ended)
            }
            Err(lookup) if lookup.code == ErrorCode::NotFound => Ok(Ended::Gone),
            _ => {
                tracing::warn!(code = ?error.code, "end_conversation: not confirmed ended");
                Err(error)
            }
        }
    }

    /// Hard-deletes a conversation. `204` is success, and so is not-found (404, or the
    /// invalid-id `400`): either way Tavus holds nothing under that id any more.
    pub async fn delete_conversation(&self, id: &str) -> Result<()> {
        let path = format!("/v2/conversations/{}", check_id("conversation", id)?);
        let call = self
            .call("tavus.delete_conversation", path)
            .with_method(Method::DELETE)
            .query("hard", "true");
        match self.gateway.empty(P, self.key, call).await {
            Ok(_) => Ok(()),
            Err(error) if error.code == ErrorCode::NotFound => Ok(()),
            Err(error) => Err(error),
        }
    }

    pub async fn list_replicas(&self, page: u32, limit: u32) -> Result<Page<Replica>> {
        let call = Call::get("tavus.list_replicas", "/v2/replicas")
            .query("limit", limit.clamp(1, 100))
            .query("page", page.max(1));
        self.gateway.json(P, self.key, call).await
    }

    pub async fn list_personas(&self, page: u32, limit: u32) -> Result<Page<Persona>> {
        let call = Call::get("tavus.list_personas", "/v2/personas")
            .query("limit", limit.clamp(1, 100))
            .query("page", page.max(1));
        self.gateway.json(P, self.key, call).await
    }

    /// The cheap live key check from the contract: `GET /v2/replicas?limit=1`.
    pub async fn verify_key(&self) -> Result<()> {
        let call = Call::get("tavus.verify_key", "/v2/replicas").query("limit", 1);
        self.gateway.empty(P, self.key, call).await.map(|_| ())
    }
}
