//! What one sandboxed process may touch, built in the parent and turned into a
//! Landlock ruleset before fork.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::entry::{Entry, Notify};
use super::support::support;
use super::udp::Udp;

/// How a path may be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Use {
    /// Read, list and execute.
    ReadExec,
    /// Everything: create, write, remove (the scratch and target folders).
    ReadWrite,
}

/// What a sandboxed process may do, built in the parent.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    /// The system paths of [`system_paths`] (opened once per grader run).
    system: bool,
    /// Paths that must exist (the program's binary, its folder).
    required: Vec<(PathBuf, Use)>,
    /// System paths, used when this machine has them.
    optional: Vec<(PathBuf, Use)>,
    /// TCP ports it may bind.
    bind: Vec<u16>,
    /// TCP ports it may connect to.
    connect: Vec<u16>,
    /// UDP: none (the default), or to loopback only (see `udp`).
    udp: Udp,
}

/// Where binaries and shared libraries live on Unix systems.
const SYSTEM_READ: [&str; 9] = [
    "/usr",
    "/bin",
    "/sbin",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/opt",
    "/nix/store",
];

/// The few files of `/etc` a program or a build reads (the dynamic loader,
/// names and time zone, `cc` through alternatives). Not all of `/etc`: as
/// uid 0 without capabilities a process still owns `/etc/shadow`.
const ETC_READ: [&str; 13] = [
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/hosts",
    "/etc/host.conf",
    "/etc/nsswitch.conf",
    "/etc/gai.conf",
    "/etc/resolv.conf",
    "/etc/passwd",
    "/etc/group",
    "/etc/alternatives",
    "/etc/ssl",
];

/// The system, read-only; `/proc` and `/sys` read-only (thread counts,
/// cgroup limits); a few devices, read-write. Those this machine has.
fn system_paths() -> Vec<(PathBuf, Use)> {
    let mut paths = Vec::new();
    for path in SYSTEM_READ.iter().chain(ETC_READ.iter()) {
        paths.push((PathBuf::from(path), Use::ReadExec));
    }
    // Python reads its `sitecustomize` from /etc/python3.X on Debian.
    if let Ok(entries) = std::fs::read_dir("/etc") {
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with("python") {
                paths.push((entry.path(), Use::ReadExec));
            }
        }
    }
    for path in ["/proc", "/sys"] {
        paths.push((PathBuf::from(path), Use::ReadExec));
    }
    for path in DEVICES {
        paths.push((PathBuf::from(path), Use::ReadWrite));
    }
    paths
}

/// The system paths, opened once: opening some thirty paths for each program
/// was most of its sandbox's set-up time. (`O_PATH`, close-on-exec.)
#[cfg(target_os = "linux")]
fn system_rules() -> &'static [(landlock::PathFd, Use, bool)] {
    static RULES: OnceLock<Vec<(landlock::PathFd, Use, bool)>> = OnceLock::new();
    RULES.get_or_init(|| {
        system_paths()
            .into_iter()
            .filter_map(|(path, how)| {
                let fd = landlock::PathFd::new(&path).ok()?;
                Some((fd, how, path.is_dir()))
            })
            .collect()
    })
}

/// Devices every program may read and write.
const DEVICES: [&str; 5] = [
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/urandom",
    "/dev/random",
];

impl Policy {
    /// The base every sandboxed process gets: see [`system_paths`].
    pub fn base() -> Policy {
        Policy {
            system: true,
            ..Policy::default()
        }
    }

    pub fn read(mut self, path: &Path) -> Policy {
        self.required.push((path.to_path_buf(), Use::ReadExec));
        self
    }

    pub fn read_if_present(mut self, path: &Path) -> Policy {
        self.optional.push((path.to_path_buf(), Use::ReadExec));
        self
    }

    pub fn write(mut self, path: &Path) -> Policy {
        self.required.push((path.to_path_buf(), Use::ReadWrite));
        self
    }

    pub fn write_if_present(mut self, path: &Path) -> Policy {
        self.optional.push((path.to_path_buf(), Use::ReadWrite));
        self
    }

    pub fn bind(mut self, port: u16) -> Policy {
        self.bind.push(port);
        self
    }

    pub fn connect(mut self, port: u16) -> Policy {
        self.connect.push(port);
        self
    }

    /// What the process may do with UDP (default: [`Udp::Denied`]).
    pub fn udp(mut self, udp: Udp) -> Policy {
        self.udp = udp;
        self
    }

    /// Turns the policy into a Landlock ruleset (a file descriptor), before
    /// fork. Without Landlock, the entry still drops privileges.
    pub fn prepare(&self) -> io::Result<Prepared> {
        let ruleset = if support().landlock() {
            Some(self.ruleset(support().abi)?)
        } else {
            None
        };
        let watch = self.udp_watch()?;
        Ok(Prepared {
            entry: Entry {
                ruleset: ruleset.as_ref().map_or(-1, raw_fd),
                drop_bounding: is_root(),
                last_cap: last_capability(),
                deny: deny_filter(self.udp.allowed()),
                notify: watch.as_ref().map(|(channel, _)| Notify {
                    channel: channel.child_fd(),
                    filter: notify_filter(),
                    killable: support().killable_notify,
                }),
            },
            _ruleset: ruleset,
            watch,
        })
    }

    /// For a process allowed UDP where the kernel lets the grader watch it:
    /// the channel for the listener and the rule to apply (see `supervisor`).
    /// Where it cannot, UDP goes unwatched and `Support::missing` says so.
    #[cfg(target_os = "linux")]
    fn udp_watch(&self) -> io::Result<Option<Watch>> {
        let Udp::Loopback(ports) = &self.udp else {
            return Ok(None);
        };
        if !(support().seccomp && support().udp_guard) {
            return Ok(None);
        }
        let rules = super::udp::Rules {
            tcp_connect: self.connect.clone(),
            udp_ports: ports.clone(),
        };
        Ok(Some((super::supervisor::Channel::new()?, rules)))
    }

    #[cfg(not(target_os = "linux"))]
    fn udp_watch(&self) -> io::Result<Option<Watch>> {
        Ok(None)
    }

    #[cfg(target_os = "linux")]
    fn ruleset(&self, abi: i32) -> io::Result<std::os::fd::OwnedFd> {
        use landlock::{
            ABI, Access, AccessFs, AccessNet, NetPort, PathBeneath, PathFd, Ruleset, RulesetAttr,
            RulesetCreatedAttr, Scope,
        };
        let fail = |e: landlock::RulesetError| io::Error::other(format!("Landlock: {e}"));
        let abi = ABI::from(abi);
        let mut ruleset = Ruleset::default()
            .handle_access(AccessFs::from_all(abi))
            .map_err(fail)?;
        if support().network() {
            ruleset = ruleset
                .handle_access(AccessNet::from_all(abi))
                .map_err(fail)?;
        }
        if support().scopes() {
            ruleset = ruleset.scope(Scope::from_all(abi)).map_err(fail)?;
        }
        let mut created = ruleset.create().map_err(fail)?;
        let access = |how: Use, is_dir: bool| {
            let access = match how {
                Use::ReadExec => AccessFs::from_read(abi),
                Use::ReadWrite => AccessFs::from_all(abi),
            };
            // Only file rights apply to a file (a device, the binary).
            if is_dir {
                access
            } else {
                access & AccessFs::from_file(abi)
            }
        };
        if self.system {
            for (fd, how, is_dir) in system_rules() {
                created = created
                    .add_rule(PathBeneath::new(fd, access(*how, *is_dir)))
                    .map_err(fail)?;
            }
        }
        let rules = self
            .required
            .iter()
            .map(|rule| (rule, true))
            .chain(self.optional.iter().map(|rule| (rule, false)));
        for ((path, how), required) in rules {
            let fd = match PathFd::new(path) {
                Ok(fd) => fd,
                Err(_) if !required => continue,
                Err(e) => {
                    return Err(io::Error::other(format!(
                        "não consegui abrir {} para o isolamento: {e}",
                        path.display()
                    )));
                }
            };
            created = created
                .add_rule(PathBeneath::new(fd, access(*how, path.is_dir())))
                .map_err(fail)?;
        }
        if support().network() {
            for &port in &self.bind {
                created = created
                    .add_rule(NetPort::new(port, AccessNet::BindTcp))
                    .map_err(fail)?;
            }
            for &port in &self.connect {
                created = created
                    .add_rule(NetPort::new(port, AccessNet::ConnectTcp))
                    .map_err(fail)?;
            }
        }
        let fd: Option<std::os::fd::OwnedFd> = created.into();
        fd.ok_or_else(|| io::Error::other("Landlock: o núcleo não criou a regra"))
    }

    #[cfg(not(target_os = "linux"))]
    fn ruleset(&self, _abi: i32) -> io::Result<OwnedRuleset> {
        Err(io::Error::other("Landlock só existe no Linux"))
    }
}

#[cfg(target_os = "linux")]
type OwnedRuleset = std::os::fd::OwnedFd;
#[cfg(not(target_os = "linux"))]
type OwnedRuleset = ();

#[cfg(target_os = "linux")]
fn raw_fd(fd: &OwnedRuleset) -> i32 {
    use std::os::fd::AsRawFd;
    fd.as_raw_fd()
}

#[cfg(not(target_os = "linux"))]
fn raw_fd(_fd: &OwnedRuleset) -> i32 {
    -1
}

#[cfg(unix)]
fn is_root() -> bool {
    // SAFETY: geteuid never fails.
    unsafe { libc::geteuid() == 0 }
}

#[cfg(not(unix))]
fn is_root() -> bool {
    false
}

/// The highest capability number this kernel knows (read once).
fn last_capability() -> i32 {
    static LAST: OnceLock<i32> = OnceLock::new();
    *LAST.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
            .ok()
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(63)
    })
}

#[cfg(target_os = "linux")]
type Watch = (super::supervisor::Channel, super::udp::Rules);
#[cfg(not(target_os = "linux"))]
type Watch = ((), ());

#[cfg(target_os = "linux")]
fn deny_filter(udp: bool) -> &'static [super::seccomp::Instruction] {
    if support().seccomp {
        super::seccomp::deny_filter(udp)
    } else {
        &[]
    }
}

#[cfg(target_os = "linux")]
fn notify_filter() -> &'static [super::seccomp::Instruction] {
    super::seccomp::notify_filter()
}

#[cfg(not(target_os = "linux"))]
fn deny_filter(_udp: bool) -> &'static [()] {
    &[]
}

#[cfg(not(target_os = "linux"))]
fn notify_filter() -> &'static [()] {
    &[]
}

/// A ruleset ready to enter: keep it alive until the child has been spawned.
pub struct Prepared {
    entry: Entry,
    _ruleset: Option<OwnedRuleset>,
    /// A UDP program's channel and rule, until the supervisor starts.
    watch: Option<Watch>,
}

impl Prepared {
    /// What the child runs between fork and exec (a copy: plain numbers).
    pub fn entry(&self) -> Entry {
        self.entry
    }

    /// Once the child runs: starts the UDP supervisor, if it has one.
    #[cfg(target_os = "linux")]
    pub fn spawned(self) -> io::Result<Option<super::supervisor::Supervisor>> {
        match self.watch {
            Some((channel, rules)) => {
                super::supervisor::Supervisor::start(channel, rules).map(Some)
            }
            None => Ok(None),
        }
    }

    #[cfg(not(target_os = "linux"))]
    pub fn spawned(self) -> io::Result<Option<()>> {
        Ok(None)
    }
}

/// The grader's `PATH` less the folders outside the system paths, for a
/// program under test: one found first in `~/.pyenv/shims` could not run
/// inside (a shell goes on to the next folder, Python's `sys.executable` does
/// not). Builds keep the whole `PATH` (their toolchain folders are readable).
pub fn system_path() -> std::ffi::OsString {
    let inherited = std::env::var_os("PATH").unwrap_or_default();
    let kept: Vec<PathBuf> = std::env::split_paths(&inherited)
        .filter(|dir| SYSTEM_READ.iter().any(|system| dir.starts_with(system)))
        .collect();
    if kept.is_empty() {
        return "/usr/bin:/bin".into();
    }
    std::env::join_paths(kept).unwrap_or_else(|_| "/usr/bin:/bin".into())
}
