//! The `index.html` of a run's diagrams: every step that ran, in order, with
//! its title and its picture inline. No script, nothing fetched: it opens from
//! the disk in any browser.

use std::fmt::Write as _;

use super::svg::esc;
use super::{Conversation, Verdict};
use crate::check::Report;

/// The page for `pictures`: (file name, conversation, its SVG).
pub fn index(report: &Report, pictures: &[(&str, &Conversation, String)]) -> String {
    let lab = report.lab;
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"pt-BR\">\n<head>\n<meta charset=\"utf-8\">\n\
         <link rel=\"icon\" href=\"data:,\">\n\
         <title>Laboratório {num}: a conversa de cada passo</title>\n\
         <style>body{{font-family:system-ui,sans-serif;max-width:70em;margin:2em auto;padding:0 1em;\
         line-height:1.5;color:#111827}}section{{margin:2.5em 0}}h2{{margin-bottom:.2em}}\
         .passou{{color:#15803d}}.falhou{{color:#b91c1c}}code{{background:#f3f4f6;padding:0 .2em}}</style>\n\
         </head>\n<body>\n<h1>Laboratório {num} — {title}: a conversa de cada passo</h1>\n\
         <p>Avaliado: <code>{graded}</code>. Para repetir os mesmos dados sorteados, \
         acrescente <code>--seed {seed}</code> ao comando.</p>\n\
         <p>Cada coluna é um participante: à direita ou no meio, o seu programa; os outros \
         são papéis do corretor. Cada seta é uma linha da transcrição, de cima para baixo, \
         na ordem em que aconteceu: os bytes entre aspas, como no relatório (<code>\\n</code> \
         é a quebra de linha), <code>FIN</code> o fechamento normal, <code>RST</code> a \
         conexão derrubada. Num passo que falhou, a faixa vermelha mostra o que chegou e a \
         verde o que era esperado.</p>\n<ol>\n",
        num = lab.number,
        title = esc(lab.title),
        graded = esc(&report.graded),
        seed = report.seed,
    );
    for (file, conversation, _) in pictures {
        let _ = writeln!(
            html,
            "<li><a href=\"#{anchor}\">{heading}</a> {verdict}</li>",
            anchor = anchor(file),
            heading = esc(&conversation.heading),
            verdict = verdict(conversation),
        );
    }
    html.push_str("</ol>\n");
    for (file, conversation, svg) in pictures {
        let _ = write!(
            html,
            "<section id=\"{anchor}\">\n<h2>{heading} {verdict}</h2>\n<p>{title} \
             (<a href=\"{file}\">abrir só o SVG</a>)</p>\n{svg}</section>\n",
            anchor = anchor(file),
            heading = esc(&conversation.heading),
            verdict = verdict(conversation),
            title = esc(&conversation.title),
        );
    }
    let not_run = report.results.len() - pictures.len();
    if not_run > 0 {
        let _ = writeln!(
            html,
            "<p>{not_run} passo(s) não rodaram nesta execução (um passo anterior falhou, \
             ou <code>--step</code> parou antes): não há o que desenhar deles.</p>"
        );
    }
    html.push_str("</body>\n</html>\n");
    html
}

fn anchor(file: &str) -> String {
    format!("passo-{}", file.trim_end_matches(".svg"))
}

fn verdict(conversation: &Conversation) -> &'static str {
    match conversation.verdict {
        Verdict::Golden => "",
        Verdict::Passed => "<span class=\"passou\">✓ passou</span>",
        Verdict::Failed(_) => "<span class=\"falhou\">✗ falhou</span>",
    }
}
