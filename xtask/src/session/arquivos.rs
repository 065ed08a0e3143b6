//! File actions (lab 07): a folder lent to the programs, contents made up on the
//! fly and checked as they stream (never held whole: a 256 MiB upload costs the
//! grader one 64 KiB block), JSON replies shown in one canonical form, and the
//! server's memory sampled from `/proc` while it works.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{Conn, Flow, Session, slot};
use crate::lab::Role;
use crate::wire;

/// Size of the random block every content is made of.
const BLOCK: usize = 64 * 1024;

/// A folder the grader lends the programs under test: created fresh (where the
/// scratch folders go), writable by them in the sandbox, and read by the grader
/// to see what they stored. Removed with the session.
pub(super) struct Lent {
    /// Holds `path` and nothing else: `path/..` is the grader's, so a program
    /// that escapes `path` writes where the grader looks (and the sandbox says no).
    _root: crate::sandbox::Scratch,
    pub(super) var: &'static str,
    pub(super) path: PathBuf,
}

/// A file's content, made up from the run's seed: a random block, rotated by a
/// different amount in each 64 KiB of the file, so a piece out of place (or
/// from another upload) never matches. Cheap to clone, never stored whole.
#[derive(Clone, Debug)]
pub struct Content {
    pub label: String,
    pub size: u64,
    block: Arc<Vec<u8>>,
}

impl Content {
    /// Fills `out` with the bytes from position `at`.
    fn fill(&self, at: u64, out: &mut [u8]) {
        let mut done = 0;
        while done < out.len() {
            let pos = at + done as u64;
            let chunk = pos / BLOCK as u64;
            let within = (pos % BLOCK as u64) as usize;
            // 4099 is odd, so every chunk of a 4 GiB file is rotated differently.
            let start = (within + (chunk as usize).wrapping_mul(4099)) % BLOCK;
            let run = (BLOCK - within).min(BLOCK - start).min(out.len() - done);
            out[done..done + run].copy_from_slice(&self.block[start..start + run]);
            done += run;
        }
    }

    /// The whole content, for small files (the grader writes them to disk).
    pub fn bytes(&self) -> Vec<u8> {
        let mut out = vec![0u8; self.size as usize];
        self.fill(0, &mut out);
        out
    }
}

/// What a stream of bytes turned out to be, compared with a [`Content`].
#[derive(Debug, PartialEq, Eq)]
enum Compared {
    Equal,
    /// The first position where they differ.
    DiffersAt(u64),
}

/// Compares a stream of bytes, fed in pieces, with a [`Content`], without
/// holding it: the first position where they differ, if any.
struct Comparer<'a> {
    content: &'a Content,
    seen: u64,
    first_difference: Option<u64>,
    expected: Vec<u8>,
}

impl<'a> Comparer<'a> {
    fn new(content: &'a Content) -> Comparer<'a> {
        Comparer {
            content,
            seen: 0,
            first_difference: None,
            expected: vec![0u8; BLOCK],
        }
    }

    fn feed(&mut self, got: &[u8]) {
        for piece in got.chunks(BLOCK) {
            if self.first_difference.is_none() {
                let left = self.content.size.saturating_sub(self.seen);
                let overlap = piece.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                let expected = &mut self.expected[..overlap];
                self.content.fill(self.seen, expected);
                if piece[..overlap] != *expected {
                    let at = piece.iter().zip(expected.iter()).position(|(a, b)| a != b);
                    self.first_difference = Some(self.seen + at.unwrap_or(overlap) as u64);
                } else if overlap < piece.len() {
                    self.first_difference = Some(self.seen + overlap as u64);
                }
            }
            self.seen += piece.len() as u64;
        }
    }

    fn result(&self) -> Compared {
        match self.first_difference {
            Some(at) => Compared::DiffersAt(at),
            None if self.seen < self.content.size => Compared::DiffersAt(self.seen),
            None => Compared::Equal,
        }
    }
}

impl Session {
    // ---- the lent folder ----------------------------------------------------

    /// Lends a fresh folder to the programs started from now on, in the
    /// environment variable `var` (lab 07's `PASTA`); the transcript shows it as
    /// `<pasta>`. Each call lends a new, empty one (the server's part and the
    /// client's do not share files); the one before is removed.
    pub fn lend_folder(&mut self, var: &'static str) -> Result<PathBuf, String> {
        let root = crate::sandbox::Scratch::create()
            .map_err(|e| format!("não consegui criar a pasta para {var}: {e}"))?;
        let path = root.path().join("pasta");
        std::fs::create_dir(&path)
            .map_err(|e| format!("não consegui criar a pasta para {var}: {e}"))?;
        let shown = path.display().to_string();
        self.redact(&shown, "<pasta>".to_owned());
        if let Some(name) = root.path().file_name().and_then(|n| n.to_str()) {
            self.redact(name, "<fora-da-pasta>".to_owned());
        }
        self.lent = Some(Lent {
            _root: root,
            var,
            path: path.clone(),
        });
        Ok(path)
    }

    /// The lent folder, once lent.
    pub fn lent_folder(&self) -> Option<&Path> {
        self.lent.as_ref().map(|l| l.path.as_path())
    }

    /// The folder that holds the lent one: where an escape through `..` lands.
    pub fn outside_lent_folder(&self) -> Option<PathBuf> {
        self.lent_folder()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
    }

    /// A random content of `size` bytes, shown as `<arquivo-N>`.
    pub fn random_content(&mut self, size: u64) -> Content {
        let mut block = vec![0u8; BLOCK];
        self.rng.fill(&mut block);
        self.random_count += 1;
        Content {
            label: format!("<arquivo-{}>", self.random_count),
            size,
            block: Arc::new(block),
        }
    }

    /// Writes `content` into the lent folder as `name`, for the client to send.
    pub async fn put_file(&mut self, name: &str, content: &Content) -> Flow {
        let folder = self
            .lent_folder()
            .expect("put_file() depois de lend_folder()");
        match std::fs::write(folder.join(name), content.bytes()) {
            Ok(()) => {
                self.say(format!(
                    "[corretor] põe {name} na pasta ({}, {} bytes)",
                    content.label, content.size
                ));
                Ok(())
            }
            Err(error) => {
                self.say(format!("[corretor] não conseguiu criar {name}: {error}"));
                Err(self.fail().await)
            }
        }
    }

    /// Removes `name` from the lent folder (a big file, once checked: the
    /// folder lives in memory).
    pub fn remove_file(&mut self, name: &str) {
        if let Some(folder) = self.lent_folder() {
            let _ = std::fs::remove_file(folder.join(name));
        }
        self.say(format!("[corretor] apaga {name} da pasta"));
    }

    /// Waits until the lent folder holds exactly `expected` (names, sizes and
    /// contents; temporary files count too) and records what it holds, one
    /// line per file. The program may still be cleaning up (a cut upload it has
    /// yet to notice), so the folder is looked at again until the deadline.
    /// Returns the names of what should not be there (or differs), for the
    /// scenario to name the likely cause.
    pub async fn expect_folder(&mut self, expected: &[(&str, &Content)]) -> Vec<String> {
        let Some(folder) = self.lent_folder().map(Path::to_path_buf) else {
            return Vec::new();
        };
        let deadline = self.deadline();
        let wanted = describe_expected(expected);
        let matches =
            |seen: &[(String, String)]| seen.iter().map(|(_, line)| line).eq(wanted.iter());
        // The folder is looked at again on each change the kernel reports in it
        // (inotify, through notify): a file written, renamed or removed.
        let (changed, mut changes) = tokio::sync::mpsc::unbounded_channel();
        let _watcher = watch_folder(&folder, changed);
        let mut seen = describe_folder(&folder, expected);
        while !matches(&seen) && !self.gave_up() && tokio::time::Instant::now() < deadline {
            match tokio::time::timeout_at(deadline, changes.recv()).await {
                Ok(Some(())) => {
                    // A burst of changes (a file being written) gets one look.
                    while changes.try_recv().is_ok() {}
                    seen = describe_folder(&folder, expected);
                }
                // The deadline, or no watcher (then one last look is all).
                Ok(None) | Err(_) => {
                    seen = describe_folder(&folder, expected);
                    break;
                }
            }
        }
        let strays: Vec<String> = seen
            .iter()
            .filter(|(_, line)| !wanted.contains(line))
            .map(|(name, _)| name.clone())
            .collect();
        if !strays.is_empty() {
            self.give_up_if(true);
        }
        if seen.is_empty() {
            self.say("[corretor] a pasta está vazia");
        }
        for (_, line) in seen {
            self.say(format!("[corretor] na pasta: {line}"));
        }
        strays
    }

    /// Records whether anything appeared in the folder that holds the lent
    /// one (where `../nome` would land).
    pub fn expect_nothing_outside(&mut self) {
        let Some(outside) = self.outside_lent_folder() else {
            return;
        };
        let strays: Vec<String> = std::fs::read_dir(&outside)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| name != "pasta")
            .collect();
        if strays.is_empty() {
            self.say("[corretor] fora da pasta: nada");
        } else {
            self.say(format!("[corretor] fora da pasta: {}", strays.join(", ")));
            self.note(
                "E-FORA-DA-PASTA",
                format!(
                    "O programa escreveu fora da pasta que recebeu ({}). Um nome vindo da \
                     rede nunca vira caminho direto: recuse / \\ .. e o nome vazio antes do \
                     `join`.",
                    strays.join(", ")
                ),
            );
        }
    }

    // ---- bytes of files on a connection ---------------------------------------

    /// Sends bytes `from..to` of `content`, in pieces of at most 64 KiB, each
    /// with its own deadline (a big file takes as long as it takes, a stalled
    /// reader fails). Records one line.
    pub async fn send_content(
        &mut self,
        conn: &mut Conn,
        content: &Content,
        from: u64,
        to: u64,
    ) -> Flow {
        let actor = conn.actor.clone();
        let mut block = vec![0u8; BLOCK];
        let mut at = from;
        while at < to {
            let n = (to - at).min(BLOCK as u64) as usize;
            content.fill(at, &mut block[..n]);
            let written =
                tokio::time::timeout(self.opts.timeout, conn.stream.write_all(&block[..n])).await;
            let problem = match written {
                Ok(Ok(())) => None,
                Ok(Err(error)) => Some(wire::describe_error(&error)),
                Err(_) => Some(format!(
                    "o outro lado parou de ler por {}",
                    self.timeout_text()
                )),
            };
            if let Some(problem) = problem {
                self.say(format!(
                    "[{actor}] → {}: parou no byte {at} de {to} ({problem})",
                    describe_range(content, from, to)
                ));
                return Err(self.fail().await);
            }
            at += n as u64;
        }
        self.say(format!("[{actor}] → {}", describe_range(content, from, to)));
        Ok(())
    }

    /// Sends all of `content` one byte per write, each waited for (see
    /// `send_bytewise`): a file that trickles in. Records one line.
    pub async fn send_content_bytewise(&mut self, conn: &mut Conn, content: &Content) -> Flow {
        self.write_bytewise(conn, &content.bytes()).await?;
        let actor = &conn.actor;
        self.say(format!(
            "[{actor}] → {} (um byte por escrita)",
            describe_range(content, 0, content.size)
        ));
        Ok(())
    }

    /// Reads exactly `size` bytes and records whether they are `content`.
    /// Returns whether they were.
    pub async fn receive_content(&mut self, conn: &mut Conn, content: &Content, size: u64) -> bool {
        let actor = conn.actor.clone();
        let limit = if self.gave_up() {
            Duration::ZERO
        } else {
            self.opts.timeout
        };
        let mut comparer = Comparer::new(content);
        // What was read past the last line is the start of the file.
        let pending = std::mem::take(&mut conn.pending);
        let take = pending
            .len()
            .min(usize::try_from(size).unwrap_or(usize::MAX));
        comparer.feed(&pending[..take]);
        conn.pending = pending[take..].to_vec();
        let mut chunk = vec![0u8; BLOCK];
        let mut ended = None;
        while comparer.seen < size {
            let want = (size - comparer.seen).min(BLOCK as u64) as usize;
            match tokio::time::timeout(limit, conn.stream.read(&mut chunk[..want])).await {
                Ok(Ok(0)) => {
                    conn.ending = Some(wire::Ending::Closed);
                    ended = Some("o outro lado fechou a conexão (EOF)".to_owned());
                }
                Ok(Ok(n)) => comparer.feed(&chunk[..n]),
                Ok(Err(error)) => {
                    ended = Some(format!(
                        "a conexão falhou: {}",
                        wire::describe_error(&error)
                    ));
                }
                Err(_) => {
                    self.give_up_if(true);
                    ended = Some(format!("nada mais chegou em {}", seconds(limit)));
                }
            }
            if ended.is_some() {
                break;
            }
        }
        let outcome = match ended {
            None => Ok(comparer.result()),
            Some(why) => Err((comparer.seen, why)),
        };
        match outcome {
            Ok(Compared::Equal) => {
                self.say(format!(
                    "[{actor}] ← {size} bytes, iguais a {}",
                    content.label
                ));
                true
            }
            Ok(Compared::DiffersAt(at)) => {
                self.say(format!(
                    "[{actor}] ← {size} bytes, diferentes de {} a partir do byte {at}",
                    content.label
                ));
                false
            }
            Err((read, why)) => {
                self.say(format!(
                    "[{actor}] ← só {read} de {size} bytes esperados: {why}"
                ));
                false
            }
        }
    }

    // ---- JSON lines -------------------------------------------------------------

    /// Reads one line and records it in a canonical form: keys in order (`ok`
    /// first), no spaces, the free text of `erro` as `<motivo>`. Returns the
    /// parsed value when it is JSON.
    pub async fn receive_json(&mut self, conn: &mut Conn) -> Option<serde_json::Value> {
        let line = self.receive_line_shown_as(conn, canonical_line).await;
        let value: serde_json::Value = serde_json::from_slice(&line).ok()?;
        if line.ends_with(b"\n") && !value.is_object() {
            self.note(
                "E-RESPOSTA-NAO-JSON",
                "A resposta não é um objeto JSON: cada resposta do protocolo é uma linha como \
                 {\"ok\":true,...}, escrita com serde_json::to_string e um \\n.",
            );
        }
        Some(value)
    }

    // ---- memory ---------------------------------------------------------------------

    /// Starts sampling the memory (RSS) of the program for `role` and its
    /// children from `/proc`, every 10 ms, until the watch is read.
    pub fn watch_memory(&mut self, role: Role) -> MemoryWatch {
        let group = self.programs[slot(role)].as_ref().and_then(|p| p.group());
        let peak = Arc::new(AtomicU64::new(0));
        let done = Arc::new(AtomicBool::new(false));
        if let Some(group) = group {
            let (peak, done) = (Arc::clone(&peak), Arc::clone(&done));
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_millis(10));
                while !done.load(Ordering::Relaxed) {
                    tick.tick().await;
                    if let Some(kib) = group_rss_kib(group) {
                        peak.fetch_max(kib, Ordering::Relaxed);
                    }
                }
            });
        }
        MemoryWatch {
            peak,
            done,
            measured: group.is_some() && cfg!(target_os = "linux"),
        }
    }

    /// Records whether the peak seen by `watch` stayed under `limit_mib`.
    pub fn judge_memory(&mut self, watch: MemoryWatch, role: Role, limit_mib: u64) -> bool {
        let name = role.label();
        if !watch.measured {
            self.say(format!(
                "[corretor] memória do {name}: não medida (sem /proc neste sistema)"
            ));
            return true;
        }
        let peak_mib = watch.stop().div_ceil(1024);
        if peak_mib <= limit_mib {
            self.say(format!(
                "[corretor] memória do {name} (RSS) durante a transferência: até {limit_mib} MiB"
            ));
            true
        } else {
            self.say(format!(
                "[corretor] memória do {name} (RSS) durante a transferência: chegou a {peak_mib} MiB, acima de {limit_mib} MiB"
            ));
            false
        }
    }
}

/// The peak memory of a program, sampled in the background.
pub struct MemoryWatch {
    peak: Arc<AtomicU64>,
    done: Arc<AtomicBool>,
    measured: bool,
}

impl MemoryWatch {
    /// Stops sampling; the peak, in KiB.
    pub fn stop(&self) -> u64 {
        self.done.store(true, Ordering::Relaxed);
        self.peak.load(Ordering::Relaxed)
    }
}

impl Drop for MemoryWatch {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
    }
}

/// The resident memory of every process in the group `pgid`, in KiB: a server
/// that hands the work to a child is measured with it.
pub fn group_rss_kib(pgid: u32) -> Option<u64> {
    let mut total = 0;
    let mut found = false;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // Fields after the command (which may hold spaces): state, ppid, pgrp.
        let group = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(2))
            .and_then(|g| g.parse::<u32>().ok());
        if group != Some(pgid) {
            continue;
        }
        if let Some(kib) = rss_kib(pid) {
            total += kib;
            found = true;
        }
    }
    found.then_some(total)
}

/// `VmRSS` of one process, in KiB.
fn rss_kib(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn seconds(limit: Duration) -> String {
    super::seconds_text(limit)
}

fn describe_range(content: &Content, from: u64, to: u64) -> String {
    if from == 0 && to == content.size {
        format!("{} inteiro ({} bytes)", content.label, content.size)
    } else {
        format!(
            "bytes {from} a {to} de {} ({} bytes ao todo)",
            content.label, content.size
        )
    }
}

fn describe_expected(expected: &[(&str, &Content)]) -> Vec<String> {
    let mut lines: Vec<String> = expected
        .iter()
        .map(|(name, content)| format!("{name} ({}, {} bytes)", content.label, content.size))
        .collect();
    lines.sort();
    lines
}

/// Each entry of `folder` (name, description): a file that matches what
/// `expected` says for its name, by its label; anything else, by what it is.
fn describe_folder(folder: &Path, expected: &[(&str, &Content)]) -> Vec<(String, String)> {
    let mut lines = Vec::new();
    for entry in std::fs::read_dir(folder).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(meta) = entry.metadata() else { continue };
        if meta.is_dir() {
            lines.push((name.clone(), format!("{name}/ (uma pasta)")));
            continue;
        }
        let size = meta.len();
        let known = expected.iter().find(|(n, _)| *n == name).map(|(_, c)| *c);
        let line = match known {
            Some(content) if size == content.size => {
                if file_is(&entry.path(), content) {
                    format!("{name} ({}, {size} bytes)", content.label)
                } else {
                    format!("{name} ({size} bytes, diferentes de {})", content.label)
                }
            }
            Some(content) if size < content.size => {
                format!("{name} (incompleto: {size} de {} bytes)", content.size)
            }
            _ => format!("{name} ({size} bytes)"),
        };
        lines.push((name, line));
    }
    lines.sort();
    lines
}

/// Whether the file at `path` holds exactly `content` (read in blocks).
fn file_is(path: &Path, content: &Content) -> bool {
    // Read in blocks, blocking: the folder is a memory one, and this runs between steps.
    let Ok(mut file) = std::fs::File::open(path) else {
        return false;
    };
    let mut comparer = Comparer::new(content);
    let mut chunk = vec![0u8; BLOCK];
    loop {
        match std::io::Read::read(&mut file, &mut chunk) {
            Ok(0) => break,
            Ok(n) => comparer.feed(&chunk[..n]),
            Err(_) => return false,
        }
    }
    comparer.result() == Compared::Equal
}

/// A reply line as the transcript shows it (see [`Session::receive_json`]);
/// a line that is not JSON, as it came.
fn canonical_line(line: &[u8]) -> Vec<u8> {
    let (body, newline) = match line.strip_suffix(b"\n") {
        Some(body) => (body, "\n"),
        None => (line, ""),
    };
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(value) => format!("{}{newline}", canonical(&value, None)).into_bytes(),
        Err(_) => line.to_vec(),
    }
}

/// JSON with the keys in a fixed order (`ok` first, then by name) and `erro`'s
/// text replaced: two programs that say the same thing print it the same way.
fn canonical(value: &serde_json::Value, key: Option<&str>) -> String {
    use serde_json::Value;
    match value {
        Value::String(_) if key == Some("erro") => "\"<motivo>\"".to_owned(),
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by_key(|k| (!matches!(k.as_str(), "ok" | "op"), k.as_str()));
            let fields: Vec<String> = keys
                .iter()
                .map(|k| {
                    format!(
                        "{}:{}",
                        Value::String((*k).clone()),
                        canonical(&map[k.as_str()], Some(k))
                    )
                })
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(|v| canonical(v, None)).collect();
            format!("[{}]", items.join(","))
        }
        other => other.to_string(),
    }
}

/// A JSON line as the grader sends it, for the transcript too.
pub fn json_line(value: &serde_json::Value) -> String {
    format!("{}\n", canonical_plain(value))
}

/// Like [`canonical`], keeping every text.
fn canonical_plain(value: &serde_json::Value) -> String {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by_key(|k| (!matches!(k.as_str(), "ok" | "op"), k.as_str()));
            let fields: Vec<String> = keys
                .iter()
                .map(|k| {
                    format!(
                        "{}:{}",
                        Value::String((*k).clone()),
                        canonical_plain(&map[k.as_str()])
                    )
                })
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(canonical_plain).collect();
            format!("[{}]", items.join(","))
        }
        other => other.to_string(),
    }
}

/// Sends `()` on `changed` for every change in `folder`; `None` if the
/// kernel cannot watch it (the caller then takes one look and no more).
fn watch_folder(
    folder: &Path,
    changed: tokio::sync::mpsc::UnboundedSender<()>,
) -> Option<notify::RecommendedWatcher> {
    use notify::Watcher as _;
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        // Reading the files (to compare them) is an event too: only what
        // changes the folder counts, or each look would call the next.
        if event.is_ok_and(|e| !matches!(e.kind, notify::EventKind::Access(_))) {
            let _ = changed.send(());
        }
    })
    .ok()?;
    watcher
        .watch(folder, notify::RecursiveMode::NonRecursive)
        .ok()?;
    Some(watcher)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(size: u64) -> Content {
        let mut rng = fastrand::Rng::with_seed(7);
        let mut block = vec![0u8; BLOCK];
        rng.fill(&mut block);
        Content {
            label: "<arquivo-1>".to_owned(),
            size,
            block: Arc::new(block),
        }
    }

    #[test]
    fn each_64_kib_of_a_content_is_different() {
        let c = content(4 * BLOCK as u64);
        let all = c.bytes();
        let pieces: Vec<&[u8]> = all.chunks(BLOCK).collect();
        assert!(pieces.windows(2).all(|w| w[0] != w[1]));
        // Filling from any position gives the same bytes as the whole.
        let mut part = vec![0u8; 1000];
        c.fill(BLOCK as u64 - 10, &mut part);
        assert_eq!(part, all[BLOCK - 10..BLOCK + 990]);
    }

    #[test]
    fn json_is_shown_with_ok_first_and_no_reason() {
        let line = br#"{"tamanho":5,"ok":true}"#;
        assert_eq!(canonical_line(line), br#"{"ok":true,"tamanho":5}"#);
        let line = b"{\"erro\":\"nao\",\"ok\":false}\n";
        assert_eq!(
            canonical_line(line),
            b"{\"ok\":false,\"erro\":\"<motivo>\"}\n"
        );
        assert_eq!(canonical_line(b"nada\n"), b"nada\n");
        let sent = serde_json::json!({"tamanho": 3, "nome": "a", "op": "enviar"});
        assert_eq!(
            json_line(&sent),
            "{\"op\":\"enviar\",\"nome\":\"a\",\"tamanho\":3}\n"
        );
    }
}
