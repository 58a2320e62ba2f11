//! Child processes that are always reaped: each runs in its own process group, and
//! dropping the guard (also while a test panics) kills the whole group, so grandchildren
//! such as WebKitWebDriver and the app itself go too.

use std::process::{Child, Command};
use std::time::{Duration, Instant};

pub struct Reaped {
    pub name: &'static str,
    child: Child,
}

impl Reaped {
    pub fn spawn(name: &'static str, mut command: Command) -> Reaped {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
        let child = command
            .spawn()
            .unwrap_or_else(|error| panic!("could not start {name}: {error}"));
        Reaped { name, child }
    }

    pub fn from_child(name: &'static str, child: Child) -> Reaped {
        Reaped { name, child }
    }

    pub fn pgid(&self) -> i32 {
        self.child.id() as i32
    }

    pub fn child_mut(&mut self) -> &mut Child {
        &mut self.child
    }

    pub fn has_exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }
}

/// True while any process of the group is alive.
pub fn group_alive(pgid: i32) -> bool {
    unsafe { libc::kill(-pgid, 0) == 0 }
}

impl Drop for Reaped {
    fn drop(&mut self) {
        let pgid = self.pgid();
        unsafe { libc::kill(-pgid, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline && group_alive(pgid) {
            let _ = self.child.try_wait();
            std::thread::sleep(Duration::from_millis(50));
        }
        unsafe { libc::kill(-pgid, libc::SIGKILL) };
        let _ = self.child.wait();
    }
}
