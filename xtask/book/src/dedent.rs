//! A preprocessor that removes the common indentation of each fenced code block.
//! Anchored includes take lines from inside function bodies; without this, the
//! book would show them shifted four spaces to the right.

use mdbook_driver::book::{Book, BookItem};
use mdbook_driver::errors::Result;
use mdbook_preprocessor::{Preprocessor, PreprocessorContext};

pub struct Dedent;

impl Preprocessor for Dedent {
    fn name(&self) -> &str {
        "tomada-dedent"
    }

    fn run(&self, _ctx: &PreprocessorContext, mut book: Book) -> Result<Book> {
        book.for_each_mut(|item| {
            if let BookItem::Chapter(chapter) = item {
                chapter.content = dedent_code_blocks(&chapter.content);
            }
        });
        Ok(book)
    }
}

/// Dedents the body of every ``` fence; text outside fences is untouched.
pub fn dedent_code_blocks(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut block: Option<Vec<&str>> = None;
    for line in markdown.lines() {
        let is_fence = line.trim_start().starts_with("```");
        match (&mut block, is_fence) {
            (None, true) => {
                out.push_str(line);
                out.push('\n');
                block = Some(Vec::new());
            }
            (None, false) => {
                out.push_str(line);
                out.push('\n');
            }
            (Some(lines), false) => lines.push(line),
            (Some(lines), true) => {
                let indent = lines
                    .iter()
                    .filter(|l| !l.trim().is_empty())
                    .map(|l| l.len() - l.trim_start_matches(' ').len())
                    .min()
                    .unwrap_or(0);
                for body in lines.iter() {
                    out.push_str(body.get(indent..).unwrap_or("").trim_end());
                    out.push('\n');
                }
                out.push_str(line);
                out.push('\n');
                block = None;
            }
        }
    }
    // An unclosed fence: keep it as it was.
    if let Some(lines) = block {
        for body in lines {
            out.push_str(body);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only fenced code loses its common indentation; relative indentation stays.
    #[test]
    fn dedents_only_inside_fences() {
        let md = "texto\n    recuado\n```rust\n    let a = 1;\n        b();\n\n```\nfim\n";
        assert_eq!(
            dedent_code_blocks(md),
            "texto\n    recuado\n```rust\nlet a = 1;\n    b();\n\n```\nfim\n"
        );
    }
}
