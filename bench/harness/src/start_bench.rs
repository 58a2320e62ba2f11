//! Start to the first screen painted, as a person starts the app: no WebDriver, no
//! automation (see visual.rs). Each round, on one private desktop: a first run (fresh home),
//! then, for Serene, the consent given through WebDriver as a person would (untimed; the
//! hello app is started and quit the same way), then a returning start on the same home
//! and keychain.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::desktop::{screenshot, Reaped, Session, XServer};
use crate::stats::summarize;
use crate::ui_bench::{self, AppSpec};
use crate::visual::Watcher;

#[derive(Clone, Debug)]
pub struct Options {
    pub launches: usize,
    pub warmup_launches: usize,
    pub shots: Option<std::path::PathBuf>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Observed {
    /// Exec to the window mapped.
    pub mapped_ms: Option<f64>,
    /// Exec to the first screen painted.
    pub ready_ms: Option<f64>,
    /// Every change to the window's contents (ms after exec) until it settled.
    pub changes_ms: Vec<f64>,
}

/// Starts `app` in `session` directly and watches its window until it settles.
pub fn observe(x: &XServer, session: &Session, app: &AppSpec, shot: Option<&str>) -> Observed {
    let watcher = Watcher::new(&x.display);
    let mut command = Command::new(&app.binary);
    session.env(&mut command);
    command
        .stdout(std::fs::File::create(session.root().join("app-stdout.log")).unwrap())
        .stderr(std::fs::File::create(session.root().join("app-stderr.log")).unwrap());
    let started = Instant::now();
    let process = Reaped::spawn("app", command);
    let seen = watcher.run(
        &app.title,
        started,
        Duration::from_millis(2_500),
        Duration::from_millis(1_500),
        Duration::from_secs(15),
    );
    if let (Some(name), Some(dir)) = (shot, app_shots_dir()) {
        screenshot(
            &x.display,
            &dir.join(format!("bench-{}-{name}.png", app.name)),
        );
    }
    drop(process);
    let ms = |at: Instant| at.duration_since(started).as_secs_f64() * 1_000.0;
    Observed {
        mapped_ms: seen.mapped.map(ms),
        ready_ms: seen.ready().map(ms),
        changes_ms: seen.changes.iter().map(|c| ms(c.at)).collect(),
    }
}

fn app_shots_dir() -> Option<std::path::PathBuf> {
    std::env::var_os("SERENE_BENCH_SHOTS").map(Into::into)
}

pub struct Round {
    pub first_run: Observed,
    pub returning: Observed,
}

pub async fn round(x: &XServer, app: &AppSpec, shots: bool) -> Round {
    let mut session = Session::start(Some(&x.display));
    let first_run = observe(x, &session, app, shots.then_some("first-run"));
    // Give consent (Serene) the way a person does, through the real UI, untimed.
    let base = session.start_driver();
    for attempt in 0..3 {
        match ui_bench::start_and_agree(&session, &base, app).await {
            Ok(()) => break,
            Err(error) if attempt < 2 => eprintln!("  {}: {error}; again", app.name),
            Err(error) => panic!("{}: could not get past the first screen: {error}", app.name),
        }
    }
    // The single-instance guard must see the previous process gone.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let returning = observe(x, &session, app, shots.then_some("returning"));
    drop(session);
    Round {
        first_run,
        returning,
    }
}

pub async fn run(apps: &[AppSpec], options: &Options) -> Value {
    if let Some(dir) = &options.shots {
        std::env::set_var("SERENE_BENCH_SHOTS", dir);
    }
    let x = XServer::start();
    for app in apps {
        for _ in 0..options.warmup_launches {
            round(&x, app, false).await;
        }
    }
    let mut rounds: Vec<Vec<Round>> = apps.iter().map(|_| Vec::new()).collect();
    for n in 0..options.launches {
        let order: Vec<usize> = if n % 2 == 0 {
            (0..apps.len()).collect()
        } else {
            (0..apps.len()).rev().collect()
        };
        for which in order {
            let app = &apps[which];
            let result = round(&x, app, n == 0 && options.shots.is_some()).await;
            let show = |o: &Observed| o.ready_ms.map_or("?".into(), |v| format!("{v:.0} ms"));
            eprintln!(
                "  {} round {}: first screen painted after {} (first run), {} (returning)",
                app.name,
                n + 1,
                show(&result.first_run),
                show(&result.returning)
            );
            rounds[which].push(result);
        }
    }
    let mut out = serde_json::Map::new();
    for (app, rounds) in apps.iter().zip(&rounds) {
        let series = |pick: fn(&Round) -> &Observed| {
            let observed: Vec<&Observed> = rounds.iter().map(pick).collect();
            let ready: Vec<f64> = observed.iter().filter_map(|o| o.ready_ms).collect();
            let mapped: Vec<f64> = observed.iter().filter_map(|o| o.mapped_ms).collect();
            json!({
                "summary": summarize(&ready),
                "samples_ms": ready,
                "not_settled": observed.len() - ready.len(),
                "window_mapped": { "summary": summarize(&mapped), "samples_ms": mapped },
                "launches": observed,
            })
        };
        out.insert(
            app.name.clone(),
            json!({
                "binary": app.binary,
                "first_run": series(|r| &r.first_run),
                "returning": series(|r| &r.returning),
            }),
        );
    }
    json!({
        "method": "exec to the first change of the window after which its pixels are what they settle on (XDamage + reads of the window), no WebDriver",
        "launches": options.launches,
        "warmup_launches": options.warmup_launches,
        "apps": Value::Object(out),
    })
}
