//! When a window's first screen is painted, seen from the X server, with no WebDriver and
//! no automation in the app: the window titled `title` is found when it is mapped, every
//! change to its contents is stamped (XDamage), and the window's pixels are read at each
//! change. The first screen is painted at the first change after which the window shows
//! what it finally settles on.
//!
//! The rightmost 16 pixel columns are left out of the comparison: GTK fades the overlay
//! scroll bar in and out there a few seconds after a scrollable page appears.

use std::collections::hash_map::DefaultHasher;
use std::hash::Hasher;
use std::time::{Duration, Instant};

use x11rb::connection::Connection;
use x11rb::protocol::damage::{self, ConnectionExt as _};
use x11rb::protocol::xproto::{self, ConnectionExt as _};
use x11rb::protocol::Event;

const SCROLLBAR_COLUMNS: usize = 16;
/// After the first reads, reads of the window are at least this far apart (a 60 fps
/// animation would otherwise have the watcher copying the window all the time).
const GRAB_EVERY: Duration = Duration::from_millis(25);
const GRABS_UNTHROTTLED: usize = 60;

#[derive(Debug, Clone)]
pub struct Change {
    pub at: Instant,
    /// A hash of the window's pixels read right after the change (None: not read, too
    /// soon after the previous read).
    pub pixels: Option<u64>,
}

#[derive(Debug, Default, Clone)]
pub struct Paints {
    pub mapped: Option<Instant>,
    pub changes: Vec<Change>,
    /// What the window settled on (several reads at the end: a blinking caret has two).
    pub settled: Vec<u64>,
}

impl Paints {
    /// The first change after which the window showed what it settled on.
    pub fn ready(&self) -> Option<Instant> {
        self.changes
            .iter()
            .find(|c| c.pixels.is_some_and(|p| self.settled.contains(&p)))
            .map(|c| c.at)
    }
}

fn window_name(conn: &impl Connection, window: xproto::Window) -> Option<String> {
    let utf8 = conn
        .intern_atom(false, b"UTF8_STRING")
        .ok()?
        .reply()
        .ok()?
        .atom;
    let net_name = conn
        .intern_atom(false, b"_NET_WM_NAME")
        .ok()?
        .reply()
        .ok()?
        .atom;
    for (property, kind) in [
        (net_name, utf8),
        (
            xproto::AtomEnum::WM_NAME.into(),
            xproto::AtomEnum::STRING.into(),
        ),
    ] {
        if let Ok(reply) = conn
            .get_property(false, window, property, kind, 0, 1024)
            .ok()?
            .reply()
        {
            if !reply.value.is_empty() {
                return Some(String::from_utf8_lossy(&reply.value).to_string());
            }
        }
    }
    None
}

/// A hash of the window's pixels, leaving out the scroll bar's columns.
fn grab(conn: &impl Connection, window: xproto::Window, width: u16, height: u16) -> Option<u64> {
    let image = conn
        .get_image(
            xproto::ImageFormat::Z_PIXMAP,
            window,
            0,
            0,
            width,
            height,
            !0,
        )
        .ok()?
        .reply()
        .ok()?;
    let stride = image.data.len() / usize::from(height.max(1));
    let bytes_per_pixel = stride / usize::from(width.max(1));
    let keep = stride.saturating_sub(SCROLLBAR_COLUMNS * bytes_per_pixel);
    let mut hasher = DefaultHasher::new();
    for row in image.data.chunks(stride.max(1)) {
        hasher.write(&row[..keep.min(row.len())]);
    }
    Some(hasher.finish())
}

pub struct Watcher {
    conn: x11rb::rust_connection::RustConnection,
    root: xproto::Window,
}

impl Watcher {
    /// Connects and starts listening for windows; call before the app is started.
    pub fn new(display: &str) -> Watcher {
        let (conn, screen) = x11rb::connect(Some(display)).expect("an X connection");
        let root = conn.setup().roots[screen].root;
        conn.damage_query_version(1, 1)
            .expect("XDamage")
            .reply()
            .expect("XDamage version");
        conn.change_window_attributes(
            root,
            &xproto::ChangeWindowAttributesAux::new()
                .event_mask(xproto::EventMask::SUBSTRUCTURE_NOTIFY),
        )
        .expect("root events")
        .check()
        .expect("root events");
        Watcher { conn, root }
    }

    /// Watches until the window has shown the same pixels for `settle` (and `at_least` has
    /// passed since `started`), or until `at_most`.
    pub fn run(
        self,
        title: &str,
        started: Instant,
        at_least: Duration,
        settle: Duration,
        at_most: Duration,
    ) -> Paints {
        let conn = &self.conn;
        let _ = self.root;
        let mut seen = Paints::default();
        let mut window: Option<(xproto::Window, u16, u16)> = None;
        let mut last_grab: Option<Instant> = None;
        let mut grabs = 0usize;
        let mut last_pixels: Option<u64> = None;
        let mut last_change = Instant::now();
        loop {
            let now = Instant::now();
            let elapsed = now.duration_since(started);
            let settled = window.is_some()
                && elapsed >= at_least
                && now.duration_since(last_change) >= settle;
            if settled || elapsed >= at_most {
                break;
            }
            let event = match conn.poll_for_event() {
                Ok(Some(event)) => event,
                Ok(None) => {
                    std::thread::sleep(Duration::from_micros(500));
                    continue;
                }
                Err(_) => break,
            };
            let at = Instant::now();
            match event {
                Event::MapNotify(map)
                    if window.is_none()
                        && window_name(conn, map.window).as_deref() == Some(title) =>
                {
                    let Ok(Ok(geometry)) = conn.get_geometry(map.window).map(|c| c.reply()) else {
                        continue;
                    };
                    let id = conn.generate_id().expect("an X id");
                    if conn
                        .damage_create(id, map.window, damage::ReportLevel::NON_EMPTY)
                        .map(|c| c.check())
                        .is_err()
                    {
                        continue;
                    }
                    window = Some((map.window, geometry.width, geometry.height));
                    seen.mapped = Some(at);
                    last_change = at;
                }
                Event::DamageNotify(notify) => {
                    let _ = conn.damage_subtract(notify.damage, x11rb::NONE, x11rb::NONE);
                    let _ = conn.flush();
                    let Some((id, width, height)) = window else {
                        continue;
                    };
                    let due = grabs < GRABS_UNTHROTTLED
                        || last_grab.is_none_or(|g| at.duration_since(g) >= GRAB_EVERY);
                    let pixels = if due {
                        last_grab = Some(at);
                        grabs += 1;
                        grab(conn, id, width, height)
                    } else {
                        None
                    };
                    if pixels.is_some() && pixels != last_pixels {
                        last_pixels = pixels;
                        last_change = at;
                    }
                    seen.changes.push(Change { at, pixels });
                }
                _ => {}
            }
        }
        if let Some((id, width, height)) = window {
            // What it settled on: a few reads, and every state of the last second.
            let cutoff = Instant::now() - Duration::from_secs(1);
            seen.settled = seen
                .changes
                .iter()
                .filter(|c| c.at >= cutoff)
                .filter_map(|c| c.pixels)
                .collect();
            for _ in 0..3 {
                if let Some(p) = grab(conn, id, width, height) {
                    seen.settled.push(p);
                }
                std::thread::sleep(Duration::from_millis(150));
            }
        }
        seen
    }
}
