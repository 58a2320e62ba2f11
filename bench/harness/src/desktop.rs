//! A private desktop, as the end-to-end tests build one (tests/support/desktop.rs): an X
//! server shared by a whole series, and per launch a fresh home, session bus and unlocked
//! gnome-keyring, all torn down afterwards (each child runs in its own process group).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub use crate::process::Reaped;

pub fn wait_until(what: &str, timeout: Duration, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A tool from ~/.cargo/bin if it is there, else from PATH.
pub fn tool(name: &str) -> PathBuf {
    let in_cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo")))
        .map(|dir| dir.join("bin").join(name));
    match in_cargo_home {
        Some(path) if path.exists() => path,
        _ => PathBuf::from(name),
    }
}

/// An Xvfb display for a whole series of launches.
pub struct XServer {
    _process: Reaped,
    pub display: String,
}

impl XServer {
    pub fn start() -> XServer {
        let number = (150..600)
            .find(|n| {
                !Path::new(&format!("/tmp/.X{n}-lock")).exists()
                    && !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
            })
            .expect("no free X display");
        let mut command = Command::new("Xvfb");
        command
            .args([format!(":{number}").as_str(), "-screen", "0", "1280x860x24"])
            .args(["-nolisten", "tcp", "-noreset"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let process = Reaped::spawn("Xvfb", command);
        let socket = format!("/tmp/.X11-unix/X{number}");
        wait_until("Xvfb", Duration::from_secs(10), || {
            Path::new(&socket).exists()
        });
        XServer {
            _process: process,
            display: format!(":{number}"),
        }
    }
}

/// One launch's world: a fresh home, its own session bus and an unlocked keyring.
pub struct Session {
    // Dropped in reverse order of start.
    processes: Vec<Reaped>,
    pub display: Option<String>,
    pub bus_address: String,
    pub home: PathBuf,
    pub runtime_dir: PathBuf,
    root: tempfile::TempDir,
}

impl Drop for Session {
    fn drop(&mut self) {
        while let Some(process) = self.processes.pop() {
            drop(process);
        }
    }
}

impl Session {
    pub fn start(display: Option<&str>) -> Session {
        let root = tempfile::Builder::new()
            .prefix("serene-bench-")
            .tempdir()
            .unwrap();
        let home = root.path().join("home");
        let runtime_dir = root.path().join("run");
        for dir in [&home, &runtime_dir] {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::set_permissions(
            &runtime_dir,
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .unwrap();
        let mut session = Session {
            processes: Vec::new(),
            display: display.map(str::to_string),
            bus_address: String::new(),
            home,
            runtime_dir,
            root,
        };
        session.start_bus();
        session.start_keyring();
        session
    }

    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// The environment every process of this session gets (nothing else is inherited but
    /// PATH and LANG), plus software rendering, as under the end-to-end tests.
    pub fn env(&self, command: &mut Command) {
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("XDG_DATA_HOME", self.home.join(".local/share"))
            .env("XDG_CACHE_HOME", self.home.join(".cache"))
            .env("XDG_RUNTIME_DIR", &self.runtime_dir)
            .env("LANG", "C.UTF-8")
            .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
            .env("LIBGL_ALWAYS_SOFTWARE", "1");
        if let Some(display) = &self.display {
            command.env("DISPLAY", display);
        }
        if !self.bus_address.is_empty() {
            command.env("DBUS_SESSION_BUS_ADDRESS", &self.bus_address);
        }
    }

    fn start_bus(&mut self) {
        let mut command = Command::new("dbus-daemon");
        self.env(&mut command);
        command
            .args(["--session", "--nofork", "--nopidfile", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut bus = Reaped::spawn("dbus-daemon", command);
        let stdout = bus.child_mut().stdout.take().unwrap();
        self.processes.push(bus);
        let mut address = String::new();
        BufReader::new(stdout).read_line(&mut address).unwrap();
        assert!(!address.trim().is_empty(), "dbus-daemon printed no address");
        self.bus_address = address.trim().to_string();
    }

    fn start_keyring(&mut self) {
        for _attempt in 0..5 {
            let _ = std::fs::remove_dir_all(self.home.join(".local/share/keyrings"));
            let mut command = Command::new("gnome-keyring-daemon");
            self.env(&mut command);
            command
                .args(["--foreground", "--unlock", "--components=secrets"])
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            let mut keyring = Reaped::spawn("gnome-keyring-daemon", command);
            let mut stdin = keyring.child_mut().stdin.take().unwrap();
            stdin.write_all(b"serene-bench").unwrap();
            drop(stdin);
            let deadline = Instant::now() + Duration::from_secs(4);
            while Instant::now() < deadline {
                if self.login_collection_unlocked() {
                    self.processes.push(keyring);
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            drop(keyring);
        }
        panic!("gnome-keyring never unlocked its login collection");
    }

    /// Asks the bus first: a message to org.freedesktop.secrets before our daemon owns the
    /// name would make D-Bus activate a second, password-less daemon.
    fn login_collection_unlocked(&self) -> bool {
        let send = |args: &[&str]| {
            Command::new("dbus-send")
                .env("DBUS_SESSION_BUS_ADDRESS", &self.bus_address)
                .args(["--session", "--print-reply"])
                .args(args)
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).to_string())
                .unwrap_or_default()
        };
        send(&[
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner",
            "string:org.freedesktop.secrets",
        ])
        .contains("boolean true")
            && send(&[
                "--dest=org.freedesktop.secrets",
                "/org/freedesktop/secrets/collection/login",
                "org.freedesktop.DBus.Properties.Get",
                "string:org.freedesktop.Secret.Collection",
                "string:Locked",
            ])
            .contains("boolean false")
    }

    /// Starts tauri-driver in this session; returns its URL.
    pub fn start_driver(&mut self) -> String {
        let port = free_port();
        let native_port = free_port();
        let mut command = Command::new(tool("tauri-driver"));
        self.env(&mut command);
        command
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .stdout(std::fs::File::create(self.root().join("driver-stdout.log")).unwrap())
            .stderr(std::fs::File::create(self.root().join("driver-stderr.log")).unwrap());
        self.processes.push(Reaped::spawn("tauri-driver", command));
        // tauri-driver listens before its native driver does, and drops requests until then
        // (tauri-apps/tauri#15156): wait for both.
        wait_until("tauri-driver", Duration::from_secs(15), || {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
                && TcpStream::connect(("127.0.0.1", native_port)).is_ok()
        });
        format!("http://127.0.0.1:{port}")
    }
}

/// True once a viewable top-level window whose name is exactly `title` exists.
pub fn window_visible(display: &str, title: &str) -> bool {
    Command::new("xdotool")
        .env("DISPLAY", display)
        .args(["search", "--onlyvisible", "--name", &format!("^{title}$")])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success() && !o.stdout.is_empty())
}

/// Captures the whole screen with ImageMagick's `import`.
pub fn screenshot(display: &str, path: &Path) {
    let _ = Command::new("import")
        .env("DISPLAY", display)
        .args(["-window", "root"])
        .arg(path)
        .stderr(Stdio::null())
        .status();
}
