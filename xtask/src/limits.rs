//! Resource limits for the programs under test: a submission is untrusted code.
//!
//! Every program gets, on Unix, limits on CPU time, memory, file size and open
//! files (`setrlimit`, applied in the child between fork and exec). Processes
//! are bounded too, so a fork bomb stays small: with a `pids` cgroup when the
//! grader can make one (as root on Linux, where `RLIMIT_NPROC` does not apply),
//! else with `RLIMIT_NPROC` above what the user already runs. Where the `cpu`
//! controller is there too, each program gets at most one CPU's worth of time.
//!
//! The limits are generous for an honest lab program (a chat server with 20
//! clients uses a few dozen threads and megabytes) and small for an attack.

use std::io;
use std::path::PathBuf;

/// CPU seconds one program may use (a backstop: each step has its own deadline).
pub const CPU_SECONDS: u64 = 120;
/// Memory a program may use, enforced by a memory cgroup where there is one.
pub const MEMORY_BYTES: u64 = 1024 * 1024 * 1024;
/// Address space, the fallback without a memory cgroup: loose, because each
/// thread's malloc arena reserves 64 MiB of it without using it.
pub const ADDRESS_SPACE_BYTES: u64 = 16 * 1024 * 1024 * 1024;
/// Largest file a program may write: lab 07 stores a 256 MiB upload. Where it
/// lands (a memory file system, see `sandbox::scratch`) is charged to the
/// program's memory cgroup, so what it may store in all stays bounded by that.
pub const FILE_BYTES: u64 = 512 * 1024 * 1024;
/// Open files and sockets.
pub const OPEN_FILES: u64 = 4096;
/// Processes and threads beyond what already runs.
pub const PROCESSES: u64 = 128;

/// Share of one CPU a program may use: a busy loop or a fork bomb cannot starve
/// the other submissions graded at the same time.
pub const CPU_SHARE_PERCENT: u64 = 100;

/// The cgroup(s) holding one program: `pids` (processes and threads) and `cpu`
/// (time share). With cgroup v1 these are two folders in two hierarchies; with
/// v2, one folder. Removed when dropped.
pub struct ProgramCgroup {
    dirs: Vec<PathBuf>,
    /// Each folder's `cgroup.procs`, as C strings prepared before fork.
    procs: Vec<std::ffi::CString>,
}

impl ProgramCgroup {
    /// Creates the cgroup(s), if this machine lets us; `None` when the process
    /// limit cannot be set (then `RLIMIT_NPROC` is used instead).
    pub fn create() -> Option<ProgramCgroup> {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("tomada-{}-{n}", std::process::id());
        let mut cgroup = ProgramCgroup {
            dirs: Vec::new(),
            procs: Vec::new(),
        };
        if PathBuf::from("/sys/fs/cgroup/pids/cgroup.procs").exists() {
            // cgroup v1: one hierarchy per controller; each child folder goes
            // under the grader's own cgroup there (a container may have put us
            // below the root).
            let pids = cgroup.add(&v1_dir("pids")?.join(&name))?;
            std::fs::write(pids.join("pids.max"), PROCESSES.to_string()).ok()?;
            if let Some(dir) = v1_dir("cpu").and_then(|d| cgroup.add(&d.join(&name))) {
                let period = 100_000;
                let _ = std::fs::write(dir.join("cpu.cfs_period_us"), period.to_string());
                let quota = period * CPU_SHARE_PERCENT / 100;
                let _ = std::fs::write(dir.join("cpu.cfs_quota_us"), quota.to_string());
            }
            if let Some(dir) = v1_dir("memory").and_then(|d| cgroup.add(&d.join(&name))) {
                let _ = std::fs::write(dir.join("memory.limit_in_bytes"), MEMORY_BYTES.to_string());
            }
        } else {
            // cgroup v2: `pids.max` exists only if the controller is enabled here.
            let dir = cgroup.add(&PathBuf::from("/sys/fs/cgroup").join(&name))?;
            std::fs::write(dir.join("pids.max"), PROCESSES.to_string()).ok()?;
            let _ = std::fs::write(
                dir.join("cpu.max"),
                format!("{} 100000", 1000 * CPU_SHARE_PERCENT),
            );
            let _ = std::fs::write(dir.join("memory.max"), MEMORY_BYTES.to_string());
        }
        Some(cgroup)
    }

    /// Whether memory is bounded by a cgroup (then the address-space limit can
    /// stay loose: glibc reserves 64 MiB of address space per thread arena).
    pub fn limits_memory(&self) -> bool {
        self.dirs
            .iter()
            .any(|d| d.join("memory.limit_in_bytes").exists() || d.join("memory.max").exists())
    }

    fn add(&mut self, dir: &std::path::Path) -> Option<PathBuf> {
        std::fs::create_dir(dir).ok()?;
        // From here on, Drop removes the folder if anything fails.
        self.dirs.push(dir.to_path_buf());
        let procs =
            std::ffi::CString::new(dir.join("cgroup.procs").to_string_lossy().into_owned()).ok()?;
        self.procs.push(procs);
        Some(dir.to_path_buf())
    }

    /// Kills every task in the cgroup, even one that left the process group
    /// (`setsid`); repeats while new ones appear, a bounded number of times.
    pub fn kill_all(&self) {
        let Some(dir) = self.dirs.first() else { return };
        for _ in 0..50 {
            let pids = std::fs::read_to_string(dir.join("cgroup.procs")).unwrap_or_default();
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
}

/// Where the grader sits in a cgroup v1 hierarchy, from `/proc/self/cgroup`.
fn v1_dir(controller: &str) -> Option<PathBuf> {
    let mine = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let path = mine.lines().find_map(|line| {
        let mut fields = line.splitn(3, ':');
        let (_, controllers, path) = (fields.next()?, fields.next()?, fields.next()?);
        controllers
            .split(',')
            .any(|c| c == controller)
            .then(|| path.trim_start_matches('/').to_owned())
    })?;
    let dir = PathBuf::from("/sys/fs/cgroup").join(controller).join(path);
    dir.join("cgroup.procs").exists().then_some(dir)
}

impl Drop for ProgramCgroup {
    fn drop(&mut self) {
        // Only an empty cgroup can be removed, and killed tasks take a moment to
        // leave it: kill what is left and retry, with a short cleanup backoff.
        let cleanup_backoff = std::time::Duration::from_millis(2);
        for dir in self.dirs.iter().rev() {
            for _ in 0..200 {
                self.kill_all();
                if std::fs::remove_dir(dir).is_ok() || !dir.exists() {
                    break;
                }
                std::thread::sleep(cleanup_backoff);
            }
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
    address_space: u64,
    cgroup_procs: Vec<std::ffi::CString>,
}

impl ChildLimits {
    /// Uses `cgroup` when there is one; otherwise `RLIMIT_NPROC` for non-root.
    pub fn new(cgroup: Option<&ProgramCgroup>) -> ChildLimits {
        // SAFETY: geteuid never fails.
        let root = unsafe { libc::geteuid() } == 0;
        ChildLimits {
            nproc: (cgroup.is_none() && !root).then(|| user_tasks() + PROCESSES),
            address_space: if cgroup.is_some_and(ProgramCgroup::limits_memory) {
                ADDRESS_SPACE_BYTES
            } else {
                // No cgroup: the address space is the only memory bound there is.
                4 * MEMORY_BYTES
            },
            cgroup_procs: cgroup.map(|c| c.procs.clone()).unwrap_or_default(),
        }
    }

    /// Runs in the child between fork and exec: only async-signal-safe calls.
    pub fn apply(&self) -> io::Result<()> {
        set(libc::RLIMIT_CPU, CPU_SECONDS)?;
        set(libc::RLIMIT_AS, self.address_space)?;
        set(libc::RLIMIT_FSIZE, FILE_BYTES)?;
        set(libc::RLIMIT_NOFILE, OPEN_FILES)?;
        if let Some(n) = self.nproc {
            set(libc::RLIMIT_NPROC, n)?;
        }
        for path in &self.cgroup_procs {
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

/// Raises this process's own limit on open files to the hard limit: lab 05
/// holds a thousand connections at once, and the bench ten thousand, beyond the
/// usual soft limit of 1024. Returns the limit now in force.
pub fn raise_open_files() -> u64 {
    // Before the grader opens many files: keep the UDP hand-over number free.
    #[cfg(target_os = "linux")]
    crate::sandbox::reserve_handoff_fd();
    let mut current = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut current) != 0 {
            return 0;
        }
        if current.rlim_cur < current.rlim_max {
            let wanted = libc::rlimit {
                rlim_cur: current.rlim_max,
                rlim_max: current.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &wanted) == 0 {
                return wanted.rlim_cur;
            }
        }
    }
    current.rlim_cur
}
