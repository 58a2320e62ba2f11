//! Start to UI-ready and the IPC round trip, in the real release apps, through WebDriver
//! (tauri-driver and WebKitWebDriver, as the end-to-end tests drive the app).
//!
//! Start: the app is launched through a tiny wrapper that writes the wall-clock time just
//! before it `exec`s the binary; the app is UI-ready when WebDriver first finds `main h1`
//! (Serene's first screen; the hello app's page has one too). WebDriver's own start-up
//! (tauri-driver, WebKitWebDriver, the session) happens before the stamp, so it is not
//! counted; the automation connection itself is, for both apps alike.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::desktop::{screenshot, Session, XServer};
use crate::stats::{median, summarize};

const IPC_PROBE: &str = include_str!("ipc_probe.js");
const READY_SELECTOR: &str = "main h1";
const READY_WATCH: &str = r#"
const [selector] = arguments;
const done = arguments[arguments.length - 1];
const stamp = () => performance.timeOrigin + performance.now();
const fcp = () => {
  const entry = performance.getEntriesByName("first-contentful-paint")[0];
  return entry ? performance.timeOrigin + entry.startTime : null;
};
function finish(how) {
  const dom = stamp();
  // The frame after the heading arrived, then the task after that frame: it is painted.
  requestAnimationFrame(() => {
    const frame = stamp();
    setTimeout(() => {
      const painted = stamp();
      const report = () =>
        done({ how, dom, frame, painted, fcp: fcp(), interactive: performance.timing.domInteractive });
      if (how === "present" && fcp() === null) {
        // A static page: its first contentful paint showed the heading. Wait for the entry.
        const until = stamp() + 1000;
        const poll = () => (fcp() !== null || stamp() > until ? report() : setTimeout(poll, 10));
        poll();
      } else {
        report();
      }
    }, 0);
  });
}
if (document.querySelector(selector)) {
  finish("present");
} else {
  const watch = new MutationObserver(() => {
    if (document.querySelector(selector)) {
      watch.disconnect();
      finish("inserted");
    }
  });
  watch.observe(document, { childList: true, subtree: true });
}
"#;

#[derive(Clone, Debug)]
pub struct AppSpec {
    pub name: String,
    pub binary: PathBuf,
    pub title: String,
}

#[derive(Clone, Debug)]
pub struct Options {
    pub launches: usize,
    /// Untimed launches of each app first, so both start from a warm page cache.
    pub warmup_launches: usize,
    pub ipc_calls: usize,
    pub ipc_warmup: usize,
    /// In how many sessions (the first rounds) the IPC probe runs.
    pub ipc_sessions: usize,
    pub shots: Option<PathBuf>,
}

struct Driver {
    http: reqwest::Client,
    base: String,
    session: String,
}

impl Driver {
    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}/session/{}{path}", self.base, self.session))
            .json(&body)
            .send()
            .await
            .expect("WebDriver request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn quit(&self) {
        let _ = self
            .http
            .delete(format!("{}/session/{}", self.base, self.session))
            .send()
            .await;
    }
}

fn write_wrapper(dir: &Path, binary: &Path, stamp: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let wrapper = dir.join("launch.sh");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/bash\nprintf '%s' \"$EPOCHREALTIME\" > '{}'\nexec '{}' \"$@\"\n",
            stamp.display(),
            binary.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    wrapper
}

/// Starts the app in `session` through tauri-driver at `base` and waits for UI-ready.
/// Returns the WebDriver session and the time from exec to UI-ready.
async fn start_app(
    session: &Session,
    base: &str,
    app: &AppSpec,
) -> Result<(Driver, Phases), String> {
    let stamp = session.root().join("t0");
    let _ = std::fs::remove_file(&stamp);
    let wrapper = write_wrapper(session.root(), &app.binary, &stamp);
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let caps = json!({ "tauri:options": { "application": wrapper } });
    let response: Value = http
        .post(format!("{base}/session"))
        .json(&json!({ "capabilities": { "alwaysMatch": caps }, "desiredCapabilities": caps }))
        .send()
        .await
        .map_err(|e| format!("tauri-driver did not answer: {e}"))?
        .json()
        .await
        .map_err(|e| format!("no WebDriver session: {e}"))?;
    let Some(id) = response["value"]["sessionId"].as_str() else {
        return Err(format!("no WebDriver session: {response}"));
    };
    let driver = Driver {
        http,
        base: base.to_string(),
        session: id.to_string(),
    };
    // Watches for `main h1` inside the page and stamps the wall-clock time when it is there
    // and at the next animation frame (the frame that paints it), so WebDriver's own
    // latency is not counted. WebKitWebDriver runs the script once the page has loaded; if
    // the heading is already there (a static page), the script's start is the stamp.
    let deadline = Instant::now() + Duration::from_secs(60);
    let ready = loop {
        let (status, value) = driver
            .post(
                "/execute/async",
                json!({ "script": READY_WATCH, "args": [READY_SELECTOR] }),
            )
            .await;
        if status == 200 && value["value"]["painted"].is_number() {
            break value["value"].clone();
        }
        if Instant::now() > deadline {
            driver.quit().await;
            return Err(format!("`{READY_SELECTOR}` never appeared: {value}"));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    // Painted: for a heading that arrived, the task after its frame; for one that was in
    // the page from the start, the page's first contentful paint (when WebKit reports it).
    let fcp_at = ready["fcp"]
        .as_f64()
        .filter(|f| *f >= ready["interactive"].as_f64().unwrap_or(f64::MAX));
    let ready_at = match (ready["how"].as_str(), fcp_at) {
        (Some("present"), Some(fcp)) => fcp,
        _ => ready["painted"].as_f64().unwrap(),
    } / 1_000.0;
    let Some(t0) = std::fs::read_to_string(&stamp)
        .ok()
        .and_then(|t| t.trim().parse::<f64>().ok())
    else {
        driver.quit().await;
        return Err("the launch wrapper wrote no time".into());
    };
    // Where the time went: exec to the page's navigation start, then the page's own
    // milestones (all wall-clock, so comparable with the wrapper's stamp).
    let (_, timing) = driver
        .post(
            "/execute/sync",
            json!({ "script": "const t = performance.timing; return [performance.timeOrigin, t.responseEnd, t.domContentLoadedEventEnd, t.loadEventEnd];", "args": [] }),
        )
        .await;
    let marks: Vec<f64> = timing["value"]
        .as_array()
        .map(|a| a.iter().map(|v| v.as_f64().unwrap_or(f64::NAN)).collect())
        .unwrap_or_default();
    let since = |at: Option<&f64>| {
        at.map(|ms| ms - t0 * 1_000.0)
            .filter(|v| v.is_finite() && *v > 0.0)
    };
    let phases = Phases {
        how: ready["how"].as_str().unwrap_or("?").to_string(),
        dom_interactive: since(ready["interactive"].as_f64().as_ref()),
        first_contentful_paint: since(ready["fcp"].as_f64().as_ref()),
        next_frame: since(ready["frame"].as_f64().as_ref()),
        in_dom: since(ready["dom"].as_f64().as_ref()),
        navigation_start: since(marks.first()),
        response_end: since(marks.get(1)),
        dom_content_loaded: since(marks.get(2)),
        load_end: since(marks.get(3)),
        ready: (ready_at - t0) * 1_000.0,
    };
    Ok((driver, phases))
}

/// Milliseconds after exec at which each milestone was reached.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Phases {
    /// "inserted" when the heading was seen arriving, "present" when it was already there.
    pub how: String,
    /// When the heading was in the DOM (ready is the next animation frame).
    pub in_dom: Option<f64>,
    pub dom_interactive: Option<f64>,
    pub first_contentful_paint: Option<f64>,
    pub next_frame: Option<f64>,
    pub navigation_start: Option<f64>,
    pub response_end: Option<f64>,
    pub dom_content_loaded: Option<f64>,
    pub load_end: Option<f64>,
    pub ready: f64,
}

fn element_id(found: &Value) -> Option<String> {
    found["value"]
        .as_object()?
        .values()
        .next()?
        .as_str()
        .map(str::to_string)
}

/// On Serene's first screen, agrees to the consent as a person would, and waits for the
/// next screen, so the next launch is a returning person's. Does nothing elsewhere.
async fn agree_if_asked(driver: &Driver) -> Result<(), String> {
    let (status, found) = driver
        .post(
            "/element",
            json!({ "using": "xpath", "value": "//button[normalize-space()=\"I understand and agree\"]" }),
        )
        .await;
    let Some(button) = element_id(&found).filter(|_| status == 200) else {
        return Ok(());
    };
    driver
        .post(&format!("/element/{button}/click"), json!({}))
        .await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, found) = driver
            .post(
                "/element",
                json!({ "using": "css selector", "value": READY_SELECTOR }),
            )
            .await;
        if let Some(h1) = element_id(&found) {
            let text = driver
                .http
                .get(format!(
                    "{}/session/{}/element/{h1}/text",
                    driver.base, driver.session
                ))
                .send()
                .await
                .ok();
            if let Some(response) = text {
                let value: Value = response.json().await.unwrap_or(Value::Null);
                if value["value"]
                    .as_str()
                    .is_some_and(|t| !t.is_empty() && t != "Before you begin")
                {
                    return Ok(());
                }
            }
        }
        if Instant::now() > deadline {
            return Err("agreeing did not leave the consent screen".into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Starts the app through WebDriver, gives Serene's consent if it asks, and quits.
pub async fn start_and_agree(session: &Session, base: &str, app: &AppSpec) -> Result<(), String> {
    let (driver, _) = start_app(session, base, app).await?;
    let agreed = agree_if_asked(&driver).await;
    driver.quit().await;
    agreed
}

async fn probe_ipc(driver: &Driver, options: &Options) -> Result<Value, String> {
    driver.post("/timeouts", json!({ "script": 600_000 })).await;
    let (status, value) = driver
        .post(
            "/execute/async",
            json!({
                "script": IPC_PROBE,
                "args": ["app_info", options.ipc_calls, options.ipc_warmup],
            }),
        )
        .await;
    let value = value["value"].clone();
    if status == 200 && value.get("error").is_none() && value["method"].is_string() {
        Ok(value)
    } else {
        Err(format!("the IPC probe failed ({status}): {value}"))
    }
}

pub struct Launch {
    /// A first run: fresh home, empty keychain.
    pub cold: Phases,
    /// The next start on the same home and keychain (for Serene: consent given, so the
    /// page reads the key status from the keychain before it shows its screen).
    pub returning: Phases,
    pub ipc: Option<Value>,
}

/// One private desktop session: a first-run start, then a returning start.
/// One round for one app, tried again from scratch (a new private desktop) if WebDriver
/// fails, which it rarely does.
async fn launch(x: &XServer, app: &AppSpec, options: &Options, ipc: bool, shot: bool) -> Launch {
    let mut failures = Vec::new();
    while failures.len() < 3 {
        match try_launch(x, app, options, ipc, shot).await {
            Ok(launch) => return launch,
            Err(error) => {
                eprintln!("  {}: {error}; trying the round again", app.name);
                failures.push(error);
            }
        }
    }
    panic!("{}: three failed attempts: {failures:?}", app.name);
}

async fn try_launch(
    x: &XServer,
    app: &AppSpec,
    options: &Options,
    ipc: bool,
    shot: bool,
) -> Result<Launch, String> {
    let mut session = Session::start(Some(&x.display));
    let base = session.start_driver();
    let (driver, cold) = start_app(&session, &base, app).await?;
    let ipc = if ipc {
        Some(probe_ipc(&driver, options).await?)
    } else {
        None
    };
    if shot {
        if let Some(dir) = &options.shots {
            screenshot(
                &x.display,
                &dir.join(format!("bench-{}-first-run.png", app.name)),
            );
        }
    }
    agree_if_asked(&driver).await?;
    driver.quit().await;
    // The single-instance guard must see the first process gone.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (driver, returning) = start_app(&session, &base, app).await?;
    if shot {
        if let Some(dir) = &options.shots {
            screenshot(
                &x.display,
                &dir.join(format!("bench-{}-returning.png", app.name)),
            );
        }
    }
    driver.quit().await;
    drop(session);
    Ok(Launch {
        cold,
        returning,
        ipc,
    })
}

fn phase_medians(all: &[Phases]) -> Value {
    let of = |pick: fn(&Phases) -> Option<f64>| {
        let values: Vec<f64> = all.iter().filter_map(pick).collect();
        (!values.is_empty()).then(|| median(&values))
    };
    json!({
        "navigation_start": of(|p| p.navigation_start),
        "response_end": of(|p| p.response_end),
        "dom_content_loaded": of(|p| p.dom_content_loaded),
        "load_end": of(|p| p.load_end),
        "dom_interactive": of(|p| p.dom_interactive),
        "first_contentful_paint": of(|p| p.first_contentful_paint),
        "in_dom": of(|p| p.in_dom),
        "next_frame": of(|p| p.next_frame),
        "ready": of(|p| Some(p.ready)),
    })
}

/// The figures over every session's calls together, and each session's p50.
fn ipc_pooled(probes: &[Value]) -> Value {
    let sessions: Vec<Value> = probes.iter().map(ipc_figures).collect();
    let Some(first) = sessions.first() else {
        return Value::Null;
    };
    let mut pooled = first.clone();
    let samples: Vec<f64> = sessions
        .iter()
        .flat_map(|s| numbers(&s["samples_ms"]))
        .collect();
    let mean = |key: &str| {
        let values: Vec<f64> = sessions.iter().filter_map(|s| s[key].as_f64()).collect();
        (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
    };
    pooled["summary"] = json!(summarize(&samples));
    pooled["samples_ms"] = json!(samples);
    pooled["batch_mean_ms"] = json!(mean("batch_mean_ms"));
    pooled["share_under_one_tick"] = json!(mean("share_under_one_tick"));
    pooled["sessions"] = json!(sessions.len());
    pooled["p50_per_session_ms"] = sessions
        .iter()
        .map(|s| s["summary"]["p50"].clone())
        .collect();
    pooled["batch_mean_per_session_ms"] = sessions
        .iter()
        .map(|s| s["batch_mean_ms"].clone())
        .collect();
    pooled
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default()
}

/// Per-call times from the probe's raw counts (see ipc_probe.js).
pub fn ipc_figures(probe: &Value) -> Value {
    if probe.is_null() {
        return Value::Null;
    }
    let mut extra = serde_json::Map::new();
    let samples = if probe["method"] == "direct" {
        numbers(&probe["samples"])
    } else {
        let tick = probe["resolution"].as_f64().unwrap_or(1.0);
        let (start, end) = (numbers(&probe["start"]), numbers(&probe["end"]));
        let (to_edge, whole) = (numbers(&probe["toEdge"]), numbers(&probe["whole"]));
        if whole.is_empty() {
            eprintln!("  the IPC probe returned no spin counts: {probe}");
        }
        let rate = median(&whole);
        let rounded: Vec<f64> = start.iter().zip(&end).map(|(s, e)| e - s).collect();
        let under = rounded.iter().filter(|r| **r <= tick + 1e-6).count();
        let disturbed = whole
            .iter()
            .filter(|w| (**w - rate).abs() > 0.25 * rate)
            .count();
        extra.insert("tick_ms".into(), json!(tick));
        extra.insert("spins_per_tick_median".into(), json!(rate));
        extra.insert(
            "share_of_ticks_with_disturbed_spin_rate".into(),
            json!(disturbed as f64 / whole.len().max(1) as f64),
        );
        // Needs no spin rate: a call that ended before the next tick took under one tick.
        extra.insert(
            "share_under_one_tick".into(),
            json!(under as f64 / rounded.len().max(1) as f64),
        );
        rounded
            .iter()
            .zip(&to_edge)
            .map(|(r, t)| (r - t / rate * tick).max(0.0))
            .collect()
    };
    let mut out = json!({
        "command": "app_info",
        "clock_resolution_ms": probe["resolution"],
        "method": probe["method"],
        "batch_mean_ms": probe["batchMean"],
        "summary": if samples.is_empty() { Value::Null } else { json!(summarize(&samples)) },
        "samples_ms": samples,
    });
    for (k, v) in extra {
        out[k] = v;
    }
    out
}

pub async fn run(apps: &[AppSpec], options: &Options) -> Value {
    let x = XServer::start();
    for app in apps {
        for _ in 0..options.warmup_launches {
            launch(&x, app, options, false, false).await;
        }
    }
    let mut starts: Vec<Vec<f64>> = vec![Vec::new(); apps.len()];
    let mut returning: Vec<Vec<f64>> = vec![Vec::new(); apps.len()];
    let mut phases: Vec<Vec<Phases>> = vec![Vec::new(); apps.len()];
    let mut returning_phases: Vec<Vec<Phases>> = vec![Vec::new(); apps.len()];
    let mut ipcs: Vec<Vec<Value>> = vec![Vec::new(); apps.len()];
    for round in 0..options.launches {
        // Alternate the order, so neither app always runs right after the other.
        let order: Vec<usize> = if round % 2 == 0 {
            (0..apps.len()).collect()
        } else {
            (0..apps.len()).rev().collect()
        };
        for which in order {
            let app = &apps[which];
            // The IPC probe runs in several sessions (a busy moment on the machine would
            // otherwise decide the figure); the screenshots come from the first.
            let ipc = round < options.ipc_sessions;
            let result = launch(&x, app, options, ipc, round == 0).await;
            eprintln!(
                "  {} round {}: UI-ready in {:.0} ms (first run), {:.0} ms (returning)",
                app.name,
                round + 1,
                result.cold.ready,
                result.returning.ready
            );
            starts[which].push(result.cold.ready);
            returning[which].push(result.returning.ready);
            phases[which].push(result.cold);
            returning_phases[which].push(result.returning);
            if let Some(ipc) = result.ipc {
                ipcs[which].push(ipc);
            }
        }
    }
    let mut out = serde_json::Map::new();
    for (i, app) in apps.iter().enumerate() {
        let ipc = ipc_pooled(&ipcs[i]);
        out.insert(
            app.name.clone(),
            json!({
                "binary": app.binary,
                "start": {
                    "summary": summarize(&starts[i]),
                    "samples_ms": starts[i],
                    "phases_median_ms": phase_medians(&phases[i]),
                    "phases": phases[i],
                },
                "start_returning": {
                    "summary": summarize(&returning[i]),
                    "samples_ms": returning[i],
                    "phases_median_ms": phase_medians(&returning_phases[i]),
                    "phases": returning_phases[i],
                },
                "ipc": ipc,
            }),
        );
    }
    json!({
        "ready_selector": READY_SELECTOR,
        "launches": options.launches,
        "warmup_launches": options.warmup_launches,
        "apps": Value::Object(out),
    })
}
