//! The benchmark command (`scripts/bench.sh`) is not part of the test run, but its harness
//! is kept working: `scripts/bench.sh --smoke` runs it end to end with tiny counts (the
//! core series against loopback fakes, process-tree memory sampling, the report), with no
//! app launch and no release build. The harness is its own crate (bench/harness), built in
//! its own target directory; after its first build this takes a few seconds. It runs in
//! the default build's test run only: the e2e run would repeat it to no purpose.

#![cfg(not(feature = "e2e"))]

use std::path::Path;
use std::process::Command;
use std::time::Instant;

#[test]
fn the_benchmark_harness_runs_end_to_end() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let started = Instant::now();
    let output = Command::new("bash")
        .arg(repo.join("scripts/bench.sh"))
        .arg("--smoke")
        .current_dir(repo)
        .output()
        .expect("bash runs scripts/bench.sh");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "scripts/bench.sh --smoke failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stderr.contains("smoke: the harness works"),
        "the smoke run did not finish:\n{stderr}"
    );
    for figure in [
        "Mediation overhead p50",
        "First speech chunk",
        "Peak heap growth while 20 MB",
        "Voice relay, latency added",
    ] {
        assert!(
            stdout.contains(figure),
            "no {figure:?} in the report:\n{stdout}"
        );
    }
    eprintln!("bench smoke took {:?}", started.elapsed());
}
