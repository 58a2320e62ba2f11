//! The Content-Security-Policy the app really serves, graded with Google's csp_evaluator.
//!
//! Tauri builds the header at compile time from tauri.conf.json and adds hashes of the
//! bundled UI's inline scripts and styles, so the config alone is not what a webview
//! enforces. These tests build the app under the mock runtime, ask its asset resolver for
//! index.html exactly as the `tauri://` protocol handler does, and run
//! `ui/scripts/grade-csp.mjs` (csp_evaluator, from ui/node_modules) on that header: no
//! HIGH, HIGH_MAYBE or SYNTAX finding, and every MEDIUM one accepted there with its reason.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod mock_app;

/// The `Content-Security-Policy` header the app serves with index.html.
fn served_policy() -> String {
    let (app, _window) = mock_app::app("csp-grade");
    let asset = app
        .asset_resolver()
        .get("index.html".into())
        .expect("index.html is bundled (build the UI first: cd ui && npm run build)");
    assert!(
        String::from_utf8_lossy(&asset.bytes).contains("<html"),
        "index.html is not the UI"
    );
    asset
        .csp_header
        .expect("index.html is served without a Content-Security-Policy header")
}

fn grader() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/scripts/grade-csp.mjs")
}

/// Runs the grader on `policy`, echoing its report into the test output.
fn grade(policy: &str) -> Output {
    let evaluator = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/node_modules/csp_evaluator");
    assert!(
        evaluator.is_dir(),
        "csp_evaluator is not installed: run `npm ci` in ui/ (scripts/test.sh does)"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("policy.txt");
    std::fs::write(&file, policy).unwrap();
    let output = Command::new("node")
        .arg(grader())
        .arg(&file)
        .output()
        .expect("node runs (Node.js 20.19+ and `npm ci` in ui/ are needed for this test)");
    println!("{}", String::from_utf8_lossy(&output.stdout));
    eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    output
}

#[test]
fn the_served_policy_passes_csp_evaluator() {
    let policy = served_policy();
    println!("Content-Security-Policy served with index.html:\n{policy}\n");
    for directive in [
        "default-src 'self'",
        "object-src 'none'",
        "frame-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(policy.contains(directive), "{directive} missing: {policy}");
    }
    let output = grade(&policy);
    assert!(
        output.status.success(),
        "csp_evaluator graded the served policy as failing (report above)"
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("CSP grade: pass"));
}

/// The grader is not a no-op: a policy with the classic holes must fail it.
#[test]
fn a_known_bad_policy_fails_the_grade() {
    let output = grade("script-src 'unsafe-inline' 'unsafe-eval' https:");
    assert_eq!(output.status.code(), Some(1), "the bad policy passed");
    let report = String::from_utf8_lossy(&output.stdout);
    for finding in [
        "[HIGH] SCRIPT_UNSAFE_INLINE",
        "[HIGH] PLAIN_URL_SCHEMES",
        "[HIGH] MISSING_DIRECTIVES",
    ] {
        assert!(
            report.contains(finding),
            "{finding} not reported:\n{report}"
        );
    }
}

/// A MEDIUM finding nobody accepted fails too: here workers loaded over plain HTTP.
#[test]
fn an_unaccepted_medium_finding_fails_the_grade() {
    let policy = format!("{}; worker-src http://cdn.example", served_policy());
    let output = grade(&policy);
    assert_eq!(
        output.status.code(),
        Some(1),
        "an unaccepted finding passed"
    );
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        report.contains("[MEDIUM] SRC_HTTP (worker-src http://cdn.example)")
            && report.contains("not in the accepted list"),
        "{report}"
    );
}
