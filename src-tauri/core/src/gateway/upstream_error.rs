//! Turns an upstream error response into one of our error codes, following the documented
//! error bodies in `shared/contracts`. Only the status and a few known tokens are read;
//! nothing of the body, headers or key is ever copied into the message.

use reqwest::StatusCode;
use serde_json::Value;

use crate::error::{Error, ErrorCode};
use crate::provider::Provider;

/// `retry_after`: seconds from a `Retry-After` header, if the provider sent one.
pub fn from_response(
    provider: Provider,
    status: StatusCode,
    body: &[u8],
    retry_after: Option<u64>,
) -> Error {
    let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let code = match provider {
        Provider::Tavus => tavus_code(status, &body),
        Provider::ElevenLabs => elevenlabs_code(status, &body),
    };
    let mut error = Error::new(code, message(provider, code));
    if code == ErrorCode::RateLimited {
        error.retry_after_seconds = retry_after;
    }
    error
}

fn tavus_code(status: StatusCode, body: &Value) -> ErrorCode {
    // Tavus puts its reason in `message` or `error`; read both.
    let text = ["message", "error"]
        .iter()
        .filter_map(|field| body.get(field).and_then(Value::as_str))
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase();
    match status.as_u16() {
        401 => ErrorCode::InvalidKey,
        403 => ErrorCode::KeyLacksPermission,
        400 | 402 if text.contains("concurrent") => ErrorCode::ConcurrencyLimit,
        400 | 402 if text.contains("credits") => ErrorCode::OutOfCredits,
        402 => ErrorCode::OutOfCredits,
        404 => ErrorCode::NotFound,
        400 if text.contains("invalid") && text.contains("_id") => ErrorCode::NotFound,
        429 => ErrorCode::RateLimited,
        400..=499 => ErrorCode::UpstreamRejected,
        500..=599 => ErrorCode::UpstreamUnavailable,
        _ => ErrorCode::UpstreamUnexpected,
    }
}

fn elevenlabs_code(status: StatusCode, body: &Value) -> ErrorCode {
    // `detail` is an object (`code`, falling back to the older `status`) or, for 422, an array.
    let detail = body.get("detail");
    let token = detail
        .and_then(|d| d.get("code").or_else(|| d.get("status")))
        .and_then(Value::as_str)
        .unwrap_or_default();
    match (status.as_u16(), token) {
        (401, "missing_permissions") => ErrorCode::KeyLacksPermission,
        (401, "quota_exceeded") => ErrorCode::OutOfCredits,
        (401, _) => ErrorCode::InvalidKey,
        (402, _) => ErrorCode::OutOfCredits,
        (400, "max_character_limit_exceeded") => ErrorCode::TextTooLong,
        (400 | 404, "voice_not_found") => ErrorCode::NotFound,
        (403, _) => ErrorCode::KeyLacksPermission,
        (404, _) => ErrorCode::NotFound,
        (429, "too_many_concurrent_requests" | "concurrent_limit_exceeded") => {
            ErrorCode::ConcurrencyLimit
        }
        (429, _) => ErrorCode::RateLimited,
        (400..=499, _) => ErrorCode::UpstreamRejected,
        (500..=599, _) => ErrorCode::UpstreamUnavailable,
        _ => ErrorCode::UpstreamUnexpected,
    }
}

/// A sentence for a person, per provider and code.
pub fn message(provider: Provider, code: ErrorCode) -> String {
    let name = provider.display_name();
    match code {
        ErrorCode::InvalidKey => format!(
            "{name} didn't accept your API key. Check it in your {name} account and paste it again."
        ),
        ErrorCode::KeyLacksPermission => format!(
            "Your {name} API key is missing a permission Serene needs. Create a key with full access, or add the permission in your {name} account."
        ),
        ErrorCode::OutOfCredits => format!(
            "Your {name} account is out of credits for now. You can add more in your {name} account."
        ),
        ErrorCode::ConcurrencyLimit => format!(
            "Your {name} account already has as many sessions running as its plan allows. End one, then try again."
        ),
        ErrorCode::NotFound => format!("{name} couldn't find that item. It may have been removed."),
        ErrorCode::TextTooLong => format!("That text is longer than {name} accepts in one go."),
        ErrorCode::RateLimited => format!("{name} asked us to slow down. Please try again shortly."),
        ErrorCode::UpstreamRejected => format!(
            "{name} didn't accept the request. Please try again, and update Serene if this keeps happening."
        ),
        ErrorCode::UpstreamUnavailable => format!(
            "{name} is having trouble right now. Please try again in a few minutes."
        ),
        ErrorCode::UpstreamTimeout => format!("{name} took too long to answer. Please try again."),
        ErrorCode::NetworkUnavailable => format!(
            "Serene couldn't reach {name}. Check your internet connection and try again."
        ),
        _ => format!("{name} sent an answer Serene couldn't use. Please try again."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn code(provider: Provider, status: u16, body: Value) -> ErrorCode {
        let bytes = serde_json::to_vec(&body).unwrap();
        from_response(
            provider,
            StatusCode::from_u16(status).unwrap(),
            &bytes,
            None,
        )
        .code
    }

    #[test]
    fn tavus_error_rows() {
        use ErrorCode::*;
        let t = Provider::Tavus;
        assert_eq!(
            code(t, 401, json!({"message": "Invalid access token"})),
            InvalidKey
        );
        assert_eq!(
            code(t, 400, json!({"error": "Invalid conversation_id"})),
            NotFound
        );
        assert_eq!(
            code(
                t,
                400,
                json!({"message": "User has reached maximum concurrent conversations"})
            ),
            ConcurrencyLimit
        );
        assert_eq!(
            code(
                t,
                400,
                json!({"message": "The user is out of conversational credits"})
            ),
            OutOfCredits
        );
        assert_eq!(
            code(
                t,
                402,
                json!({"message": "The user is out of conversational credits"})
            ),
            OutOfCredits
        );
        assert_eq!(code(t, 404, json!({})), NotFound);
        assert_eq!(code(t, 429, json!({})), RateLimited);
        assert_eq!(
            code(t, 400, json!({"error": "bad properties"})),
            UpstreamRejected
        );
        assert_eq!(code(t, 503, Value::Null), UpstreamUnavailable);
    }

    #[test]
    fn elevenlabs_error_rows() {
        use ErrorCode::*;
        let e = Provider::ElevenLabs;
        let detail = |status: u16, token: &str| {
            code(
                e,
                status,
                json!({"detail": {"status": token, "message": "x"}}),
            )
        };
        assert_eq!(detail(401, "invalid_api_key"), InvalidKey);
        assert_eq!(detail(401, "missing_permissions"), KeyLacksPermission);
        assert_eq!(detail(401, "quota_exceeded"), OutOfCredits);
        assert_eq!(detail(400, "max_character_limit_exceeded"), TextTooLong);
        assert_eq!(detail(403, "output_format_not_allowed"), KeyLacksPermission);
        assert_eq!(detail(400, "voice_not_found"), NotFound);
        assert_eq!(detail(404, "voice_not_found"), NotFound);
        assert_eq!(
            detail(429, "too_many_concurrent_requests"),
            ConcurrencyLimit
        );
        assert_eq!(detail(429, "concurrent_limit_exceeded"), ConcurrencyLimit);
        assert_eq!(detail(429, "system_busy"), RateLimited);
        assert_eq!(detail(429, "rate_limit_exceeded"), RateLimited);
        // The current format carries `code`; it wins over `status`.
        assert_eq!(
            code(
                e,
                401,
                json!({"detail": {"type": "auth", "code": "missing_permissions", "status": "invalid_api_key"}})
            ),
            KeyLacksPermission
        );
        assert_eq!(
            code(
                e,
                422,
                json!({"detail": [{"loc": ["body", "text"], "msg": "field required", "type": "missing"}]})
            ),
            UpstreamRejected
        );
    }

    #[test]
    fn messages_never_carry_the_body() {
        let body = br#"{"message":"Invalid access token sk_secret_echo"}"#;
        let error = from_response(Provider::Tavus, StatusCode::UNAUTHORIZED, body, None);
        assert!(!error.message.contains("sk_secret_echo"));
        assert!(!error.message.contains("Invalid access token"));
    }

    #[test]
    fn retry_after_only_for_rate_limits() {
        let e = from_response(Provider::Tavus, StatusCode::TOO_MANY_REQUESTS, b"", Some(7));
        assert_eq!(e.retry_after_seconds, Some(7));
        let e = from_response(Provider::Tavus, StatusCode::BAD_GATEWAY, b"", Some(7));
        assert_eq!(e.retry_after_seconds, None);
    }
}
