//! The IPC boundary under Tauri's mock runtime, with the app's real config and capability:
//! every command answers the bundled UI and refuses a remote page.

use serde_json::{json, Value};
mod mock_app;

use serene_lib::COMMANDS;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow};

fn app() -> (App<MockRuntime>, WebviewWindow<MockRuntime>) {
    mock_app::app("ipc-acl")
}

/// Arguments that make each command run its own validation rather than fail to parse.
fn args_for(command: &str) -> Value {
    match command {
        "open_help_link" => json!({ "id": "not-a-known-link" }),
        "key_status" | "remove_api_key" | "verify_api_key" => json!({ "provider": "tavus" }),
        "set_api_key" => json!({ "provider": "tavus", "key": "too short" }),
        "update_settings" => json!({ "patch": { "tavusReplicaId": "../x" } }),
        "give_consent" => json!({ "version": 999 }),
        "start_video_session" => json!({ "request": { "minutes": 7 } }),
        "end_video_session" | "video_session_status" | "show_room" => {
            json!({ "conversationId": "not-journaled" })
        }
        // A channel id as the page's `Channel` sends it.
        "download_update" => json!({ "onProgress": "__CHANNEL__:1" }),
        "speak" => json!({ "request": { "kind": "preview" }, "onAudio": "__CHANNEL__:2" }),
        "start_voice_session" => json!({ "request": { "minutes": 7 }, "onEvent": "__CHANNEL__:3" }),
        "delete_everything" => {
            json!({ "options": { "leaveRemote": "not a yes or no" }, "onProgress": "__CHANNEL__:4" })
        }
        _ => json!({}),
    }
}

fn invoke(
    window: &WebviewWindow<MockRuntime>,
    command: &str,
    origin: &str,
) -> Result<Value, Value> {
    get_ipc_response(
        window,
        InvokeRequest {
            cmd: command.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: origin.parse().unwrap(),
            body: InvokeBody::Json(args_for(command)),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|body| body.deserialize::<Value>().unwrap())
}

/// Our own errors carry a stable `code`; an ACL refusal is Tauri's plain string.
fn is_acl_refusal(error: &Value) -> bool {
    error
        .as_str()
        .is_some_and(|text| text.contains("not allowed"))
}

#[test]
fn every_command_refuses_a_remote_origin() {
    let (_app, window) = app();
    for origin in [
        "https://tavus.daily.co/x",
        "http://127.0.0.1:4444/",
        "https://tauri.localhost.evil.test/",
    ] {
        for command in COMMANDS {
            let error = invoke(&window, command, origin)
                .expect_err(&format!("{command} answered {origin}"));
            assert!(is_acl_refusal(&error), "{command} from {origin}: {error}");
        }
    }
}

#[test]
fn every_command_answers_the_bundled_ui() {
    let (_app, window) = app();
    for command in COMMANDS {
        match invoke(&window, command, "tauri://localhost/") {
            Ok(_) => {}
            Err(error) => assert!(
                !is_acl_refusal(&error) && error.get("code").is_some(),
                "{command} was refused locally: {error}"
            ),
        }
    }
}

#[test]
fn unknown_commands_are_refused_even_locally() {
    let (_app, window) = app();
    let error = invoke(&window, "plugin:shell|open", "tauri://localhost/").unwrap_err();
    assert!(error.as_str().is_some(), "{error}");
}

#[test]
fn malformed_arguments_get_typed_errors() {
    let (_app, window) = app();
    let call = |command: &str, args: Value| {
        get_ipc_response(
            &window,
            InvokeRequest {
                cmd: command.into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: "tauri://localhost/".parse().unwrap(),
                body: InvokeBody::Json(args),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|body| body.deserialize::<Value>().unwrap())
    };
    let huge = "k".repeat(10 * 1024 * 1024);
    for (command, args, code) in [
        ("key_status", json!({"provider": "nope"}), "invalid_input"),
        (
            "set_api_key",
            json!({"provider": "tavus", "key": huge}),
            "invalid_input",
        ),
        (
            "update_settings",
            json!({"patch": {"unknown": 1}}),
            "invalid_input",
        ),
        ("update_settings", json!({"patch": "x"}), "invalid_input"),
    ] {
        let error = call(command, args).unwrap_err();
        assert_eq!(error["code"], code, "{command}: {error}");
    }
    // Missing or wrong-typed arguments are refused by the IPC layer before our code runs.
    assert!(call("set_api_key", json!({"provider": "tavus"})).is_err());
    assert!(call("key_status", json!({"provider": 7})).is_err());
}

#[test]
fn without_a_keychain_key_commands_say_so() {
    let (_app, window) = app();
    let error = invoke(&window, "key_status", "tauri://localhost/").unwrap_err();
    assert_eq!(error["code"], "keychain_unavailable", "{error}");
    assert!(!error["message"].as_str().unwrap().is_empty());
}

#[test]
fn app_info_and_help_links_answer_in_the_ipc_error_shape() {
    let (_app, window) = app();
    let info = invoke(&window, "app_info", "tauri://localhost/").unwrap();
    assert_eq!(info["name"], "Serene");
    let error = invoke(&window, "open_help_link", "tauri://localhost/").unwrap_err();
    assert_eq!(error["code"], "not_allowed");
    assert!(error["message"].as_str().unwrap().contains("not known"));
}
