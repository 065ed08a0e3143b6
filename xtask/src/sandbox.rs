//! The sandbox for untrusted code: every program under test, and every build of
//! a submission in `grade`, starts inside it.
//!
//! Made of kernel features only (no container engine):
//!
//! - **Landlock, filesystem** (Linux 5.13, ABI 1): read and execute on the system
//!   paths and on what the program needs (its binary, its crate folder; for a
//!   build, the toolchain and the submission); read and write only in a fresh
//!   scratch folder of its own (its `HOME` and `TMPDIR`, removed afterwards)
//!   and, for a build, the target folder.
//! - **Landlock, TCP** (Linux 6.7, ABI 4): `bind` only on its `PORTA`, `connect`
//!   only to the port the grader uses with it. UDP is not filtered by Landlock.
//! - **Landlock, scopes** (Linux 6.12, ABI 6): no signals and no abstract UNIX
//!   sockets towards processes outside its own sandbox (ptrace is confined by
//!   Landlock since ABI 1).
//! - **Privileges**: `PR_SET_NO_NEW_PRIVS`, and when the grader is root, an
//!   empty capability bounding set, no ambient capabilities and empty
//!   effective/permitted/inheritable sets: uid 0 inside is no stronger than
//!   any user.
//!
//! The ruleset is built in the parent, before `fork` ([`Policy::prepare`]);
//! between `fork` and `exec` the child only makes async-signal-safe syscalls
//! ([`Entry::enter`]).
//!
//! The Landlock ABI is detected once ([`support`]) by restricting a throwaway
//! thread with the `landlock` crate and reading its `RestrictionStatus`: that
//! proves the kernel enforces it here (a container may block the syscalls),
//! not only that it exists. The hidden variable `TOMADA_LANDLOCK_ABI=N` caps
//! the ABI used, so that tests can simulate an older kernel (`0`: none).

use std::io;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

/// The newest Landlock ABI whose rights this module asks for (and is tested
/// with). A newer kernel is used at this level: new rights are never asked for
/// untested.
pub const TESTED_ABI: i32 = 6;

/// Caps the ABI used (tests simulate older kernels with it; `0` = no Landlock).
const ABI_CAP_VARIABLE: &str = "TOMADA_LANDLOCK_ABI";

/// What this machine's kernel lets the sandbox enforce.
#[derive(Clone, Debug)]
pub struct Support {
    /// The ABI the kernel reports (0: no Landlock).
    pub kernel_abi: i32,
    /// The ABI used: the kernel's, capped by [`TESTED_ABI`] and the test variable.
    pub abi: i32,
    /// Why Landlock is not there, in pt-BR, when it is not.
    pub why_not: Option<String>,
}

/// One protection and the Landlock ABI (and kernel) it needs.
pub struct Protection {
    pub name: &'static str,
    pub abi: i32,
    pub kernel: &'static str,
}

/// What Landlock enforces, by ABI.
pub const PROTECTIONS: [Protection; 3] = [
    Protection {
        name: "arquivos (só o próprio programa, o sistema e uma pasta de rascunho)",
        abi: 1,
        kernel: "Linux 5.13",
    },
    Protection {
        name: "rede TCP (bind só na PORTA, connect só na porta do corretor)",
        abi: 4,
        kernel: "Linux 6.7",
    },
    Protection {
        name: "sinais e sockets UNIX abstratos para fora do isolamento",
        abi: 6,
        kernel: "Linux 6.12",
    },
];

impl Support {
    /// Whether Landlock confines the filesystem at all.
    pub fn landlock(&self) -> bool {
        self.abi >= 1
    }

    pub fn network(&self) -> bool {
        self.abi >= 4
    }

    pub fn scopes(&self) -> bool {
        self.abi >= 6
    }

    /// The protections this machine cannot give, in pt-BR.
    pub fn missing(&self) -> Vec<String> {
        PROTECTIONS
            .iter()
            .filter(|p| self.abi < p.abi)
            .map(|p| {
                format!(
                    "{} (precisa de Landlock ABI {}, {})",
                    p.name, p.abi, p.kernel
                )
            })
            .collect()
    }

    /// One line for the terminal and the reports, in pt-BR.
    pub fn describe(&self) -> String {
        if !self.landlock() {
            return format!(
                "sem Landlock ({}): só sem privilégios e com pasta de rascunho",
                self.why_not.as_deref().unwrap_or("indisponível")
            );
        }
        let enforced: Vec<&str> = PROTECTIONS
            .iter()
            .filter(|p| self.abi >= p.abi)
            .map(|p| p.name)
            .collect();
        let mut text = format!(
            "Landlock ABI {} (núcleo: {}): {}; sem capacidades, no_new_privs",
            self.abi,
            self.kernel_abi,
            enforced.join("; ")
        );
        let missing = self.missing();
        if !missing.is_empty() {
            text.push_str(&format!(". Faltam: {}", missing.join("; ")));
        }
        text
    }
}

/// The machine's support, detected once.
pub fn support() -> &'static Support {
    static SUPPORT: OnceLock<Support> = OnceLock::new();
    SUPPORT.get_or_init(|| {
        let cap = std::env::var(ABI_CAP_VARIABLE)
            .ok()
            .and_then(|v| v.trim().parse::<i32>().ok());
        let (kernel_abi, mut why_not) = detect();
        let mut abi = kernel_abi.min(TESTED_ABI);
        if let Some(cap) = cap.filter(|&cap| cap < abi) {
            abi = cap.max(0);
            if abi == 0 {
                why_not = Some(format!("simulado por {ABI_CAP_VARIABLE}=0"));
            }
        }
        Support {
            kernel_abi,
            abi,
            why_not,
        }
    })
}

/// Restricts a throwaway thread (Landlock applies per thread unless asked
/// otherwise) and reads what took effect.
#[cfg(target_os = "linux")]
fn detect() -> (i32, Option<String>) {
    use landlock::{
        ABI, Access, AccessFs, AccessNet, LandlockStatus, Ruleset, RulesetAttr, RulesetStatus,
        Scope,
    };
    let probe = std::thread::spawn(|| {
        let abi = ABI::V6;
        Ruleset::default()
            .handle_access(AccessFs::from_all(abi))?
            .handle_access(AccessNet::from_all(abi))?
            .scope(Scope::from_all(abi))?
            .create()?
            .restrict_self()
    });
    match probe.join() {
        Ok(Ok(status)) => match (status.landlock, status.ruleset) {
            (_, RulesetStatus::NotEnforced) | (LandlockStatus::NotImplemented, _) => (
                0,
                Some("o núcleo não tem Landlock (Linux 5.13 ou mais novo)".to_owned()),
            ),
            (LandlockStatus::NotEnabled, _) => (
                0,
                Some(
                    "o núcleo tem Landlock, mas desligado (falta `lsm=...,landlock` na \
                     inicialização)"
                        .to_owned(),
                ),
            ),
            (
                LandlockStatus::Available {
                    effective_abi,
                    kernel_abi,
                },
                _,
            ) => (kernel_abi.unwrap_or(effective_abi as i32), None),
        },
        Ok(Err(error)) => (
            0,
            Some(format!("o Landlock recusou a regra de teste: {error}")),
        ),
        Err(_) => (0, Some("o teste do Landlock falhou".to_owned())),
    }
}

#[cfg(not(target_os = "linux"))]
fn detect() -> (i32, Option<String>) {
    (0, Some("Landlock só existe no Linux".to_owned()))
}

/// `--sem-isolamento`: the whole grader process runs programs plainly.
static DISABLED: AtomicBool = AtomicBool::new(false);

/// Turns the sandbox off for the rest of this process (`grade --sem-isolamento`).
pub fn disable() {
    set_enabled(false);
}

/// On or off for the programs started from now on (the bench compares both).
pub fn set_enabled(on: bool) {
    DISABLED.store(!on, Ordering::SeqCst);
}

/// Whether programs started from now on are sandboxed (even without Landlock,
/// they lose their privileges and get a scratch folder).
pub fn enabled() -> bool {
    cfg!(target_os = "linux") && !DISABLED.load(Ordering::SeqCst)
}

/// How this run isolates untrusted code, for the reports, in pt-BR.
pub fn run_description() -> String {
    if enabled() {
        format!("isolado: {}", support().describe())
    } else {
        "NÃO ISOLADO (--sem-isolamento): os programas rodaram com as permissões do corretor"
            .to_owned()
    }
}

/// Lines of a program's error output that report a permission error: what a
/// program says when the sandbox denied it something. This is the program's
/// own account (the kernel's audit log is not readable here), so a program
/// that hides its attempts is not listed, though it is blocked all the same.
pub fn denials_in(text: &str) -> Vec<String> {
    const MARKS: [&str; 8] = [
        "Permission denied",
        "Operation not permitted",
        "os error 13)",
        "os error 1)",
        "[Errno 13]",
        "[Errno 1]",
        "EACCES",
        "EPERM",
    ];
    text.lines()
        .filter(|line| MARKS.iter().any(|m| line.contains(m)))
        .map(|line| line.chars().take(300).collect())
        .take(20)
        .collect()
}

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
    /// Paths that must exist (the program's binary, its folder).
    required: Vec<(PathBuf, Use)>,
    /// System paths, used when this machine has them.
    optional: Vec<(PathBuf, Use)>,
    /// TCP ports it may bind.
    bind: Vec<u16>,
    /// TCP ports it may connect to.
    connect: Vec<u16>,
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

/// Devices every program may read and write.
const DEVICES: [&str; 5] = [
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/urandom",
    "/dev/random",
];

impl Policy {
    /// The base every sandboxed process gets: the system, read-only; `/proc`
    /// and `/sys` read-only (thread counts, cgroup limits); a few devices.
    pub fn base() -> Policy {
        let mut policy = Policy::default();
        for path in SYSTEM_READ.iter().chain(ETC_READ.iter()) {
            policy.optional.push((PathBuf::from(path), Use::ReadExec));
        }
        // Python reads its `sitecustomize` from /etc/python3.X on Debian.
        if let Ok(entries) = std::fs::read_dir("/etc") {
            for entry in entries.flatten() {
                if entry.file_name().to_string_lossy().starts_with("python") {
                    policy.optional.push((entry.path(), Use::ReadExec));
                }
            }
        }
        for path in ["/proc", "/sys"] {
            policy.optional.push((PathBuf::from(path), Use::ReadExec));
        }
        for path in DEVICES {
            policy.optional.push((PathBuf::from(path), Use::ReadWrite));
        }
        policy
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

    /// Turns the policy into a Landlock ruleset (a file descriptor), before
    /// fork. Without Landlock, the entry still drops privileges.
    pub fn prepare(&self) -> io::Result<Prepared> {
        let ruleset = if support().landlock() {
            Some(self.ruleset(support().abi)?)
        } else {
            None
        };
        Ok(Prepared {
            entry: Entry {
                ruleset: ruleset.as_ref().map_or(-1, raw_fd),
                drop_bounding: is_root(),
                last_cap: last_capability(),
            },
            _ruleset: ruleset,
        })
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
            let mut access = match how {
                Use::ReadExec => AccessFs::from_read(abi),
                Use::ReadWrite => AccessFs::from_all(abi),
            };
            if !path.is_dir() {
                // Only file rights apply to a file (a device, the binary).
                access &= AccessFs::from_file(abi);
            }
            created = created
                .add_rule(PathBeneath::new(fd, access))
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

/// A ruleset ready to enter: keep it alive until the child has been spawned.
pub struct Prepared {
    entry: Entry,
    _ruleset: Option<OwnedRuleset>,
}

impl Prepared {
    /// What the child runs between fork and exec (a copy: plain numbers).
    pub fn entry(&self) -> Entry {
        self.entry
    }
}

/// The child's half: plain data, used between fork and exec.
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    /// The Landlock ruleset's file descriptor, or -1 without Landlock.
    ruleset: i32,
    drop_bounding: bool,
    last_cap: i32,
}

#[cfg(target_os = "linux")]
#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[cfg(target_os = "linux")]
#[repr(C)]
#[derive(Clone, Copy)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

impl Entry {
    /// Enters the sandbox: runs in the child between fork and exec, so only
    /// async-signal-safe syscalls on data prepared before fork.
    #[cfg(target_os = "linux")]
    pub fn enter(&self) -> io::Result<()> {
        const CAPABILITY_VERSION_3: u32 = 0x2008_0522;
        // SAFETY: prctl/capset/landlock_restrict_self only read the values and
        // the stack structs passed; none allocates or takes a lock.
        unsafe {
            // No setuid or file capability can raise what the program has;
            // it is also what lets an unprivileged process enter Landlock.
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
                return Err(io::Error::last_os_error());
            }
            if self.drop_bounding {
                // An empty bounding set: exec can never give uid 0 its
                // capabilities back.
                for cap in 0..=self.last_cap {
                    if libc::prctl(libc::PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 {
                        let error = io::Error::last_os_error();
                        if error.raw_os_error() != Some(libc::EINVAL) {
                            return Err(error);
                        }
                    }
                }
            }
            // Ambient capabilities exist since Linux 4.3; EINVAL before that.
            libc::prctl(
                libc::PR_CAP_AMBIENT,
                libc::PR_CAP_AMBIENT_CLEAR_ALL,
                0,
                0,
                0,
            );
            let header = CapHeader {
                version: CAPABILITY_VERSION_3,
                pid: 0,
            };
            let empty = [CapData {
                effective: 0,
                permitted: 0,
                inheritable: 0,
            }; 2];
            if libc::syscall(libc::SYS_capset, &header, empty.as_ptr()) != 0 {
                return Err(io::Error::last_os_error());
            }
            if self.ruleset >= 0
                && libc::syscall(libc::SYS_landlock_restrict_self, self.ruleset, 0) != 0
            {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(())
    }

    #[cfg(not(target_os = "linux"))]
    pub fn enter(&self) -> io::Result<()> {
        Ok(())
    }
}

/// Where scratch folders go: a memory file system when there is one
/// (`$XDG_RUNTIME_DIR`, `/dev/shm`), because removing a folder from a disk's
/// `/tmp` can take milliseconds (0.6 to 3.4 ms measured here), once per
/// program; else the temporary folder. What a program writes there is
/// charged to its memory cgroup, and freed when the folder is removed.
fn scratch_base() -> &'static Path {
    static BASE: OnceLock<PathBuf> = OnceLock::new();
    BASE.get_or_init(|| {
        let writable = |dir: &Path| {
            let probe = dir.join(format!("tomada-sonda-{}", std::process::id()));
            let ok = std::fs::create_dir(&probe).is_ok();
            let _ = std::fs::remove_dir(&probe);
            ok
        };
        std::env::var_os("XDG_RUNTIME_DIR")
            .map(PathBuf::from)
            .into_iter()
            .chain([PathBuf::from("/dev/shm")])
            .find(|dir| dir.is_dir() && writable(dir))
            .unwrap_or_else(std::env::temp_dir)
    })
}

/// A fresh folder of one sandboxed process: its `HOME` and `TMPDIR`, the only
/// place it may write. Removed when dropped.
pub struct Scratch {
    path: PathBuf,
}

impl Scratch {
    pub fn create() -> io::Result<Scratch> {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = scratch_base().join(format!("tomada-rascunho-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&path)?;
        Ok(Scratch { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Everything one sandboxed process needs from the parent: its scratch folder
/// (kept for its lifetime) and its prepared ruleset (kept until spawned).
pub struct Sandbox {
    pub scratch: Scratch,
    prepared: Option<Prepared>,
}

impl Sandbox {
    /// Prepares `policy` plus a fresh scratch folder, writable.
    pub fn new(policy: Policy) -> io::Result<Sandbox> {
        let scratch = Scratch::create()?;
        let prepared = policy.write(scratch.path()).prepare()?;
        Ok(Sandbox {
            scratch,
            prepared: Some(prepared),
        })
    }

    /// The child's half (see [`Entry::enter`]).
    pub fn entry(&self) -> Option<Entry> {
        self.prepared.as_ref().map(Prepared::entry)
    }

    /// Closes the ruleset once the child exists (it holds its own copy).
    pub fn spawned(&mut self) {
        self.prepared = None;
    }

    /// `HOME` and `TMPDIR` for the child.
    pub fn env(&self) -> [(&'static str, &Path); 2] {
        [
            ("HOME", self.scratch.path()),
            ("TMPDIR", self.scratch.path()),
        ]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn denials_are_the_lines_with_permission_errors() {
        let text =
            "ok\nErro: Permission denied (os error 13)\nnada\nkill: Operation not permitted\n";
        assert_eq!(
            denials_in(text),
            vec![
                "Erro: Permission denied (os error 13)".to_owned(),
                "kill: Operation not permitted".to_owned()
            ]
        );
        assert!(denials_in("tudo certo\n").is_empty());
    }

    #[test]
    fn missing_protections_name_the_kernel() {
        let partial = Support {
            kernel_abi: 3,
            abi: 3,
            why_not: None,
        };
        let missing = partial.missing();
        assert_eq!(missing.len(), 2, "{missing:?}");
        assert!(missing[0].contains("Linux 6.7"), "{missing:?}");
        assert!(partial.describe().contains("Faltam"));
        let full = Support {
            kernel_abi: 7,
            abi: 6,
            why_not: None,
        };
        assert!(full.missing().is_empty());
    }
}
