//! A private desktop per test: its own X display, session bus, keyring, home directory and
//! tauri-driver, all torn down when the `Desktop` is dropped.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::process::Reaped;

pub struct Desktop {
    // Dropped in reverse order of start: driver and app first, the X server last.
    processes: Vec<Reaped>,
    pub display: String,
    pub bus_address: String,
    pub driver_url: String,
    pub home: PathBuf,
    root: tempfile::TempDir,
}

impl Drop for Desktop {
    fn drop(&mut self) {
        while let Some(process) = self.processes.pop() {
            drop(process);
        }
    }
}

fn wait_until(what: &str, timeout: Duration, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn tool(name: &str) -> PathBuf {
    let in_cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo")))
        .map(|dir| dir.join("bin").join(name));
    match in_cargo_home {
        Some(path) if path.exists() => path,
        _ => PathBuf::from(name),
    }
}

impl Desktop {
    /// Starts everything; `app_env` is passed down to the app (through tauri-driver).
    pub fn start(app_env: &[(&str, String)]) -> Desktop {
        let root = tempfile::Builder::new()
            .prefix("serene-e2e-")
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
        let mut desktop = Desktop {
            processes: Vec::new(),
            display: String::new(),
            bus_address: String::new(),
            driver_url: String::new(),
            home,
            root,
        };
        desktop.start_x_server();
        desktop.start_bus();
        desktop.start_keyring(&runtime_dir);
        desktop.start_driver(&runtime_dir, app_env);
        desktop
    }

    pub fn artifacts_dir() -> PathBuf {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("artifacts");
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// Process-group ids of everything this desktop started.
    pub fn process_groups(&self) -> Vec<i32> {
        self.processes.iter().map(Reaped::pgid).collect()
    }

    fn base_env(&self, command: &mut Command) {
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("XDG_DATA_HOME", self.home.join(".local/share"))
            .env("XDG_CACHE_HOME", self.home.join(".cache"))
            .env("LANG", "C.UTF-8");
        if !self.display.is_empty() {
            command.env("DISPLAY", &self.display);
        }
        if !self.bus_address.is_empty() {
            command.env("DBUS_SESSION_BUS_ADDRESS", &self.bus_address);
        }
    }

    fn start_x_server(&mut self) {
        let number = (90..400)
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
        self.processes.push(Reaped::spawn("Xvfb", command));
        let socket = format!("/tmp/.X11-unix/X{number}");
        wait_until("Xvfb", Duration::from_secs(10), || {
            Path::new(&socket).exists()
        });
        self.display = format!(":{number}");
    }

    fn start_bus(&mut self) {
        let mut command = Command::new("dbus-daemon");
        self.base_env(&mut command);
        command
            .args(["--session", "--nofork", "--nopidfile", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut bus = Reaped::spawn("dbus-daemon", command);
        let stdout = bus.child_mut().stdout.take().unwrap();
        self.processes.push(bus);
        let mut address = String::new();
        BufReader::new(stdout).read_line(&mut address).unwrap();
        self.bus_address = address.trim().to_string();
        assert!(
            !self.bus_address.is_empty(),
            "dbus-daemon printed no address"
        );
    }

    /// Waits until the login collection is unlocked, starting a fresh daemon if it never
    /// is (belt and braces: the activation race below was the cause seen here).
    fn start_keyring(&mut self, runtime_dir: &Path) {
        for _attempt in 0..5 {
            let _ = std::fs::remove_dir_all(self.home.join(".local/share/keyrings"));
            let mut command = Command::new("gnome-keyring-daemon");
            self.base_env(&mut command);
            command
                .env("XDG_RUNTIME_DIR", runtime_dir)
                .args(["--foreground", "--unlock", "--components=secrets"])
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            let mut keyring = Reaped::spawn("gnome-keyring-daemon", command);
            let mut stdin = keyring.child_mut().stdin.take().unwrap();
            stdin.write_all(b"serene-e2e").unwrap();
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

    /// Asks the bus itself first: a message to `org.freedesktop.secrets` before our daemon
    /// owns that name would make D-Bus activate a second, password-less daemon.
    fn login_collection_unlocked(&self) -> bool {
        let owned = Command::new("dbus-send")
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus_address)
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                "string:org.freedesktop.secrets",
            ])
            .output()
            .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).contains("boolean true"));
        owned
            && Command::new("dbus-send")
                .env("DBUS_SESSION_BUS_ADDRESS", &self.bus_address)
                .args([
                    "--session",
                    "--print-reply",
                    "--dest=org.freedesktop.secrets",
                    "/org/freedesktop/secrets/collection/login",
                    "org.freedesktop.DBus.Properties.Get",
                    "string:org.freedesktop.Secret.Collection",
                    "string:Locked",
                ])
                .output()
                .is_ok_and(|output| {
                    String::from_utf8_lossy(&output.stdout).contains("boolean false")
                })
    }

    fn start_driver(&mut self, runtime_dir: &Path, app_env: &[(&str, String)]) {
        let port = free_port();
        let native_port = free_port();
        let mut command = Command::new(tool("tauri-driver"));
        self.base_env(&mut command);
        command
            .env("XDG_RUNTIME_DIR", runtime_dir)
            // Software rendering: Xvfb has no GPU.
            .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
            .env("LIBGL_ALWAYS_SOFTWARE", "1")
            // The person agrees in Serene's native confirmation dialogs, which WebDriver
            // cannot reach; a test that wants a refusal sets SERENE_TEST_CONFIRM itself.
            .env("SERENE_TEST_CONFIRM", "accept")
            .envs(app_env.iter().map(|(key, value)| (*key, value.as_str())))
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
        self.driver_url = format!("http://127.0.0.1:{port}");
    }

    /// Closes the top-level windows titled `title` as a person would (the close button),
    /// which Xvfb, having no window manager, cannot do by itself.
    pub fn close_window(&self, title: &str) {
        let found = Command::new("xdotool")
            .env("DISPLAY", &self.display)
            .args(["search", "--name", &format!("^{title}$")])
            .output()
            .expect("xdotool is needed to close windows");
        let ids: Vec<String> = String::from_utf8_lossy(&found.stdout)
            .split_whitespace()
            .map(str::to_string)
            .collect();
        assert!(!ids.is_empty(), "no window titled {title:?}");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/close_window.py");
        let status = Command::new("python3")
            .env("DISPLAY", &self.display)
            .arg(script)
            .args(&ids)
            .status()
            .unwrap();
        assert!(status.success(), "closing {title:?} failed");
    }

    /// Captures the whole X screen with ImageMagick's `import`.
    pub fn screenshot(&self, name: &str) -> PathBuf {
        let path = Self::artifacts_dir().join(format!("{name}.png"));
        let status = Command::new("import")
            .env("DISPLAY", &self.display)
            .args(["-window", "root", path.to_str().unwrap()])
            .status()
            .expect("ImageMagick's import is needed for screenshots");
        assert!(status.success(), "screenshot {name} failed");
        path
    }
}
