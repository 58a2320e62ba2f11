//! Process hardening applied once at start: no core dumps, so a crash cannot leave the
//! keys held in memory (a key in use, the data key) in a file on disk.
//!
//! - Linux: `PR_SET_DUMPABLE` 0 (no core file, and other processes of the same user cannot
//!   attach or read this one's memory through `/proc`) and `RLIMIT_CORE` 0.
//! - macOS and other Unix: `RLIMIT_CORE` 0.
//! - Windows: no core file is written by default; Windows Error Reporting's local dumps
//!   exist only where an administrator configured them (see SECURITY.md).

/// What was applied, for the log and the tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hardened {
    pub core_limit_zero: bool,
    pub not_dumpable: bool,
}

pub fn disable_core_dumps() -> Hardened {
    #[cfg(unix)]
    {
        let zero = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: setrlimit reads the struct we pass; no memory is shared.
        let core_limit_zero = unsafe { libc::setrlimit(libc::RLIMIT_CORE, &zero) } == 0;
        #[cfg(target_os = "linux")]
        // SAFETY: PR_SET_DUMPABLE takes plain integer arguments.
        let not_dumpable = unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) } == 0;
        #[cfg(not(target_os = "linux"))]
        let not_dumpable = false;
        Hardened {
            core_limit_zero,
            not_dumpable,
        }
    }
    #[cfg(not(unix))]
    Hardened {
        core_limit_zero: false,
        not_dumpable: false,
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn a_hardened_process_writes_no_core_file_and_is_not_dumpable() {
        let applied = disable_core_dumps();
        assert!(applied.core_limit_zero && applied.not_dumpable);
        let mut limit = libc::rlimit {
            rlim_cur: 1,
            rlim_max: 1,
        };
        // SAFETY: getrlimit writes into the struct we own.
        assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_CORE, &mut limit) }, 0);
        assert_eq!((limit.rlim_cur, limit.rlim_max), (0, 0));
        // SAFETY: PR_GET_DUMPABLE takes no pointer.
        assert_eq!(unsafe { libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0) }, 0);
    }
}
