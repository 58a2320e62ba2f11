//! Turns one run's measurements into the published figures: `latest.json` (everything,
//! with every sample), a line in `runs.csv` (one per run, to compare runs), and the tables
//! between the markers in BENCHMARKS.md.

use std::path::Path;
use std::process::Command;

use serde_json::{json, Value};

fn read_json(path: &Path) -> Value {
    std::fs::read(path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or(Value::Null)
}

fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn file_size(path: &str) -> Value {
    std::fs::metadata(path)
        .map(|m| json!(m.len()))
        .unwrap_or(Value::Null)
}

fn locked_version(lock: &Path, package: &str) -> Option<String> {
    let text = std::fs::read_to_string(lock).ok()?;
    let marker = format!("name = \"{package}\"\nversion = \"");
    let at = text.find(&marker)? + marker.len();
    Some(text[at..].split('"').next()?.to_string())
}

/// Machine, versions, commit and sizes. `sizes` is `name.binary=path` / `name.deb=path`.
pub fn meta(repo: &Path, sizes: &[(String, String)], load_at_start: Option<&str>) -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let ram_kib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
    let os = std::fs::read_to_string("/etc/os-release")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim_matches('"').to_string());
    let repo_s = repo.to_string_lossy().to_string();
    // Tracked files only: the benchmark's own new files do not change what is measured.
    let dirty = output(
        "git",
        &[
            "-C",
            &repo_s,
            "status",
            "--porcelain",
            "--untracked-files=no",
        ],
    )
    .map(|s| !s.is_empty());
    let mut size_map = serde_json::Map::new();
    for (key, path) in sizes {
        size_map.insert(
            key.clone(),
            json!({ "path": path, "bytes": file_size(path) }),
        );
    }
    json!({
        "date": output("date", &["-u", "+%Y-%m-%dT%H:%M:%SZ"]),
        "machine": {
            "cpu": cpu,
            "nproc": std::thread::available_parallelism().map(|n| n.get()).ok(),
            "ram_gib": ram_kib.map(|k| (k as f64 / 1024.0 / 1024.0 * 10.0).round() / 10.0),
            "kernel": std::fs::read_to_string("/proc/sys/kernel/osrelease").ok().map(|s| s.trim().to_string()),
            "os": os,
            "loadavg_before_measuring": load_at_start,
        },
        "git": {
            "commit": output("git", &["-C", &repo_s, "rev-parse", "HEAD"]),
            "uncommitted_changes": dirty,
        },
        "versions": {
            "rustc": output("rustc", &["--version"]),
            "tauri": locked_version(&repo.join("Cargo.lock"), "tauri"),
            "tauri_hello": locked_version(&repo.join("bench/hello/Cargo.lock"), "tauri"),
            "wry": locked_version(&repo.join("Cargo.lock"), "wry"),
            "webkit2gtk": output("pkg-config", &["--modversion", "webkit2gtk-4.1"]),
            "chromium": output("chromium", &["--version"]),
        },
        "sizes": Value::Object(size_map),
    })
}

fn f(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    }
}

struct Figure {
    key: &'static str,
    /// A 90 % bootstrap interval of a ratio, where one is computed.
    interval: Option<(f64, f64)>,
    what: String,
    serene: String,
    baseline: String,
    value: Option<f64>,
    unit: &'static str,
    target: Option<(&'static str, f64)>,
}

fn fmt(v: Option<f64>, digits: usize, unit: &str) -> String {
    match v {
        Some(v) => format!("{v:.digits$}{unit}"),
        None => "n/a".into(),
    }
}

fn count(v: &Value) -> String {
    v.as_u64().map_or_else(|| "?".into(), |n| n.to_string())
}

fn mib(bytes: Option<f64>) -> Option<f64> {
    bytes.map(|b| b / 1024.0 / 1024.0)
}

fn samples_median(v: &Value) -> Option<f64> {
    let samples: Vec<f64> = v.as_array()?.iter().filter_map(Value::as_f64).collect();
    (!samples.is_empty()).then(|| crate::stats::median(&samples))
}

/// Every reported figure, with its target where the issue sets one. Figures with a target
/// come first (in the order); the rest explain them.
fn figures(all: &Value) -> Vec<Figure> {
    let ui = &all["ui"]["apps"];
    let mem = &all["memory"]["apps"];
    let sizes = &all["meta"]["sizes"];
    let core = &all["core"];
    let mut targets = Vec::new();
    let mut details = Vec::new();

    // Start.
    let start = |app: &str, which: &str| samples_median(&ui[app][which]["samples_ms"]);
    let samples = |v: &Value| -> Vec<f64> {
        v.as_array()
            .map(|a| a.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default()
    };
    let start_interval = |which: &str| {
        crate::stats::ratio_interval(
            &samples(&ui["serene"][which]["samples_ms"]),
            &samples(&ui["hello"][which]["samples_ms"]),
        )
    };
    targets.push(Figure {
        interval: start_interval("start"),
        key: "start_ratio",
        what: format!(
            "Start to UI-ready, first run (fresh home), median of {} launches",
            count(&ui["serene"]["start"]["summary"]["n"])
        ),
        serene: fmt(start("serene", "start"), 0, " ms"),
        baseline: format!("hello {}", fmt(start("hello", "start"), 0, " ms")),
        value: ratio(start("serene", "start"), start("hello", "start")),
        unit: "×",
        target: Some(("≤", 1.2)),
    });
    details.push(Figure {
        interval: start_interval("start_returning"),
        key: "start_returning_ratio",
        what: "Start to UI-ready, returning person (same home and keychain, consent given), median"
            .into(),
        serene: fmt(start("serene", "start_returning"), 0, " ms"),
        baseline: format!("hello {}", fmt(start("hello", "start_returning"), 0, " ms")),
        value: ratio(
            start("serene", "start_returning"),
            start("hello", "start_returning"),
        ),
        unit: "×",
        target: None,
    });
    let phase = |app: &str, which: &str, name: &str| f(&ui[app][which]["phases_median_ms"][name]);
    for (which, label) in [("start", "first run"), ("start_returning", "returning")] {
        let native = |app: &str| phase(app, which, "navigation_start");
        let page = |app: &str| match (phase(app, which, "ready"), native(app)) {
            (Some(r), Some(n)) => Some(r - n),
            _ => None,
        };
        details.push(Figure {
            interval: None,
            key: if which == "start" {
                "start_native_ms"
            } else {
                "start_returning_native_ms"
            },
            what: format!("…of which exec to the page's navigation start ({label}), median"),
            serene: fmt(native("serene"), 0, " ms"),
            baseline: format!("hello {}", fmt(native("hello"), 0, " ms")),
            value: match (native("serene"), native("hello")) {
                (Some(a), Some(b)) => Some(a - b),
                _ => None,
            },
            unit: " ms more",
            target: None,
        });
        details.push(Figure {
            interval: None,
            key: if which == "start" {
                "start_page_ms"
            } else {
                "start_returning_page_ms"
            },
            what: format!("…and navigation start to the first screen painted ({label}), median"),
            serene: fmt(page("serene"), 0, " ms"),
            baseline: format!("hello {}", fmt(page("hello"), 0, " ms")),
            value: match (page("serene"), page("hello")) {
                (Some(a), Some(b)) => Some(a - b),
                _ => None,
            },
            unit: " ms more",
            target: None,
        });
    }

    // Memory.
    let mem_of = |name: &str, what: &str| f(&mem[name][what]["median"]);
    for (what, label, hello_target, chromium_target) in [
        (
            "alone_mib",
            "Idle memory, the app alone: resident pages over its processes, each counted once (= summed PSS with no other process sharing)",
            Some(("≤", 1.15)),
            Some(("≤", 0.75)),
        ),
        ("pss_mib", "Idle memory, PSS summed as measured on this machine", None, None),
        ("uss_mib", "Idle memory, USS (private pages) summed", None, None),
    ] {
        let short = what.trim_end_matches("_mib");
        let list = if hello_target.is_some() { &mut targets } else { &mut details };
        list.push(Figure {
            interval: None,
            key: match short {
                "alone" => "memory_ratio_hello",
                "pss" => "pss_ratio_hello",
                _ => "uss_ratio_hello",
            },
            what: format!("{label}, median, against hello"),
            serene: fmt(mem_of("serene", what), 1, " MiB"),
            baseline: format!("hello {}", fmt(mem_of("hello", what), 1, " MiB")),
            value: ratio(mem_of("serene", what), mem_of("hello", what)),
            unit: "×",
            target: hello_target,
        });
        list.push(Figure {
            interval: None,
            key: match short {
                "alone" => "memory_ratio_chromium",
                "pss" => "pss_ratio_chromium",
                _ => "uss_ratio_chromium",
            },
            what: format!("{label}, median, against Chromium showing the same UI"),
            serene: fmt(mem_of("serene", what), 1, " MiB"),
            baseline: format!("Chromium {}", fmt(mem_of("chromium", what), 1, " MiB")),
            value: ratio(mem_of("serene", what), mem_of("chromium", what)),
            unit: "×",
            target: chromium_target,
        });
    }

    // Sizes.
    let size = |key: &str| f(&sizes[key]["bytes"]);
    targets.push(Figure {
        interval: None,
        key: "binary_ratio",
        what: "Release binary size".into(),
        serene: fmt(mib(size("serene.binary")), 2, " MiB"),
        baseline: format!("hello {}", fmt(mib(size("hello.binary")), 2, " MiB")),
        value: ratio(size("serene.binary"), size("hello.binary")),
        unit: "×",
        target: Some(("≤", 1.5)),
    });
    details.push(Figure {
        interval: None,
        key: "deb_ratio",
        what: ".deb size".into(),
        serene: fmt(mib(size("serene.deb")), 2, " MiB"),
        baseline: format!("hello {}", fmt(mib(size("hello.deb")), 2, " MiB")),
        value: ratio(size("serene.deb"), size("hello.deb")),
        unit: "×",
        target: None,
    });

    // IPC.
    let ipc = |name: &str, p: &str| f(&ui[name]["ipc"]["summary"][p]);
    targets.push(Figure {
        interval: None,
        key: "ipc_p50",
        what: format!(
            "IPC round trip in the page (`app_info`), p50 of {} calls in {} sessions",
            count(&ui["serene"]["ipc"]["summary"]["n"]),
            count(&ui["serene"]["ipc"]["sessions"])
        ),
        serene: fmt(ipc("serene", "p50"), 3, " ms"),
        baseline: format!("hello {}", fmt(ipc("hello", "p50"), 3, " ms")),
        value: ipc("serene", "p50"),
        unit: " ms",
        target: Some(("≤", 1.0)),
    });
    details.push(Figure {
        interval: None,
        key: "ipc_p99",
        what: "IPC round trip, p99".into(),
        serene: fmt(ipc("serene", "p99"), 3, " ms"),
        baseline: format!("hello {}", fmt(ipc("hello", "p99"), 3, " ms")),
        value: ipc("serene", "p99"),
        unit: " ms",
        target: None,
    });
    details.push(Figure {
        interval: crate::stats::ratio_interval(
            &samples(&ui["serene"]["ipc"]["samples_ms"]),
            &samples(&ui["hello"]["ipc"]["samples_ms"]),
        ),
        key: "ipc_ratio",
        what: "IPC round trip p50, Serene against hello".into(),
        serene: fmt(ipc("serene", "p50"), 3, " ms"),
        baseline: format!("hello {}", fmt(ipc("hello", "p50"), 3, " ms")),
        value: ratio(ipc("serene", "p50"), ipc("hello", "p50")),
        unit: "×",
        target: None,
    });
    let per_session = |name: &str| -> String {
        ui[name]["ipc"]["p50_per_session_ms"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_f64)
                    .map(|v| format!("{v:.2}"))
                    .collect::<Vec<_>>()
                    .join(" / ")
                    + " ms"
            })
            .unwrap_or_else(|| "n/a".into())
    };
    details.push(Figure {
        interval: None,
        key: "ipc_p50_per_session",
        what: "IPC round trip p50 in each session (how much one busy minute moves it)".into(),
        serene: per_session("serene"),
        baseline: format!("hello {}", per_session("hello")),
        value: None,
        unit: " ms",
        target: None,
    });
    let under = |name: &str| f(&ui[name]["ipc"]["share_under_one_tick"]).map(|v| v * 100.0);
    details.push(Figure {
        interval: None,
        key: "ipc_share_under_1ms",
        what: "IPC calls under 1 ms, read off the page clock's ticks alone".into(),
        serene: fmt(under("serene"), 1, " %"),
        baseline: format!("hello {}", fmt(under("hello"), 1, " %")),
        value: under("serene"),
        unit: " %",
        target: None,
    });
    let batch = |name: &str| f(&ui[name]["ipc"]["batch_mean_ms"]);
    details.push(Figure {
        interval: None,
        key: "ipc_back_to_back_mean",
        what: "IPC round trip, mean of 200 back-to-back calls (no idle between calls), per session"
            .into(),
        serene: fmt(batch("serene"), 3, " ms"),
        baseline: format!("hello {}", fmt(batch("hello"), 3, " ms")),
        value: batch("serene"),
        unit: " ms",
        target: None,
    });

    // Mediation.
    let med_core = &core["mediation"];
    let (app_path, app_label) = if med_core["service_os_keychain"].is_object() {
        (
            "service_os_keychain",
            "keys in the OS keychain, as in the app",
        )
    } else {
        ("service_memory_store", "key held in memory")
    };
    let bare = |p: &str| f(&med_core["bare_reqwest"]["summary"][p]);
    for (p, key) in [("p50", "mediation_p50"), ("p99", "mediation_p99")] {
        let fig = Figure {
            interval: None,
            key,
            what: format!(
                "Mediation overhead {p}: the same request through the core ({app_label}) minus a bare reqwest client"
            ),
            serene: fmt(f(&med_core[app_path]["summary"][p]), 3, " ms"),
            baseline: format!("bare {}", fmt(bare(p), 3, " ms")),
            value: f(&med_core[app_path]["overhead_vs_bare"][&format!("{p}_ms")]),
            unit: " ms",
            target: (p == "p50").then_some(("≤", 1.0)),
        };
        if p == "p50" {
            targets.push(fig);
        } else {
            details.push(fig);
        }
    }
    if app_path == "service_os_keychain" {
        details.push(Figure {
            interval: None,
            key: "mediation_memory_p50",
            what:
                "Mediation overhead p50 with the keys in a memory store (the core's own HTTP path)"
                    .into(),
            serene: fmt(
                f(&med_core["service_memory_store"]["summary"]["p50"]),
                3,
                " ms",
            ),
            baseline: format!("bare {}", fmt(bare("p50"), 3, " ms")),
            value: f(&med_core["service_memory_store"]["overhead_vs_bare"]["p50_ms"]),
            unit: " ms",
            target: None,
        });
        details.push(Figure {
            interval: None,
            key: "keychain_read_p50",
            what: "One key read from the OS keychain (what `Vault::key` pays at most once a minute), p50"
                .into(),
            serene: fmt(
                f(&med_core["os_keychain_read_alone"]["summary"]["p50"]),
                3,
                " ms",
            ),
            baseline: format!(
                "p99 {}",
                fmt(
                    f(&med_core["os_keychain_read_alone"]["summary"]["p99"]),
                    3,
                    " ms"
                )
            ),
            value: f(&med_core["os_keychain_read_alone"]["summary"]["p50"]),
            unit: " ms",
            target: None,
        });
    }

    // Speech.
    let first = &core["speech"]["first_chunk"];
    targets.push(Figure {
        interval: None,
        key: "first_chunk_p50",
        what: "First speech chunk: fake's first audio byte to the core's sink, p50".into(),
        serene: fmt(f(&first["core_to_sink"]["summary"]["p50"]), 3, " ms"),
        baseline: format!(
            "bare {}",
            fmt(f(&first["bare_reqwest"]["summary"]["p50"]), 3, " ms")
        ),
        value: f(&first["core_to_sink"]["summary"]["p50"]),
        unit: " ms",
        target: Some(("≤", 15.0)),
    });
    details.push(Figure {
        interval: None,
        key: "first_chunk_p99",
        what: "First speech chunk, p99".into(),
        serene: fmt(f(&first["core_to_sink"]["summary"]["p99"]), 3, " ms"),
        baseline: format!(
            "bare {}",
            fmt(f(&first["bare_reqwest"]["summary"]["p99"]), 3, " ms")
        ),
        value: f(&first["core_to_sink"]["summary"]["p99"]),
        unit: " ms",
        target: None,
    });
    let stream = &core["speech"]["stream_20mb"];
    targets.push(Figure {
        interval: None,
        key: "stream_growth_mib",
        what: "Peak heap growth while 20 MB of speech stream through the core (worst run)".into(),
        serene: fmt(mib(f(&stream["heap_peak_growth_bytes"])), 2, " MiB"),
        baseline: format!(
            "RSS peak growth {}",
            fmt(mib(f(&stream["rss_peak_growth_bytes"])), 2, " MiB")
        ),
        value: mib(f(&stream["heap_peak_growth_bytes"])),
        unit: " MiB",
        target: Some(("≤", 5.0)),
    });

    // Voice relay.
    let relay = &core["relay"];
    for (dir, label) in [
        ("up", "microphone frame to agent"),
        ("down", "agent audio to sink"),
    ] {
        for p in ["p50", "p99"] {
            details.push(Figure {
                interval: None,
                key: match (dir, p) {
                    ("up", "p50") => "relay_up_p50",
                    ("up", _) => "relay_up_p99",
                    (_, "p50") => "relay_down_p50",
                    _ => "relay_down_p99",
                },
                what: format!("Voice relay, latency added per frame ({label}), {p}"),
                serene: fmt(f(&relay[dir]["core"]["summary"][p]), 3, " ms"),
                baseline: format!(
                    "bare {}",
                    fmt(f(&relay[dir]["bare"]["summary"][p]), 3, " ms")
                ),
                value: f(&relay[dir]["added"][&format!("{p}_ms")]),
                unit: " ms",
                target: None,
            });
        }
    }

    // The core's share of start-up.
    let startup = &core["startup"];
    for (key, series, label) in [
        (
            "startup_gateway_ms",
            "gateway_new",
            "`Gateway::new` (two HTTPS clients)",
        ),
        (
            "startup_service_first_ms",
            "service_new_first_run",
            "`Service::new`, first run",
        ),
        (
            "startup_service_returning_ms",
            "service_new_returning",
            "`Service::new`, returning",
        ),
    ] {
        details.push(Figure {
            interval: None,
            key,
            what: format!(
                "Core start-up: {label}, p50 (secrets in the {})",
                startup["secret_store"].as_str().unwrap_or("?")
            ),
            serene: fmt(f(&startup[series]["summary"]["p50"]), 1, " ms"),
            baseline: format!(
                "p99 {}",
                fmt(f(&startup[series]["summary"]["p99"]), 1, " ms")
            ),
            value: f(&startup[series]["summary"]["p50"]),
            unit: " ms",
            target: None,
        });
    }
    targets.extend(details);
    targets
}

fn verdict(fig: &Figure) -> &'static str {
    match (fig.target, fig.value) {
        (Some((_, limit)), Some(v)) if v <= limit => "met",
        (Some(_), Some(_)) => "**missed**",
        (Some(_), None) => "not measured",
        (None, _) => "",
    }
}

fn table(figs: &[Figure]) -> String {
    let header = "| figure | Serene | baseline | ratio or value | target | |\n|---|---:|---:|---:|---:|---|\n";
    let mut md = format!("**Against the targets**\n\n{header}");
    let mut in_details = false;
    for fig in figs {
        if fig.target.is_none() && !in_details {
            in_details = true;
            md.push_str(&format!("\n**What is behind them**\n\n{header}"));
        }
        let digits = if fig.unit == "×" { 2 } else { 3 };
        let value = match fig.value {
            Some(v) if fig.unit == "×" => match fig.interval {
                Some((lo, hi)) => format!("{v:.digits$}× (90 % CI {lo:.2}–{hi:.2})"),
                None => format!("{v:.digits$}×"),
            },
            Some(v) if fig.unit == " %" => format!("{v:.1} %"),
            Some(v) if fig.unit == " ms more" => format!("{v:+.0} ms"),
            Some(v) => format!("{v:.digits$}{}", fig.unit),
            None if fig.key == "ipc_p50_per_session" => String::new(),
            None => "n/a".into(),
        };
        let target = match fig.target {
            Some((op, limit)) if fig.unit == "×" => format!("{op} {limit}×"),
            Some((op, limit)) => format!("{op} {limit}{}", fig.unit),
            None => String::new(),
        };
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            fig.what,
            fig.serene,
            fig.baseline,
            value,
            target,
            verdict(fig)
        ));
    }
    md
}

const RUN_COLUMNS: &[&str] = &[
    "start_ratio",
    "start_ratio_ci90",
    "start_returning_ratio",
    "start_page_ms",
    "memory_ratio_hello",
    "memory_ratio_chromium",
    "pss_ratio_hello",
    "pss_ratio_chromium",
    "binary_ratio",
    "deb_ratio",
    "ipc_p50",
    "ipc_ratio",
    "mediation_p50",
    "first_chunk_p50",
    "stream_growth_mib",
    "relay_up_p50",
    "relay_down_p50",
];

/// The recorded runs under today's header: a column added since an older run stays empty
/// in its row, and one since removed is dropped.
fn with_current_columns(csv: &str) -> String {
    let header = format!("run,date,commit,{}", RUN_COLUMNS.join(","));
    let mut lines = csv.lines();
    let Some(old_header) = lines.next() else {
        return header + "\n";
    };
    let old: Vec<&str> = old_header.split(',').collect();
    let mut out = header.clone() + "\n";
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        let row: Vec<&str> = header
            .split(',')
            .map(|column| {
                old.iter()
                    .position(|c| *c == column)
                    .and_then(|at| cells.get(at).copied())
                    .unwrap_or("")
            })
            .collect();
        out.push_str(&(row.join(",") + "\n"));
    }
    out
}

fn runs_table(csv: &str) -> String {
    let mut lines = csv.lines();
    let Some(header) = lines.next() else {
        return String::new();
    };
    let columns: Vec<&str> = header.split(',').collect();
    let mut md = format!(
        "| {} |\n|{}\n",
        columns.join(" | "),
        "---|".repeat(columns.len())
    );
    for line in lines {
        md.push_str(&format!(
            "| {} |\n",
            line.split(',').collect::<Vec<_>>().join(" | ")
        ));
    }
    md
}

fn replace_between(text: &str, name: &str, body: &str) -> Option<String> {
    let open = format!("<!-- bench:{name} -->");
    let close = format!("<!-- /bench:{name} -->");
    let start = text.find(&open)? + open.len();
    let end = text[start..].find(&close)? + start;
    Some(format!("{}\n{}{}", &text[..start], body, &text[end..]))
}

/// Writes `latest.json`, appends to `runs.csv` (when `record`), and rewrites the marked
/// sections of `markdown` if given. Returns the results table.
pub fn report(
    dir: &Path,
    results: &Path,
    markdown: Option<&Path>,
    record: bool,
    label: &str,
) -> String {
    let mut all = json!({
        "meta": read_json(&dir.join("meta.json")),
        "core": read_json(&dir.join("core.json")),
        "ui": read_json(&dir.join("ui.json")),
        "memory": read_json(&dir.join("memory.json")),
    });
    all["meta"]["run_label"] = json!(label);
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        all["meta"]["machine"]["loadavg_after_measuring"] = json!(load.trim());
    }
    let figs = figures(&all);
    let mut fig_map = serde_json::Map::new();
    for fig in &figs {
        fig_map.insert(
            fig.key.into(),
            json!({ "value": fig.value, "target": fig.target.map(|(op, v)| format!("{op} {v}")), "verdict": verdict(fig).trim_matches('*') }),
        );
    }
    all["figures"] = Value::Object(fig_map);
    std::fs::create_dir_all(results).unwrap();
    let text = serde_json::to_string_pretty(&all).unwrap() + "\n";
    std::fs::write(results.join("latest.json"), &text).unwrap();
    // Each recorded run keeps its samples, so runs can be compared sample by sample.
    if record {
        std::fs::write(results.join(format!("{label}.json")), &text).unwrap();
    }

    let csv_path = results.join("runs.csv");
    if record {
        let mut csv = with_current_columns(&std::fs::read_to_string(&csv_path).unwrap_or_default());
        let commit = all["meta"]["git"]["commit"]
            .as_str()
            .map(|c| c.chars().take(10).collect::<String>())
            .unwrap_or_default();
        let dirty = if all["meta"]["git"]["uncommitted_changes"] == json!(true) {
            "+changes"
        } else {
            ""
        };
        let mut row = vec![
            label.to_string(),
            all["meta"]["date"].as_str().unwrap_or("").to_string(),
            format!("{commit}{dirty}"),
        ];
        for key in RUN_COLUMNS {
            if let Some(base) = key.strip_suffix("_ci90") {
                let fig = figs.iter().find(|f| f.key == base);
                row.push(match fig.and_then(|f| f.interval) {
                    Some((lo, hi)) => format!("{lo:.2}–{hi:.2}"),
                    None => String::new(),
                });
                continue;
            }
            let fig = figs.iter().find(|f| f.key == *key);
            row.push(match fig.and_then(|f| f.value) {
                Some(v) => format!("{v:.3}"),
                None => String::new(),
            });
        }
        csv.push_str(&(row.join(",") + "\n"));
        std::fs::write(&csv_path, csv).unwrap();
    }

    let results_md = table(&figs);
    if let Some(markdown) = markdown {
        let meta = &all["meta"];
        let heading = format!(
            "Run **{}**, {} · {} ({} cores, {} GiB RAM), Linux {}, {} · commit `{}`{} · Tauri {}, WebKitGTK {}, {} · {}\n\n",
            label,
            meta["date"].as_str().unwrap_or("?"),
            meta["machine"]["cpu"].as_str().unwrap_or("?"),
            meta["machine"]["nproc"],
            meta["machine"]["ram_gib"],
            meta["machine"]["kernel"].as_str().unwrap_or("?"),
            meta["machine"]["os"].as_str().unwrap_or("?"),
            meta["git"]["commit"].as_str().map(|c| &c[..c.len().min(10)]).unwrap_or("?"),
            if meta["git"]["uncommitted_changes"] == json!(true) { " (with uncommitted changes)" } else { "" },
            meta["versions"]["tauri"].as_str().unwrap_or("?"),
            meta["versions"]["webkit2gtk"].as_str().unwrap_or("?"),
            meta["versions"]["chromium"].as_str().unwrap_or("?"),
            meta["versions"]["rustc"].as_str().unwrap_or("?"),
        );
        let csv = std::fs::read_to_string(&csv_path).unwrap_or_default();
        if let Ok(text) = std::fs::read_to_string(markdown) {
            let text = replace_between(&text, "results", &format!("{heading}{results_md}"))
                .unwrap_or(text);
            let text = replace_between(&text, "runs", &runs_table(&csv)).unwrap_or(text);
            std::fs::write(markdown, text).unwrap();
        }
    }
    results_md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_are_replaced_between_markers() {
        let text = "a\n<!-- bench:runs -->\nold\n<!-- /bench:runs -->\nb\n";
        assert_eq!(
            replace_between(text, "runs", "new\n").unwrap(),
            "a\n<!-- bench:runs -->\nnew\n<!-- /bench:runs -->\nb\n"
        );
        assert!(replace_between(text, "results", "x").is_none());
    }
}
