//! `{{#diagrama 02-echo meia-conexao}}`: the sequence diagram of one step's
//! golden conversation, drawn at build time from `labs/NN-*/transcricao.snap`
//! by the grader's own renderer (`xtask::diagram`), and put inline in the page.
//!
//! Inline rather than as a generated file beside the page: the picture is
//! then part of the chapter's HTML (searchable, printable in `print.html`,
//! checked by the browser test) and there is no path to keep right. A
//! directive naming a lab or a step that does not exist fails the build, with
//! every such directive listed.

use std::path::PathBuf;

use mdbook_driver::book::{Book, BookItem};
use mdbook_driver::errors::{Error, Result};
use mdbook_preprocessor::{Preprocessor, PreprocessorContext};
use xtask::diagram::{Conversation, render};

pub struct Diagrama {
    /// The workbook's root, where `labs/` is.
    pub root: PathBuf,
}

const OPEN: &str = "{{#diagrama ";

impl Preprocessor for Diagrama {
    fn name(&self) -> &str {
        "tomada-diagrama"
    }

    fn run(&self, _ctx: &PreprocessorContext, mut book: Book) -> Result<Book> {
        let mut problems = Vec::new();
        book.for_each_mut(|item| {
            if let BookItem::Chapter(chapter) = item {
                let page = chapter
                    .source_path
                    .as_ref()
                    .map_or(chapter.name.clone(), |p| p.display().to_string());
                match expand(&self.root, &chapter.content) {
                    Ok(content) => chapter.content = content,
                    Err(found) => {
                        problems.extend(found.into_iter().map(|p| format!("{page}: {p}")))
                    }
                }
            }
        });
        if problems.is_empty() {
            Ok(book)
        } else {
            Err(Error::msg(format!(
                "diagrama(s) que não consegui desenhar:\n    {}",
                problems.join("\n    ")
            )))
        }
    }
}

/// Replaces every directive in `markdown` by its figure, or lists what is wrong.
pub fn expand(root: &std::path::Path, markdown: &str) -> std::result::Result<String, Vec<String>> {
    let mut out = String::with_capacity(markdown.len());
    let mut problems = Vec::new();
    let mut rest = markdown;
    while let Some(start) = rest.find(OPEN) {
        out.push_str(&rest[..start]);
        let after = &rest[start + OPEN.len()..];
        let Some(end) = after.find("}}") else {
            problems.push("um {{#diagrama sem o }} que o fecha".to_owned());
            break;
        };
        match figure(root, &after[..end]) {
            Ok(html) => out.push_str(&html),
            Err(why) => problems.push(why),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// The `<figure>` for `spec` (`02-echo meia-conexao`). It has no blank line,
/// so Markdown keeps it as one HTML block.
fn figure(root: &std::path::Path, spec: &str) -> std::result::Result<String, String> {
    let words: Vec<&str> = spec.split_whitespace().collect();
    let [lab, step] = words[..] else {
        return Err(format!(
            "{{{{#diagrama {spec}}}}}: escreva o laboratório e o passo, como em \
             {{{{#diagrama 02-echo meia-conexao}}}}"
        ));
    };
    let Some(found) = xtask::catalog::find(lab) else {
        let known: Vec<_> = xtask::catalog::LABS.iter().map(|l| l.dir).collect();
        return Err(format!(
            "{{{{#diagrama {spec}}}}}: não existe o laboratório {lab:?} (são: {})",
            known.join(", ")
        ));
    };
    let conversation = Conversation::golden(root, found, step)
        .map_err(|why| format!("{{{{#diagrama {spec}}}}}: {why}"))?;
    let svg = render(&conversation);
    Ok(format!(
        "<figure class=\"diagrama-transcricao\" style=\"margin:1em 0\">\n{}<figcaption>A conversa do passo <code>{step}</code> \
         do laboratório {num}, desenhada da transcrição de referência \
         (<code>labs/{dir}/transcricao.snap</code>) pelo mesmo código de \
         <code>cargo xtask check {num} --diagrama</code>.</figcaption>\n</figure>",
        svg,
        num = found.number,
        dir = found.dir,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    /// A directive becomes an inline SVG with no blank line inside; the text
    /// around it stays as it was.
    #[test]
    fn expands_into_one_html_block() {
        let md = "antes\n\n{{#diagrama 02-echo uma-linha}}\n\ndepois\n";
        let out = expand(&root(), md).expect("o diagrama existe");
        assert!(out.starts_with("antes\n\n<figure"), "{out}");
        assert!(out.ends_with("</figure>\n\ndepois\n"), "{out}");
        let figure = &out[out.find("<figure").unwrap()..out.find("</figure>").unwrap()];
        assert!(figure.contains("<svg"));
        assert!(
            !figure.contains("\n\n"),
            "linha em branco quebraria o bloco HTML"
        );
    }

    /// A missing lab, a missing step, a malformed directive: each named.
    #[test]
    fn names_what_is_missing() {
        let md =
            "{{#diagrama 09-nada x}}\n{{#diagrama 02-echo nao-existe}}\n{{#diagrama 02-echo}}\n";
        let problems = expand(&root(), md).unwrap_err();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("não existe o laboratório \"09-nada\""));
        assert!(problems[1].contains("não tem o passo \"nao-existe\""));
        assert!(problems[2].contains("escreva o laboratório e o passo"));
    }
}
