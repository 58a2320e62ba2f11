//! serene-bench: the harness behind `scripts/bench.sh`. Each subcommand writes one JSON
//! file; `report` turns them into the published figures.
//!
//!   core    [--quick] [--keychain|--no-keychain] --out FILE
//!   start   --app NAME,TITLE,BINARY... [--launches N] [--warmup-launches N] [--shots DIR]
//!           --out FILE
//!   ui      --app NAME,TITLE,BINARY... [--launches N] [--warmup-launches N]
//!           [--ipc-calls N] [--ipc-warmup N] [--ipc-sessions N] [--shots DIR] --out FILE
//!   memory  --app NAME,TITLE,BINARY... [--chromium BINARY --site DIR --site-title T]
//!           [--launches N] [--idle SECONDS] [--shots DIR] --out FILE
//!   meta    --repo DIR [--size KEY=PATH...] [--load-at-start LOADAVG] --out FILE
//!   report  --dir DIR --results DIR [--markdown FILE] [--record] [--label L]
//!   smoke   --dir DIR        (seconds: the harness end to end, tiny counts, no app)

// The heap counter the core's own memory tests use.
#[path = "../../../src-tauri/core/tests/support/counting_alloc.rs"]
mod alloc;
mod core_bench;
mod desktop;
mod fakes;
mod mem_bench;
// Children reaped with their process group, as in the end-to-end tests.
#[allow(dead_code)]
#[path = "../../../tests/support/process.rs"]
mod process;
mod report;
mod start_bench;
mod stats;
mod ui_bench;
mod visual;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

#[global_allocator]
static ALLOCATOR: alloc::Counting = alloc::Counting;

struct Args(Vec<String>);

impl Args {
    fn flag(&mut self, name: &str) -> bool {
        match self.0.iter().position(|a| a == name) {
            Some(at) => {
                self.0.remove(at);
                true
            }
            None => false,
        }
    }

    fn values(&mut self, name: &str) -> Vec<String> {
        let mut found = Vec::new();
        while let Some(at) = self.0.iter().position(|a| a == name) {
            assert!(at + 1 < self.0.len(), "{name} needs a value");
            found.push(self.0.remove(at + 1));
            self.0.remove(at);
        }
        found
    }

    fn value(&mut self, name: &str) -> Option<String> {
        self.values(name).pop()
    }

    fn number(&mut self, name: &str, default: usize) -> usize {
        self.value(name)
            .map(|v| {
                v.parse()
                    .unwrap_or_else(|_| panic!("{name}: not a number: {v}"))
            })
            .unwrap_or(default)
    }

    fn path(&mut self, name: &str) -> PathBuf {
        PathBuf::from(
            self.value(name)
                .unwrap_or_else(|| panic!("{name} is required")),
        )
    }

    fn done(self) {
        assert!(self.0.is_empty(), "unknown arguments: {:?}", self.0);
    }
}

fn apps(args: &mut Args) -> Vec<ui_bench::AppSpec> {
    args.values("--app")
        .iter()
        .map(|spec| {
            let mut parts = spec.splitn(3, ',');
            let (Some(name), Some(title), Some(binary)) =
                (parts.next(), parts.next(), parts.next())
            else {
                panic!("--app wants NAME,TITLE,BINARY, not {spec}");
            };
            let binary = PathBuf::from(binary);
            assert!(
                binary.is_file(),
                "{name}: no binary at {}",
                binary.display()
            );
            ui_bench::AppSpec {
                name: name.into(),
                title: title.into(),
                binary,
            }
        })
        .collect()
}

fn write(path: &Path, value: &Value) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::fs::write(path, serde_json::to_string_pretty(value).unwrap() + "\n").unwrap();
    eprintln!("  wrote {}", path.display());
}

fn runtime() -> tokio::runtime::Runtime {
    // As Tauri's async runtime: multi-threaded, one worker per core.
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn core(options: core_bench::Options) -> Value {
    // The keychain series talks to a private, unlocked gnome-keyring on its own bus.
    let session = if options.keychain {
        let session = desktop::Session::start(None);
        // Set before any thread exists (the runtime is built after this).
        std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &session.bus_address);
        Some(session)
    } else {
        None
    };
    let value = runtime().block_on(core_bench::run(&options));
    drop(session);
    value
}

fn smoke(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    eprintln!("smoke: core series with tiny counts");
    let core = core(core_bench::Options::quick());
    for path in [
        &core["mediation"]["bare_reqwest"]["summary"]["p50"],
        &core["mediation"]["service_memory_store"]["overhead_vs_bare"]["p50_ms"],
        &core["speech"]["first_chunk"]["core_to_sink"]["summary"]["p99"],
        &core["speech"]["stream_20mb"]["heap_peak_growth_bytes"],
        &core["relay"]["up"]["added"]["p50_ms"],
        &core["relay"]["down"]["core"]["summary"]["p50"],
    ] {
        assert!(path.is_number(), "a core figure is missing: {core}");
    }
    write(&dir.join("core.json"), &core);

    eprintln!("smoke: process-tree memory sampling");
    let mut child = std::process::Command::new("sh")
        .args(["-c", "sleep 30 & sleep 30 & wait"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let (total, by_label, processes) = mem_bench::tree_footprint(child.id());
    for pid in mem_bench::process_tree(child.id()).into_iter().rev() {
        unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    }
    let _ = child.wait();
    assert_eq!(processes, 3, "sh and its two sleeps: {by_label:?}");
    assert!(total.pss_kib > 0 && total.uss_kib > 0 && total.uss_kib <= total.rss_kib);

    eprintln!("smoke: report");
    write(
        &dir.join("meta.json"),
        &report::meta(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../..")
                .as_path(),
            &[],
            None,
        ),
    );
    let results = dir.join("results");
    // A run recorded before a column was added keeps its place under today's header.
    std::fs::create_dir_all(&results).unwrap();
    std::fs::write(
        results.join("runs.csv"),
        "run,date,commit,start_ratio,gone\nolder,2026-01-01,abc,1.5,9\n",
    )
    .unwrap();
    let table = report::report(dir, &results, None, true, "smoke");
    assert!(table.contains("Mediation overhead p50"), "{table}");
    let latest: Value =
        serde_json::from_slice(&std::fs::read(results.join("latest.json")).unwrap()).unwrap();
    assert!(latest["figures"]["mediation_p50"]["value"].is_number());
    assert!(latest["figures"]["first_chunk_p50"]["value"].is_number());
    let runs = std::fs::read_to_string(results.join("runs.csv")).unwrap();
    let rows: Vec<Vec<&str>> = runs.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 3, "{runs}");
    assert!(rows.iter().all(|r| r.len() == rows[0].len()), "{runs}");
    let at = rows[0].iter().position(|c| *c == "start_ratio").unwrap();
    assert_eq!((rows[1][0], rows[1][at]), ("older", "1.5"), "{runs}");
    assert!(
        !rows[0].contains(&"gone"),
        "a removed column is dropped: {runs}"
    );
    assert_eq!(rows[2][0], "smoke");
    println!("{table}");
    eprintln!("smoke: the harness works");
}

fn main() {
    // reqwest is built without a default TLS crypto provider (as in the core): install ring.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut all: Vec<String> = std::env::args().skip(1).collect();
    if all.is_empty() {
        eprintln!("usage: serene-bench core|ui|memory|meta|report|smoke ... (see src/main.rs)");
        std::process::exit(2);
    }
    let command = all.remove(0);
    let mut args = Args(all);
    match command.as_str() {
        "core" => {
            let mut options = if args.flag("--quick") {
                core_bench::Options::quick()
            } else {
                core_bench::Options::full()
            };
            if args.flag("--no-keychain") {
                options.keychain = false;
            }
            if args.flag("--keychain") {
                options.keychain = true;
            }
            let out = args.path("--out");
            args.done();
            write(&out, &core(options));
        }
        "ui" => {
            let apps = apps(&mut args);
            let options = ui_bench::Options {
                launches: args.number("--launches", 10),
                warmup_launches: args.number("--warmup-launches", 1),
                ipc_calls: args.number("--ipc-calls", 1_000),
                ipc_warmup: args.number("--ipc-warmup", 100),
                ipc_sessions: args.number("--ipc-sessions", 3),
                shots: args.value("--shots").map(PathBuf::from),
            };
            let out = args.path("--out");
            args.done();
            let value = runtime().block_on(ui_bench::run(&apps, &options));
            write(&out, &value);
        }
        "memory" => {
            let apps = apps(&mut args);
            let chromium = args
                .value("--chromium")
                .map(|binary| mem_bench::ChromiumSpec {
                    binary: PathBuf::from(binary),
                    site: PathBuf::from(
                        args.value("--site")
                            .expect("--site is required with --chromium"),
                    ),
                    title: args
                        .value("--site-title")
                        .unwrap_or_else(|| "Serene".into()),
                });
            let options = mem_bench::Options {
                launches: args.number("--launches", 5),
                idle: Duration::from_secs(args.number("--idle", 5) as u64),
                shots: args.value("--shots").map(PathBuf::from),
            };
            let out = args.path("--out");
            args.done();
            write(&out, &mem_bench::run(&apps, chromium.as_ref(), &options));
        }
        "meta" => {
            let repo = args.path("--repo");
            let sizes: Vec<(String, String)> = args
                .values("--size")
                .iter()
                .map(|s| {
                    let (k, v) = s.split_once('=').expect("--size wants KEY=PATH");
                    (k.to_string(), v.to_string())
                })
                .collect();
            let load = args.value("--load-at-start");
            let out = args.path("--out");
            args.done();
            write(&out, &report::meta(&repo, &sizes, load.as_deref()));
        }
        "report" => {
            let dir = args.path("--dir");
            let results = args.path("--results");
            let markdown = args.value("--markdown").map(PathBuf::from);
            let record = args.flag("--record");
            let label = args.value("--label").unwrap_or_else(|| "run".into());
            args.done();
            println!(
                "{}",
                report::report(&dir, &results, markdown.as_deref(), record, &label)
            );
        }
        "start" => {
            let apps = apps(&mut args);
            let options = start_bench::Options {
                launches: args.number("--launches", 20),
                warmup_launches: args.number("--warmup-launches", 1),
                shots: args.value("--shots").map(PathBuf::from),
            };
            let out = args.path("--out");
            args.done();
            let value = runtime().block_on(start_bench::run(&apps, &options));
            write(&out, &value);
        }
        "smoke" => {
            let dir = args.path("--dir");
            args.done();
            smoke(&dir);
        }
        other => {
            eprintln!("unknown subcommand {other}");
            std::process::exit(2);
        }
    }
}
