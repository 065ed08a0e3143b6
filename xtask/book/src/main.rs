//! `cargo xtask book`: builds the book with mdbook (as a library) into `book/html`
//! and fails on what a reader would trip over: a broken `{{#include}}`, a dead
//! link or anchor, a grader hint pointing at a section that does not exist, a lab
//! chapter that does not link to its lab, a mermaid diagram pasted into a page or
//! left out of every page, a `{{#diagrama}}` naming a step that does not exist.
//!
//! This is a crate of its own so that `cargo xtask check` never compiles mdbook.

mod conversa;
mod dedent;
mod diagramas;
mod includes;
mod lab_pages;
mod links;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use mdbook_driver::MDBook;

fn main() -> ExitCode {
    let book_dir = match std::env::args_os().nth(1).map(PathBuf::from) {
        Some(dir) => dir,
        None => match xtask::check::workbook_root() {
            Ok(root) => root.join("book"),
            Err(why) => {
                eprintln!("Erro: {why}");
                return ExitCode::from(2);
            }
        },
    };
    match build(&book_dir) {
        Ok(out) => {
            println!("Livro gerado em {}", out.join("index.html").display());
            ExitCode::SUCCESS
        }
        Err(problems) => {
            eprintln!("O livro tem {} problema(s):", problems.len());
            for problem in problems {
                eprintln!("  - {problem}");
            }
            ExitCode::FAILURE
        }
    }
}

/// Builds and checks the book; returns the output folder or every problem found.
pub fn build(book_dir: &Path) -> Result<PathBuf, Vec<String>> {
    let root = book_dir.parent().unwrap_or(Path::new(".")).to_path_buf();
    let src = book_dir.join("src");

    let mut problems = includes::check(&src);
    problems.extend(diagramas::check(&src));
    if !problems.is_empty() {
        return Err(problems);
    }

    let mut book =
        MDBook::load(book_dir).map_err(|e| vec![format!("mdbook não carregou o livro: {e:#}")])?;
    book.with_preprocessor(dedent::Dedent);
    // Registered after mdbook's own `links`, so it runs after every `{{#include}}` has
    // put the diagram's text inside its ```mermaid fence; it turns the fence into the
    // `<pre class="mermaid">` that book/mermaid/iniciar-mermaid.js draws.
    book.with_preprocessor(mdbook_mermaid::Mermaid);
    // `{{#diagrama LAB PASSO}}`: the golden conversation of a step, drawn as SVG.
    book.with_preprocessor(conversa::Diagrama { root: root.clone() });
    book.build()
        .map_err(|e| vec![format!("mdbook não gerou o livro: {e:#}")])?;
    let out = book.build_dir_for("html");

    lab_pages::write(&root, &out).map_err(|e| {
        vec![format!(
            "não consegui gerar as páginas dos laboratórios: {e}"
        )]
    })?;

    let mut problems = links::check(&out);
    problems.extend(links::check_catalog(&out));
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}
