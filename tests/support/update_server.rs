//! A loopback update server for the updater tests: serves a release manifest and artifacts
//! that a test can swap between checks, streams artifacts slowly enough for a progress bar
//! to be seen, and records every path it was asked for.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use minisign::{KeyPair, PublicKeyBox, SecretKey};

/// A throwaway signing key, generated for one test run and never written to disk.
pub struct SigningKey {
    secret: SecretKey,
    public: PublicKeyBox,
}

impl SigningKey {
    pub fn generate() -> SigningKey {
        let pair = KeyPair::generate_unencrypted_keypair().expect("key generation");
        SigningKey {
            public: pair.pk.to_box().expect("public key box"),
            secret: pair.sk,
        }
    }

    /// The public key as Tauri's config takes it: the base64 of minisign's key file.
    pub fn public_for_config(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.public.to_string())
    }

    /// Signs `data` as `tauri signer sign` does (the version in the trusted comment), and
    /// returns the signature as a manifest carries it: the base64 of the `.sig` file.
    pub fn sign(&self, data: &[u8], file: &str, version: &str) -> String {
        self.sign_with_comment(
            data,
            &format!("timestamp:1795000000\tfile:{file}\tversion:{version}"),
        )
    }

    /// Signs as Tauri's signer did before it recorded the version.
    pub fn sign_without_version(&self, data: &[u8], file: &str) -> String {
        self.sign_with_comment(data, &format!("timestamp:1700000000\tfile:{file}"))
    }

    fn sign_with_comment(&self, data: &[u8], trusted: &str) -> String {
        let signature = minisign::sign(
            None,
            &self.secret,
            std::io::Cursor::new(data),
            Some(trusted),
            Some("signature from tauri secret key"),
        )
        .expect("signing");
        base64::engine::general_purpose::STANDARD.encode(signature.to_string())
    }
}

#[derive(Clone)]
struct Route {
    body: Vec<u8>,
    content_type: &'static str,
    /// Bytes per 100 ms; `None` sends everything at once.
    pace: Option<usize>,
}

pub struct UpdateServer {
    pub port: u16,
    routes: Arc<Mutex<HashMap<String, Route>>>,
    requests: Arc<Mutex<Vec<String>>>,
}

impl UpdateServer {
    pub fn start() -> UpdateServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let routes: Arc<Mutex<HashMap<String, Route>>> = Arc::default();
        let requests: Arc<Mutex<Vec<String>>> = Arc::default();
        let (served, seen) = (routes.clone(), requests.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (served, seen) = (served.clone(), seen.clone());
                std::thread::spawn(move || serve(stream, &served, &seen));
            }
        });
        UpdateServer {
            port,
            routes,
            requests,
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url())
    }

    /// The manifest every channel and platform path is answered with.
    pub fn set_manifest(&self, manifest: &serde_json::Value) {
        self.route(
            "manifest",
            Route {
                body: serde_json::to_vec(manifest).unwrap(),
                content_type: "application/json",
                pace: None,
            },
        );
    }

    pub fn set_raw_manifest(&self, body: &str) {
        self.route(
            "manifest",
            Route {
                body: body.as_bytes().to_vec(),
                content_type: "application/json",
                pace: None,
            },
        );
    }

    /// Serves `body` at `path`, `bytes_per_tick` every 100 ms.
    pub fn set_artifact(&self, path: &str, body: Vec<u8>, bytes_per_tick: Option<usize>) {
        self.route(
            path,
            Route {
                body,
                content_type: "application/octet-stream",
                pace: bytes_per_tick,
            },
        );
    }

    fn route(&self, key: &str, route: Route) {
        self.routes.lock().unwrap().insert(key.into(), route);
    }

    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

fn serve(
    mut stream: TcpStream,
    routes: &Mutex<HashMap<String, Route>>,
    requests: &Mutex<Vec<String>>,
) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    // Headers are read and ignored.
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
        line.clear();
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_string();
    requests.lock().unwrap().push(path.clone());
    let route = {
        let routes = routes.lock().unwrap();
        routes
            .get(&path)
            .or_else(|| {
                // Any channel/target/arch/version path is a manifest request.
                (path.matches('/').count() == 4)
                    .then(|| routes.get("manifest"))
                    .flatten()
            })
            .cloned()
    };
    let Some(route) = route else {
        let _ = stream
            .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        return;
    };
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: {}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        route.content_type,
        route.body.len()
    );
    if stream.write_all(head.as_bytes()).is_err() {
        return;
    }
    match route.pace {
        None => {
            let _ = stream.write_all(&route.body);
        }
        Some(step) => {
            for chunk in route.body.chunks(step) {
                if stream.write_all(chunk).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}
