//! Resource limits for the programs under test: a submission is untrusted code.
//!
//! Every program gets, on Unix, limits on CPU time, memory, file size and open
//! files (`setrlimit`, applied in the child between fork and exec). Processes
//! are bounded too, so a fork bomb stays small: with a `pids` cgroup when the
//! grader can make one (as root on Linux, where `RLIMIT_NPROC` does not apply),
//! else with `RLIMIT_NPROC` above what the user already runs.
//!
//! The limits are generous for an honest lab program (a chat server with 20
//! clients uses a few dozen threads and megabytes) and small for an attack.

use std::io;
use std::path::PathBuf;

/// CPU seconds one program may use (a backstop: each step has its own deadline).
pub const CPU_SECONDS: u64 = 120;
/// Address space: room for many threads' stacks, not for eating the machine.
pub const MEMORY_BYTES: u64 = 2 * 1024 * 1024 * 1024;
/// Largest file a program may write.
pub const FILE_BYTES: u64 = 64 * 1024 * 1024;
/// Open files and sockets.
pub const OPEN_FILES: u64 = 4096;
/// Processes and threads beyond what already runs.
pub const PROCESSES: u64 = 256;

/// A `pids` cgroup holding one program, removed when dropped.
pub struct PidsCgroup {
    dir: PathBuf,
    /// `<dir>/cgroup.procs`, as a C string prepared before fork.
    procs: std::ffi::CString,
}

impl PidsCgroup {
    /// Creates a cgroup limited to [`PROCESSES`] tasks, if this machine lets us.
    pub fn create() -> Option<PidsCgroup> {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        // cgroup v1 mounts the controller on its own; v2 has one tree, where
        // `pids.max` only appears if the controller is enabled for children.
        let base = ["/sys/fs/cgroup/pids", "/sys/fs/cgroup"]
            .into_iter()
            .map(PathBuf::from)
            .find(|b| b.join("cgroup.procs").exists())?;
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = base.join(format!("tomada-{}-{n}", std::process::id()));
        std::fs::create_dir(&dir).ok()?;
        let procs = std::ffi::CString::new(dir.join("cgroup.procs").to_string_lossy().into_owned());
        // From here on, Drop removes the folder if anything fails.
        let cgroup = PidsCgroup {
            dir,
            procs: procs.unwrap_or_default(),
        };
        std::fs::write(cgroup.dir.join("pids.max"), PROCESSES.to_string()).ok()?;
        Some(cgroup)
    }

    /// Kills every task in the cgroup, even one that left the process group
    /// (`setsid`); repeats while new ones appear, a bounded number of times.
    pub fn kill_all(&self) {
        for _ in 0..50 {
            let pids = std::fs::read_to_string(self.dir.join("cgroup.procs")).unwrap_or_default();
            let pids: Vec<i32> = pids.lines().filter_map(|l| l.trim().parse().ok()).collect();
            if pids.is_empty() {
                return;
            }
            for pid in pids {
                // SAFETY: sending a signal; a stale pid at worst returns ESRCH.
                unsafe {
                    libc::kill(pid, libc::SIGKILL);
                }
            }
            std::thread::yield_now();
        }
    }

    /// The path the child writes its pid to, before exec.
    pub fn procs_path(&self) -> &std::ffi::CStr {
        &self.procs
    }
}

impl Drop for PidsCgroup {
    fn drop(&mut self) {
        // Only an empty cgroup can be removed, and killed tasks take a moment to
        // leave it: kill what is left and retry, with a short cleanup backoff.
        let cleanup_backoff = std::time::Duration::from_millis(2);
        for _ in 0..200 {
            self.kill_all();
            if std::fs::remove_dir(&self.dir).is_ok() || !self.dir.exists() {
                return;
            }
            std::thread::sleep(cleanup_backoff);
        }
    }
}

/// How many processes (and threads) the current user runs now, read from /proc.
#[cfg(target_os = "linux")]
fn user_tasks() -> u64 {
    // SAFETY: getuid never fails.
    let uid = unsafe { libc::getuid() }.to_string();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    entries
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .chars()
                .all(|c| c.is_ascii_digit())
        })
        .filter_map(|e| std::fs::read_to_string(e.path().join("status")).ok())
        .filter(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|ids| ids.split_whitespace().next())
                .is_some_and(|real| real == uid)
        })
        .map(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("Threads:"))
                .and_then(|n| n.trim().parse::<u64>().ok())
                .unwrap_or(1)
        })
        .sum()
}

#[cfg(not(target_os = "linux"))]
fn user_tasks() -> u64 {
    0
}

/// What to apply in the child, computed before fork (no allocation after it).
pub struct ChildLimits {
    nproc: Option<u64>,
    cgroup_procs: Option<std::ffi::CString>,
}

impl ChildLimits {
    /// Uses `cgroup` when there is one; otherwise `RLIMIT_NPROC` for non-root.
    pub fn new(cgroup: Option<&PidsCgroup>) -> ChildLimits {
        // SAFETY: geteuid never fails.
        let root = unsafe { libc::geteuid() } == 0;
        ChildLimits {
            nproc: (cgroup.is_none() && !root).then(|| user_tasks() + PROCESSES),
            cgroup_procs: cgroup.map(|c| c.procs_path().to_owned()),
        }
    }

    /// Runs in the child between fork and exec: only async-signal-safe calls.
    pub fn apply(&self) -> io::Result<()> {
        set(libc::RLIMIT_CPU, CPU_SECONDS)?;
        set(libc::RLIMIT_AS, MEMORY_BYTES)?;
        set(libc::RLIMIT_FSIZE, FILE_BYTES)?;
        set(libc::RLIMIT_NOFILE, OPEN_FILES)?;
        if let Some(n) = self.nproc {
            set(libc::RLIMIT_NPROC, n)?;
        }
        if let Some(path) = &self.cgroup_procs {
            join_cgroup(path)?;
        }
        Ok(())
    }
}

#[cfg(target_os = "linux")]
type Resource = libc::__rlimit_resource_t;
#[cfg(not(target_os = "linux"))]
type Resource = libc::c_int;

fn set(resource: Resource, value: u64) -> io::Result<()> {
    let mut current = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain syscalls on a stack value.
    unsafe {
        if libc::getrlimit(resource, &mut current) != 0 {
            return Err(io::Error::last_os_error());
        }
        // Never raise a limit the grader itself already runs under.
        let value = value as libc::rlim_t;
        let wanted = libc::rlimit {
            rlim_cur: value.min(current.rlim_max),
            rlim_max: value.min(current.rlim_max),
        };
        if libc::setrlimit(resource, &wanted) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Writes the child's own pid into the cgroup: it and everything it forks stay in.
fn join_cgroup(procs: &std::ffi::CStr) -> io::Result<()> {
    // Format the pid on the stack: no allocation between fork and exec.
    // SAFETY: getpid never fails; open/write/close on a valid C string and buffer.
    unsafe {
        let mut pid = libc::getpid() as u64;
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        loop {
            start -= 1;
            digits[start] = b'0' + (pid % 10) as u8;
            pid /= 10;
            if pid == 0 {
                break;
            }
        }
        let fd = libc::open(procs.as_ptr(), libc::O_WRONLY);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let len = digits.len() - start;
        let written = libc::write(fd, digits[start..].as_ptr().cast(), len);
        libc::close(fd);
        if written != len as isize {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}
