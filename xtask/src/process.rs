//! The learner's programs as child processes: started in their own process group,
//! their output captured (bounded), and always stopped and reaped.
//!
//! Every live process group is also listed in [`LIVE_GROUPS`], so that Ctrl-C on the
//! grader (whose children are not in the terminal's foreground group, and so would
//! not get the signal) still takes them down.

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncRead, AsyncReadExt};

pub use crate::sandbox::Udp;
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

/// How to start a program under test.
#[derive(Clone, Debug)]
pub enum Launch {
    /// A binary built from the learner's crate.
    Binary { path: PathBuf, cwd: PathBuf },
    /// Any command, run by `sh -c` (the `--server-cmd` / `--client-cmd` flags).
    Shell { command: String, cwd: PathBuf },
}

impl Launch {
    /// What the learner types to run it by hand, for the "reproduce" advice.
    pub fn describe(&self) -> String {
        match self {
            Launch::Binary { path, .. } => path.display().to_string(),
            Launch::Shell { command, .. } => command.clone(),
        }
    }
}

/// What a program gets beyond `PORTA` and its environment: arguments on its
/// command line (lab 08's `cliente http://…`) and folders the grader prepared
/// for it to read (lab 08's `PASTA`), which its sandbox then lets it read.
#[derive(Clone, Debug, Default)]
pub struct Extra {
    pub args: Vec<String>,
    pub read: Vec<PathBuf>,
}

/// At most this much of a program's stdout or stderr is kept; the rest is drained
/// and counted, so a flood of output cannot exhaust the grader's memory.
pub const OUTPUT_CAP: usize = 256 * 1024;

/// Bytes a program wrote to one of its pipes.
#[derive(Clone, Default)]
pub struct Captured(Arc<CapturedShared>);

#[derive(Default)]
struct CapturedShared {
    inner: Mutex<CapturedInner>,
    /// Wakes whoever waits for new output (or for the pipe to close).
    changed: tokio::sync::Notify,
}

#[derive(Default)]
struct CapturedInner {
    bytes: Vec<u8>,
    dropped: usize,
    closed: bool,
}

impl Captured {
    fn lock(&self) -> std::sync::MutexGuard<'_, CapturedInner> {
        self.0.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn push(&self, chunk: &[u8]) {
        {
            let mut inner = self.lock();
            let room = OUTPUT_CAP.saturating_sub(inner.bytes.len());
            let keep = room.min(chunk.len());
            inner.bytes.extend_from_slice(&chunk[..keep]);
            inner.dropped += chunk.len() - keep;
        }
        self.0.changed.notify_waiters();
    }

    fn close(&self) {
        self.lock().closed = true;
        self.0.changed.notify_waiters();
    }

    /// The captured text (lossy UTF-8), with a note when some was dropped.
    pub fn text(&self) -> String {
        let inner = self.lock();
        let mut text = String::from_utf8_lossy(&inner.bytes).into_owned();
        if inner.dropped > 0 {
            text.push_str(&format!("\n[… mais {} bytes descartados]", inner.dropped));
        }
        text
    }

    /// Waits until `decide`, shown everything captured so far and whether the
    /// pipe has closed, returns a verdict; `None` if the deadline passes first.
    /// Wakes on each new chunk, never polls.
    pub async fn wait_until<T>(
        &self,
        deadline: tokio::time::Instant,
        mut decide: impl FnMut(&[u8], bool) -> Option<T>,
    ) -> Option<T> {
        loop {
            let notified = self.0.changed.notified();
            tokio::pin!(notified);
            // Register before looking, so a chunk that lands in between still wakes us.
            notified.as_mut().enable();
            {
                let inner = self.lock();
                if let Some(verdict) = decide(&inner.bytes, inner.closed) {
                    return Some(verdict);
                }
                if inner.closed {
                    return None;
                }
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return None;
            }
        }
    }

    /// Runs `look` on the bytes captured so far.
    pub fn with_bytes<T>(&self, look: impl FnOnce(&[u8]) -> T) -> T {
        look(&self.lock().bytes)
    }
}

/// Process groups that are running now; see the module docs.
static LIVE_GROUPS: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// Kills every live process group: the Ctrl-C path.
pub fn kill_all_live() {
    let groups = LIVE_GROUPS.lock().unwrap_or_else(|p| p.into_inner());
    for &pgid in groups.iter() {
        kill_group(pgid);
    }
}

#[cfg(unix)]
fn kill_group(pgid: u32) {
    // SAFETY: killpg only sends a signal; a stale id at worst returns ESRCH.
    unsafe {
        libc::killpg(pgid as libc::pid_t, libc::SIGKILL);
    }
}

#[cfg(not(unix))]
fn kill_group(_pgid: u32) {}

/// The signals the grader sends on purpose (lab 04's graceful shutdown).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// What `kill` sends by default: "please stop".
    Term,
    /// What Ctrl-C at a terminal sends.
    Interrupt,
    /// What `kill -9` sends: the end, with no chance to clean up (lab 04's
    /// restart step: the kernel closes the sockets, which stay in TIME_WAIT).
    Kill,
}

impl Signal {
    pub fn name(self) -> &'static str {
        match self {
            Signal::Term => "SIGTERM",
            Signal::Interrupt => "SIGINT",
            Signal::Kill => "SIGKILL",
        }
    }
}

#[cfg(unix)]
fn send_to_group(pgid: u32, signal: Signal) -> bool {
    let number = match signal {
        Signal::Term => libc::SIGTERM,
        Signal::Interrupt => libc::SIGINT,
        Signal::Kill => libc::SIGKILL,
    };
    // SAFETY: killpg only sends a signal; a stale id at worst returns ESRCH.
    unsafe { libc::killpg(pgid as libc::pid_t, number) == 0 }
}

#[cfg(not(unix))]
fn send_to_group(_pgid: u32, _signal: Signal) -> bool {
    false
}

/// The line `sh -c` runs for `--server-cmd`/`--client-cmd`. A single command is
/// prefixed with `exec`, so the program replaces the shell: a signal then reaches
/// it alone, and its exit status is the one reported (Debian's `sh` would
/// otherwise die of SIGTERM itself, while the program under test says goodbye).
/// A compound line (`;`, `&&`, `|`…) is left to the shell as typed.
fn shell_line(command: &str) -> String {
    let compound = command.contains([';', '&', '|', '\n', '(', ')', '`']);
    // `VAR=valor programa` must stay as typed: `exec VAR=valor` is not a command.
    let first = command.split_whitespace().next().unwrap_or_default();
    if compound || first == "exec" || first.contains('=') {
        command.to_owned()
    } else {
        format!("exec {command}")
    }
}

/// What a program under test may touch: the system (read-only), its own binary
/// and folder (read-only), its scratch folder; TCP only on its `PORTA` (bind,
/// and connect: for a client it is the grader's listening port).
pub fn program_policy(launch: &Launch, port: u16) -> crate::sandbox::Policy {
    let policy = crate::sandbox::Policy::base();
    let policy = match launch {
        Launch::Binary { path, cwd } => policy.read(path).read(cwd),
        // `--server-cmd` runs in the caller's folder: its scripts stay readable,
        // and so do the files the command names (`/caminho/do/servidor`) and
        // the learner's own tools it runs (`node` from nvm, a script in ~/bin).
        Launch::Shell { command, cwd } => {
            let policy = named_files(command, cwd)
                .iter()
                .fold(policy.read(cwd), |policy, file| {
                    policy.read_if_present(file)
                });
            own_tool_folders(command)
                .iter()
                .fold(policy, |policy, folder| {
                    let policy = policy.read(folder);
                    match installation(folder) {
                        Some(prefix) => policy.read(&prefix),
                        None => policy,
                    }
                })
        }
    };
    policy.bind(port).connect(port)
}

/// The folders outside the system paths that hold a command the line runs and
/// the system folders do not have (`node` installed by nvm, `meuservidor` in
/// `~/bin`), in the caller's `PATH` order. Inside the sandbox, `PATH` keeps
/// only system folders (see `sandbox::system_path`); these go after them, so a
/// command the system also has (`python3`) still runs the system's.
pub fn own_tool_folders(command: &str) -> Vec<PathBuf> {
    let system = crate::sandbox::system_path();
    let caller = std::env::var_os("PATH").unwrap_or_default();
    let mut folders: Vec<PathBuf> = Vec::new();
    let words = command
        .split_whitespace()
        .map(|word| word.trim_matches(['"', '\'']))
        .filter(|word| !word.is_empty() && !word.contains(['/', '=']));
    for word in words {
        if find_executable(&system, word).is_some() {
            continue;
        }
        let Some(found) = find_executable(&caller, word) else {
            continue;
        };
        if let Some(folder) = found.parent().filter(|f| !folders.iter().any(|k| k == f)) {
            folders.push(folder.to_path_buf());
        }
    }
    folders
}

/// The installation a tool folder belongs to (`~/.nvm/versions/node/v20` for
/// its `bin/`): the tool may read its own libraries there. Never the home
/// folder or above it: `~/bin` grants `~/bin` only, not `~/.ssh`.
fn installation(folder: &Path) -> Option<PathBuf> {
    if folder.file_name()? != "bin" {
        return None;
    }
    let prefix = folder.parent()?;
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let covers_home = home.is_some_and(|home| home.starts_with(prefix));
    (!covers_home && prefix.parent().is_some()).then(|| prefix.to_path_buf())
}

/// The first executable file called `name` in the folders of `path`.
fn find_executable(path: &std::ffi::OsStr, name: &str) -> Option<PathBuf> {
    #[cfg(unix)]
    use std::os::unix::fs::PermissionsExt as _;
    std::env::split_paths(path)
        .map(|folder| folder.join(name))
        .find(|candidate| {
            std::fs::metadata(candidate).is_ok_and(|m| {
                #[cfg(unix)]
                let runnable = m.permissions().mode() & 0o111 != 0;
                #[cfg(not(unix))]
                let runnable = true;
                m.is_file() && runnable
            })
        })
}

/// The existing files a command line names by a path (a word with a `/`).
fn named_files(command: &str, cwd: &Path) -> Vec<PathBuf> {
    command
        .split_whitespace()
        .map(|word| word.trim_matches(['"', '\'']))
        .map(|word| word.split_once('=').map_or(word, |(_, value)| value))
        .filter(|word| word.contains('/'))
        .map(|word| cwd.join(word))
        .filter(|path| path.is_file())
        .collect()
}

/// A running (or finished, not yet dropped) program under test.
pub struct Program {
    child: Child,
    /// Kept outside `child`: tokio's `Child::wait` closes the child's stdin, and
    /// the grader waits (watching for an early exit) while it still types.
    stdin: Option<tokio::process::ChildStdin>,
    /// Bounds the number of processes, where the machine allows (see `limits`).
    #[cfg(unix)]
    cgroup: Option<crate::limits::ProgramCgroup>,
    /// Its scratch folder (`HOME`, `TMPDIR`), removed when the program is dropped.
    _sandbox: Option<crate::sandbox::Sandbox>,
    pgid: Option<u32>,
    status: Option<ExitStatus>,
    pub stdout: Captured,
    /// Where the next expected line is looked for in `stdout` (see `printed`).
    pub printed: crate::printed::Cursor,
    pub stderr: Captured,
    readers: Vec<JoinHandle<()>>,
}

/// How a program under test starts, beyond what it is and its port.
#[derive(Default)]
pub struct Start<'a> {
    /// Extra environment, besides `PORTA`.
    pub env: &'a [(&'a str, String)],
    /// Arguments after the binary (or after the command line, as `"$@"`).
    pub args: &'a [String],
    /// Folders the grader lends it to write in (see `Session::lend_folder`).
    pub writable: &'a [PathBuf],
    /// Folders the grader prepared for it to read (see `Extra::read`).
    pub read: &'a [PathBuf],
    /// Keeps its stdin open for the grader to write to (a client's keyboard).
    pub stdin_piped: bool,
    /// Whether it may use UDP: [`Udp::Denied`] (labs 01–05) unless the lab is
    /// about datagrams; with [`Udp::loopback`] it may send to any loopback
    /// port, with [`Udp::loopback_ports`] only to the ports the grader adds;
    /// any other destination fails with `EACCES` before a packet is built
    /// (see `sandbox::supervisor`). TCP stays as in [`program_policy`].
    pub udp: Udp,
}

impl Program {
    /// Starts the program with `PORTA=<port>`, in a process group of its own.
    pub fn spawn(launch: &Launch, port: u16, start: Start<'_>) -> io::Result<Program> {
        let Start {
            env,
            args,
            writable,
            read,
            stdin_piped,
            udp,
        } = start;
        let (mut command, cwd): (Command, &Path) = match launch {
            Launch::Binary { path, cwd } => {
                let mut c = Command::new(path);
                c.args(args);
                (c, cwd)
            }
            Launch::Shell { command, cwd } => {
                let mut c = Command::new("sh");
                // The arguments go after the command line as `$1`, `$2`…: `"$@"`
                // passes them on unchanged, whatever characters they hold.
                let line = if args.is_empty() {
                    shell_line(command)
                } else {
                    format!("{} \"$@\"", shell_line(command))
                };
                c.arg("-c").arg(line).arg("sh").args(args);
                (c, cwd)
            }
        };
        command.envs(env.iter().map(|(k, v)| (k, v)));
        command
            .current_dir(cwd)
            .env("PORTA", port.to_string())
            // A Rust program under test should show a short panic message, not a trace.
            .env_remove("RUST_BACKTRACE")
            .stdin(if stdin_piped {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        #[cfg(unix)]
        command.process_group(0);
        let mut sandbox = if crate::sandbox::enabled() {
            let policy = program_policy(launch, port).udp(udp);
            let policy = read
                .iter()
                .fold(policy, |policy, folder| policy.read(folder));
            let policy = writable
                .iter()
                .fold(policy, |policy, folder| policy.write(folder));
            Some(crate::sandbox::Sandbox::new(policy)?)
        } else {
            None
        };
        if let Some(sandbox) = &sandbox {
            let mut path =
                std::env::split_paths(&crate::sandbox::system_path()).collect::<Vec<_>>();
            if let Launch::Shell { command, .. } = launch {
                path.extend(own_tool_folders(command));
            }
            command.envs(sandbox.env());
            if let Ok(path) = std::env::join_paths(path) {
                command.env("PATH", path);
            }
        }
        #[cfg(unix)]
        let cgroup = crate::limits::ProgramCgroup::create();
        #[cfg(unix)]
        {
            let limits = crate::limits::ChildLimits::new(cgroup.as_ref());
            let entry = sandbox.as_ref().and_then(crate::sandbox::Sandbox::entry);
            // SAFETY: `apply` and `enter` only make async-signal-safe calls
            // (setrlimit, open, write, close, prctl, capset, landlock) on data
            // prepared before fork. The limits come first: joining the cgroup
            // writes to /sys/fs/cgroup, which the sandbox then forbids.
            unsafe {
                command.pre_exec(move || {
                    limits.apply()?;
                    match &entry {
                        Some(entry) => entry.enter(),
                        None => Ok(()),
                    }
                });
            }
        }

        let mut child = command.spawn()?;
        if let Some(sandbox) = &mut sandbox
            && let Err(error) = sandbox.spawned()
        {
            // Its checked calls fail without a supervisor; stop it now.
            #[cfg(unix)]
            if let Some(pgid) = child.id() {
                // SAFETY: killpg only sends a signal to the group just made.
                unsafe { libc::killpg(pgid as libc::pid_t, libc::SIGKILL) };
            }
            return Err(error);
        }
        let pgid = child.id();
        if let Some(pgid) = pgid {
            LIVE_GROUPS
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(pgid);
        }
        let stdout = Captured::default();
        let stderr = Captured::default();
        let mut readers = Vec::new();
        if let Some(pipe) = child.stdout.take() {
            readers.push(drain(pipe, stdout.clone()));
        }
        if let Some(pipe) = child.stderr.take() {
            readers.push(drain(pipe, stderr.clone()));
        }
        Ok(Program {
            #[cfg(unix)]
            cgroup,
            _sandbox: sandbox,
            stdin: child.stdin.take(),
            child,
            pgid,
            status: None,
            stdout,
            printed: crate::printed::Cursor::default(),
            stderr,
            readers,
        })
    }

    /// The program's process group (its pid, as the group's leader), while it runs.
    pub fn group(&self) -> Option<u32> {
        self.pgid
    }

    /// The exit status, if the program has already finished.
    pub fn try_status(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().ok().flatten();
        }
        self.status
    }

    /// Waits for the program to finish (callers bound it with a deadline).
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        if let Some(status) = self.status {
            return Ok(status);
        }
        let status = self.child.wait().await?;
        self.status = Some(status);
        Ok(status)
    }

    /// Waits until the program's output pipes are closed, so that `stdout` holds
    /// everything it printed. Bounded: a grandchild may keep the pipe open.
    pub async fn flush_output(&mut self, limit: std::time::Duration) {
        for reader in self.readers.drain(..) {
            let _ = tokio::time::timeout(limit, reader).await;
        }
    }

    pub fn stdin(&mut self) -> Option<&mut tokio::process::ChildStdin> {
        self.stdin.as_mut()
    }

    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Sends `signal` to the program's process group, as a terminal does with
    /// Ctrl-C (SIGINT) and `kill` with SIGTERM. False if it was already gone.
    pub fn signal(&mut self, signal: Signal) -> bool {
        if self.try_status().is_some() {
            return false;
        }
        match self.pgid {
            Some(pgid) => send_to_group(pgid, signal),
            None => false,
        }
    }

    /// Kills the whole process group and reaps the program.
    pub async fn stop(&mut self) {
        self.kill_group_now();
        let _ = self.wait().await;
        self.forget_group();
    }

    fn kill_group_now(&mut self) {
        if let Some(pgid) = self.pgid {
            // Even after the leader exits, a child it forked may still hold the group.
            kill_group(pgid);
        }
        #[cfg(unix)]
        if let Some(cgroup) = &self.cgroup {
            cgroup.kill_all();
        }
        let _ = self.child.start_kill();
    }

    fn forget_group(&mut self) {
        if let Some(pgid) = self.pgid.take() {
            LIVE_GROUPS
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .retain(|&g| g != pgid);
        }
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        // The last line of defence (early return, panic): nothing is left running.
        // tokio reaps a killed child in the background (`kill_on_drop`).
        if self.pgid.is_some() {
            self.kill_group_now();
            self.forget_group();
        }
    }
}

fn drain(mut pipe: impl AsyncRead + Unpin + Send + 'static, into: Captured) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut buf = vec![0u8; 8192];
        while let Ok(n) = pipe.read(&mut buf).await {
            if n == 0 {
                break;
            }
            into.push(&buf[..n]);
        }
        into.close();
    })
}

/// Describes an exit status in pt-BR: `código 0`, `sinal 9 (SIGKILL)`.
pub fn describe_status(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("código {code}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            let name = match signal {
                libc::SIGKILL => " (SIGKILL)",
                libc::SIGSEGV => " (SIGSEGV: acesso inválido à memória)",
                libc::SIGABRT => " (SIGABRT: abortado)",
                libc::SIGTERM => " (SIGTERM)",
                libc::SIGINT => " (SIGINT)",
                libc::SIGPIPE => " (SIGPIPE: escreveu numa conexão já fechada)",
                _ => "",
            };
            return format!("sinal {signal}{name}");
        }
    }
    "motivo desconhecido".to_owned()
}

/// The `cargo` that runs us (or the one on the PATH).
pub fn cargo() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

#[cfg(test)]
mod tests {
    use super::{installation, shell_line};
    use std::path::{Path, PathBuf};

    /// A tool's installation is readable with it, but never the home folder:
    /// `~/bin/x` must not open `~/.ssh`.
    #[test]
    fn the_installation_of_a_tool_never_covers_home() {
        assert_eq!(
            installation(Path::new("/opt/node-v20/bin")),
            Some(PathBuf::from("/opt/node-v20"))
        );
        assert_eq!(installation(Path::new("/opt/node-v20/scripts")), None);
        assert_eq!(installation(Path::new("/bin")), None);
        if let Some(home) = std::env::var_os("HOME").map(PathBuf::from) {
            assert_eq!(installation(&home.join("bin")), None);
            let nvm = home.join(".nvm/versions/node/v20");
            assert_eq!(installation(&nvm.join("bin")), Some(nvm));
        }
    }

    #[test]
    fn a_single_command_replaces_the_shell() {
        assert_eq!(shell_line("python3 eco.py"), "exec python3 eco.py");
        assert_eq!(shell_line("cd x && ./servidor"), "cd x && ./servidor");
        assert_eq!(shell_line("PORTA=1 ./servidor"), "PORTA=1 ./servidor");
        assert_eq!(shell_line("exec ./servidor"), "exec ./servidor");
    }
}
