//! `cargo xtask watch`: grades the current lab again each time the learner saves
//! a file in it, and takes single keys, as in rustlings: `n` the next unfinished
//! lab (wrapping around), `h` hint, `r` run again, `l` list, `q` quit.
//!
//! File events come from the operating system (inotify and friends, via
//! `notify`). Where they do not arrive (WSL editing Windows files, network
//! drives) it falls back to polling, and says so.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

use colored::Colorize;
use notify::{EventKind, RecursiveMode, Watcher};

use crate::catalog::{Lab, Variant};
use crate::check::{Report, Target};
use crate::progress::{NextLab, Progress};
use crate::run::{self, Interrupted, Output};
use crate::session::{Options, Status};

enum Event {
    Key(char),
    Changed,
    /// The key source is gone (stdin closed, terminal error).
    Closed,
}

/// Puts the terminal in raw mode (single keys) while it lives.
struct RawMode(bool);

impl RawMode {
    fn on() -> RawMode {
        RawMode(crossterm::terminal::enable_raw_mode().is_ok())
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        if self.0 {
            let _ = crossterm::terminal::disable_raw_mode();
        }
    }
}

/// Polling interval when file events do not arrive.
const POLL_EVERY: Duration = Duration::from_secs(1);

/// Saving a file often means several events in a row (write, rename, chmod):
/// they are gathered into one run. This is about the editor, not the grader.
const SETTLE: Duration = Duration::from_millis(150);

pub fn watch(root: &Path, start: &'static Lab, force_poll: bool) -> Result<(), String> {
    let interactive = std::io::stdin().is_terminal();
    let (tx, rx) = mpsc::channel();
    spawn_key_reader(tx.clone(), interactive);
    let mut lab = start;
    let (mut watcher, polling) =
        make_watcher(tx, force_poll, &root.join(lab.crate_dir(Variant::Starter)))?;
    watch_dir(watcher.as_mut(), &crate_dir(root, lab))?;
    let mut last = grade(root, lab, interactive, polling)?;
    loop {
        let raw = interactive.then(RawMode::on);
        let event = rx.recv().unwrap_or(Event::Closed);
        drop(raw);
        match event {
            Event::Changed => {
                settle(&rx);
                last = grade(root, lab, interactive, polling)?;
            }
            Event::Key('r') => last = grade(root, lab, interactive, polling)?,
            Event::Key('h') => show_hint(root, lab, last.as_ref()),
            Event::Key('l') => {
                crate::learner::list(root);
                footer(lab, polling, last.as_ref());
            }
            Event::Key('n') => {
                let next = match Progress::load(root).next_after(lab) {
                    NextLab::Go(next) => next,
                    NextLab::OnlyThisOne => {
                        println!("\r\nOs outros laboratórios estão concluídos; falta só este.\r");
                        continue;
                    }
                    NextLab::AllDone => {
                        println!("\r\nParabéns: todos concluídos! Tecle q para sair.\r");
                        continue;
                    }
                };
                let _ = watcher.unwatch(&crate_dir(root, lab));
                lab = next;
                watch_dir(watcher.as_mut(), &crate_dir(root, lab))?;
                last = grade(root, lab, interactive, polling)?;
            }
            Event::Key('q') | Event::Key('\u{3}') | Event::Closed => break,
            Event::Key(_) => {}
        }
    }
    println!(
        "\r\nAté a próxima! Seu progresso fica guardado: `cargo xtask next` mostra onde parou.\r"
    );
    Ok(())
}

fn crate_dir(root: &Path, lab: &Lab) -> PathBuf {
    root.join(lab.crate_dir(Variant::Starter))
}

fn spawn_key_reader(tx: Sender<Event>, interactive: bool) {
    std::thread::spawn(move || {
        if interactive {
            use crossterm::event::{self, Event as TermEvent, KeyCode, KeyEventKind, KeyModifiers};
            loop {
                let key = match event::read() {
                    Ok(TermEvent::Key(key)) if key.kind == KeyEventKind::Press => key,
                    Ok(_) => continue,
                    Err(_) => break,
                };
                let c = match key.code {
                    KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => '\u{3}',
                    KeyCode::Char(c) => c.to_ascii_lowercase(),
                    KeyCode::Esc => 'q',
                    _ => continue,
                };
                if tx.send(Event::Key(c)).is_err() {
                    return;
                }
            }
        } else {
            // Without a terminal (a script, a test), each line's first letter is a key.
            for line in std::io::stdin().lock().lines() {
                let Ok(line) = line else { break };
                if let Some(c) = line.trim().chars().next()
                    && tx.send(Event::Key(c.to_ascii_lowercase())).is_err()
                {
                    return;
                }
            }
        }
        let _ = tx.send(Event::Closed);
    });
}

/// File events where they work; polling where they are known not to arrive.
fn make_watcher(
    tx: Sender<Event>,
    force_poll: bool,
    dir: &Path,
) -> Result<(Box<dyn Watcher>, bool), String> {
    let handler = move |result: notify::Result<notify::Event>| {
        let Ok(event) = result else { return };
        let relevant = matches!(
            event.kind,
            EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_)
        ) && event.paths.iter().any(|p| {
            !p.components().any(|c| c.as_os_str() == "target")
                && p.extension().is_some_and(|e| e == "rs" || e == "toml")
        });
        if relevant {
            let _ = tx.send(Event::Changed);
        }
    };
    let why_poll = if force_poll {
        Some("você pediu --poll")
    } else if on_wsl_windows_drive(dir) {
        Some("no WSL, mudanças em arquivos do Windows (/mnt/...) não geram eventos")
    } else {
        None
    };
    if why_poll.is_none() {
        match notify::recommended_watcher(handler.clone()) {
            Ok(watcher) => return Ok((Box::new(watcher), false)),
            Err(e) => eprintln!("Os eventos de arquivo não funcionam aqui ({e}).",),
        }
    }
    if let Some(why) = why_poll {
        println!("Observando por verificação periódica ({why}).");
    }
    println!("Verificando mudanças a cada {} s.", POLL_EVERY.as_secs());
    let config = notify::Config::default().with_poll_interval(POLL_EVERY);
    notify::PollWatcher::new(handler, config)
        .map(|w| (Box::new(w) as Box<dyn Watcher>, true))
        .map_err(|e| format!("não consegui observar os arquivos: {e}"))
}

fn on_wsl_windows_drive(dir: &Path) -> bool {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    release.to_lowercase().contains("microsoft") && dir.starts_with("/mnt/")
}

fn watch_dir(watcher: &mut dyn Watcher, dir: &Path) -> Result<(), String> {
    watcher
        .watch(dir, RecursiveMode::Recursive)
        .map_err(|e| format!("não consegui observar {}: {e}", dir.display()))
}

/// Gathers the burst of events one save produces.
fn settle(rx: &Receiver<Event>) {
    loop {
        match rx.recv_timeout(SETTLE) {
            Ok(Event::Changed) => continue,
            Ok(_) | Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

fn grade(
    root: &Path,
    lab: &'static Lab,
    interactive: bool,
    polling: bool,
) -> Result<Option<Report>, String> {
    if interactive {
        let _ = crossterm::execute!(
            std::io::stdout(),
            crossterm::terminal::Clear(crossterm::terminal::ClearType::All),
            crossterm::cursor::MoveTo(0, 0)
        );
    } else {
        println!("\n──────────────── nova avaliação ────────────────");
    }
    let target = Target::of(Variant::Starter);
    let report = match run::grade_and_print(root, lab, &target, Options::default(), Output::Human) {
        Ok(report) => Some(report),
        Err(Interrupted::CtrlC) => return Err("interrompido".to_owned()),
        Err(Interrupted::Error(why)) => {
            eprintln!("{} {why}", "Erro:".red().bold());
            None
        }
    };
    footer(lab, polling, report.as_ref());
    Ok(report)
}

fn footer(lab: &Lab, polling: bool, last: Option<&Report>) {
    println!();
    if last.is_some_and(Report::passed_completely) {
        println!(
            "{}",
            "✓ Laboratório concluído! Tecle n para ir ao próximo."
                .green()
                .bold()
        );
    }
    let how = if polling {
        " (verificando a cada 1 s)"
    } else {
        ""
    };
    println!(
        "Observando {}{how}: salve um arquivo para avaliar de novo.",
        lab.crate_dir(Variant::Starter).display()
    );
    println!(
        "{}",
        "n próximo · h dica · r rodar de novo · l lista · q sair".dimmed()
    );
    let _ = std::io::stdout().flush();
}

fn show_hint(root: &Path, lab: &Lab, last: Option<&Report>) {
    let failed = last.and_then(|r| r.results.iter().find(|s| s.status == Status::Failed));
    let step = failed.map(|r| r.step.id);
    println!();
    if let Err(why) = crate::learner::hint(root, lab, step) {
        eprintln!("{why}");
    }
    let _ = std::io::stdout().flush();
}
