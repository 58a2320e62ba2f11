//! Idle memory after start, without WebDriver in the way: each app is launched directly
//! (fresh home, own session bus and keyring), left idle once its window is up, then PSS and
//! USS are summed over the app and every process it started (WebKit's web and network
//! processes; for Chromium, all of its processes).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{json, Value};

use crate::desktop::{free_port, screenshot, wait_until, window_visible, Reaped, Session, XServer};
use crate::stats::{median, summarize};
use crate::ui_bench::AppSpec;

/// Chromium showing Serene's own UI from a loopback static server.
#[derive(Clone, Debug)]
pub struct ChromiumSpec {
    pub binary: PathBuf,
    /// A folder holding the built UI with the IPC stand-in script added.
    pub site: PathBuf,
    /// The window title to wait for (the page's title).
    pub title: String,
}

#[derive(Clone, Debug)]
pub struct Options {
    pub launches: usize,
    pub idle: Duration,
    pub shots: Option<PathBuf>,
}

#[derive(Debug, Default, Clone, Copy, Serialize)]
pub struct Footprint {
    pub rss_kib: u64,
    pub pss_kib: u64,
    pub uss_kib: u64,
    /// Set on a whole tree's total only (see `distinct_kib`).
    #[serde(skip_serializing_if = "is_zero")]
    pub distinct_kib: u64,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

impl std::ops::AddAssign for Footprint {
    fn add_assign(&mut self, other: Self) {
        self.rss_kib += other.rss_kib;
        self.pss_kib += other.pss_kib;
        self.uss_kib += other.uss_kib;
        self.distinct_kib += other.distinct_kib;
    }
}

/// RSS, PSS and USS (private clean + private dirty) of one process, from smaps_rollup.
pub fn footprint(pid: u32) -> Option<Footprint> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    let mut f = Footprint::default();
    for line in text.lines() {
        let mut parts = line.split_whitespace();
        let (Some(key), Some(value)) = (parts.next(), parts.next()) else {
            continue;
        };
        let Ok(kib) = value.parse::<u64>() else {
            continue;
        };
        match key {
            "Rss:" => f.rss_kib += kib,
            "Pss:" => f.pss_kib += kib,
            "Private_Clean:" | "Private_Dirty:" => f.uss_kib += kib,
            _ => {}
        }
    }
    Some(f)
}

/// Resident pages of `pids`, each physical page counted once however many of these
/// processes map it: what the PSS summed over the tree would be if no process outside it
/// shared any of its pages. Needs root (the kernel hides page frame numbers otherwise);
/// `None` if they are hidden.
pub fn distinct_kib(pids: &[u32]) -> Option<u64> {
    use std::collections::HashSet;
    use std::os::unix::fs::FileExt;
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as u64;
    let mut frames: HashSet<u64> = HashSet::new();
    let mut swapped: HashSet<u64> = HashSet::new();
    let mut buf = vec![0u8; 8 * 65_536];
    for pid in pids {
        let Ok(smaps) = std::fs::read_to_string(format!("/proc/{pid}/smaps")) else {
            continue;
        };
        let Ok(pagemap) = std::fs::File::open(format!("/proc/{pid}/pagemap")) else {
            continue;
        };
        let mut range: Option<(u64, u64)> = None;
        for line in smaps.lines() {
            let first = line.split_whitespace().next().unwrap_or("");
            if let Some((a, b)) = first.split_once('-') {
                if let (Ok(a), Ok(b)) = (u64::from_str_radix(a, 16), u64::from_str_radix(b, 16)) {
                    range = Some((a, b));
                    continue;
                }
            }
            let Some(rss) = line.strip_prefix("Rss:") else {
                continue;
            };
            let resident = rss
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .unwrap_or(0);
            let Some((start, end)) = range.take() else {
                continue;
            };
            if resident == 0 {
                continue;
            }
            let mut at = start / page;
            let last = end / page;
            while at < last {
                let count = (last - at).min(65_536) as usize;
                let Ok(n) = pagemap.read_at(&mut buf[..count * 8], at * 8) else {
                    break;
                };
                for entry in buf[..n].chunks_exact(8) {
                    let entry = u64::from_le_bytes(entry.try_into().unwrap());
                    if entry >> 63 & 1 == 1 {
                        frames.insert(entry & ((1 << 55) - 1));
                    } else if entry >> 62 & 1 == 1 {
                        swapped.insert(entry & ((1 << 55) - 1));
                    }
                }
                if n < count * 8 {
                    break;
                }
                at += count as u64;
            }
        }
    }
    if !frames.is_empty() && frames.iter().all(|f| *f == 0) {
        return None;
    }
    Some((frames.len() + swapped.len()) as u64 * page / 1024)
}

/// `root` and all its descendants, from /proc.
pub fn process_tree(root: u32) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                continue;
            };
            // The name is in parentheses and may hold spaces: read after the last ')'.
            let Some(after) = stat.rfind(')').map(|at| &stat[at + 1..]) else {
                continue;
            };
            if let Some(ppid) = after.split_whitespace().nth(1).and_then(|p| p.parse().ok()) {
                children.entry(ppid).or_default().push(pid);
            }
        }
    }
    let mut tree = vec![root];
    let mut at = 0;
    while at < tree.len() {
        if let Some(kids) = children.get(&tree[at]) {
            tree.extend(kids);
        }
        at += 1;
    }
    tree
}

/// A short label for a process: its name, and Chromium's process type if it has one.
fn label(pid: u32) -> String {
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .unwrap_or_default()
        .trim()
        .to_string();
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    // Chromium rewrites its command line into one space-separated string.
    let kind = cmdline
        .split(|b| *b == 0 || *b == b' ')
        .filter_map(|arg| std::str::from_utf8(arg).ok())
        .find_map(|arg| arg.strip_prefix("--type="))
        .map(str::to_string);
    match kind {
        Some(kind) => format!("{comm}:{kind}"),
        None => comm,
    }
}

/// The summed footprint of a process tree and its split by process label.
pub fn tree_footprint(root: u32) -> (Footprint, BTreeMap<String, Footprint>, usize) {
    let mut total = Footprint::default();
    let mut by_label: BTreeMap<String, Footprint> = BTreeMap::new();
    let tree = process_tree(root);
    let mut counted = 0;
    for pid in &tree {
        if let Some(f) = footprint(*pid) {
            total += f;
            *by_label.entry(label(*pid)).or_default() += f;
            counted += 1;
        }
    }
    total.distinct_kib = distinct_kib(&tree).unwrap_or(0);
    (total, by_label, counted)
}

struct Sample {
    window_ms: f64,
    total: Footprint,
    by_label: BTreeMap<String, Footprint>,
    processes: usize,
}

fn measure(
    x: &XServer,
    name: &str,
    title: &str,
    command: impl FnOnce(&Session) -> Command,
    options: &Options,
    shot: bool,
) -> Sample {
    let session = Session::start(Some(&x.display));
    let mut command = command(&session);
    command
        .stdout(std::fs::File::create(session.root().join("app-stdout.log")).unwrap())
        .stderr(std::fs::File::create(session.root().join("app-stderr.log")).unwrap());
    let started = Instant::now();
    let mut app = Reaped::spawn("app", command);
    let pid = app.pgid() as u32;
    let deadline = started + Duration::from_secs(60);
    while !window_visible(&x.display, title) {
        if app.has_exited() || Instant::now() > deadline {
            let log =
                std::fs::read_to_string(session.root().join("app-stderr.log")).unwrap_or_default();
            panic!("{name}: no window titled {title:?} appeared:\n{log}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let window_ms = started.elapsed().as_secs_f64() * 1_000.0;
    std::thread::sleep(options.idle);
    // Three samples half a second apart; the median of their totals is kept.
    let mut samples = Vec::new();
    for i in 0..3 {
        if i > 0 {
            std::thread::sleep(Duration::from_millis(500));
        }
        samples.push(tree_footprint(pid));
    }
    samples.sort_by_key(|(total, _, _)| total.pss_kib);
    let (total, by_label, processes) = samples.swap_remove(1);
    if shot {
        if let Some(dir) = &options.shots {
            screenshot(&x.display, &dir.join(format!("bench-{name}-idle.png")));
        }
    }
    // Some Chromium helpers leave the process group: end the whole tree by id.
    let tree = process_tree(pid);
    drop(app);
    for pid in tree {
        unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    }
    drop(session);
    Sample {
        window_ms,
        total,
        by_label,
        processes,
    }
}

fn static_server(site: &Path) -> (Reaped, u16) {
    let port = free_port();
    let mut command = Command::new("python3");
    command
        .args(["-m", "http.server", "--bind", "127.0.0.1"])
        .arg(port.to_string())
        .arg("--directory")
        .arg(site)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let server = Reaped::spawn("http.server", command);
    wait_until("the static server", Duration::from_secs(10), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    (server, port)
}

pub fn run(apps: &[AppSpec], chromium: Option<&ChromiumSpec>, options: &Options) -> Value {
    let x = XServer::start();
    let server = chromium.map(|c| static_server(&c.site));
    let mut names: Vec<String> = apps.iter().map(|a| a.name.clone()).collect();
    if chromium.is_some() {
        names.push("chromium".into());
    }
    let mut samples: Vec<Vec<Sample>> = (0..names.len()).map(|_| Vec::new()).collect();
    for round in 0..options.launches {
        for offset in 0..names.len() {
            let which = (round + offset) % names.len();
            let shot = round == 0;
            let sample = if which < apps.len() {
                let app = &apps[which];
                measure(
                    &x,
                    &app.name,
                    &app.title,
                    |session| {
                        let mut command = Command::new(&app.binary);
                        session.env(&mut command);
                        command
                    },
                    options,
                    shot,
                )
            } else {
                let spec = chromium.unwrap();
                let port = server.as_ref().unwrap().1;
                measure(
                    &x,
                    "chromium",
                    &spec.title,
                    |session| {
                        let mut command = Command::new(&spec.binary);
                        session.env(&mut command);
                        command
                            .arg(format!("--app=http://127.0.0.1:{port}/"))
                            .arg(format!(
                                "--user-data-dir={}",
                                session.root().join("chromium-profile").display()
                            ))
                            .args(CHROMIUM_FLAGS)
                            .arg("--window-size=1040,760");
                        if unsafe { libc::geteuid() } == 0 {
                            // Chromium refuses to run its sandbox as root.
                            command.arg("--no-sandbox");
                        }
                        command
                    },
                    options,
                    shot,
                )
            };
            eprintln!(
                "  {} launch {}: window after {:.0} ms, alone {:.1} MiB, PSS {:.1} MiB, USS {:.1} MiB over {} processes",
                names[which],
                round + 1,
                sample.window_ms,
                sample.total.distinct_kib as f64 / 1024.0,
                sample.total.pss_kib as f64 / 1024.0,
                sample.total.uss_kib as f64 / 1024.0,
                sample.processes
            );
            samples[which].push(sample);
        }
    }
    drop(server);
    let mut out = serde_json::Map::new();
    for (name, series) in names.iter().zip(&samples) {
        let mib = |f: fn(&Footprint) -> u64| -> Vec<f64> {
            series.iter().map(|s| f(&s.total) as f64 / 1024.0).collect()
        };
        let pss = mib(|f| f.pss_kib);
        let uss = mib(|f| f.uss_kib);
        let rss = mib(|f| f.rss_kib);
        let alone = mib(|f| f.distinct_kib);
        let windows: Vec<f64> = series.iter().map(|s| s.window_ms).collect();
        // The split of the launch whose PSS is the median one.
        let target = median(&pss);
        let typical = series
            .iter()
            .min_by(|a, b| {
                let da = (a.total.pss_kib as f64 / 1024.0 - target).abs();
                let db = (b.total.pss_kib as f64 / 1024.0 - target).abs();
                da.total_cmp(&db)
            })
            .unwrap();
        out.insert(
            name.clone(),
            json!({
                "pss_mib": { "median": median(&pss), "summary": summarize(&pss), "samples": pss },
                "uss_mib": { "median": median(&uss), "summary": summarize(&uss), "samples": uss },
                "rss_mib": { "median": median(&rss), "samples": rss },
                "alone_mib": { "median": median(&alone), "summary": summarize(&alone), "samples": alone },
                "window_ms": { "summary": summarize(&windows), "samples": windows },
                "processes": typical.processes,
                "by_process_kib": typical.by_label,
            }),
        );
    }
    json!({
        "launches": options.launches,
        "idle_seconds": options.idle.as_secs_f64(),
        "chromium_flags": CHROMIUM_FLAGS,
        "apps": Value::Object(out),
    })
}

/// A clean, quiet profile: nothing an app window would not do (no first-run UI, sync,
/// extensions, component updates or background networking). This makes Chromium lighter,
/// so the comparison errs in Chromium's favour.
pub const CHROMIUM_FLAGS: &[&str] = &[
    "--no-first-run",
    "--no-default-browser-check",
    "--password-store=basic",
    "--disable-extensions",
    "--disable-component-update",
    "--disable-background-networking",
    "--disable-sync",
    "--disable-default-apps",
];
