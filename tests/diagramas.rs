//! The conversation diagrams: every golden step of every lab renders as
//! well-formed SVG that carries the step's messages, and `check --diagrama`
//! draws a real run, passing and failing, with the failure marked.

mod comum;

use std::path::Path;

use xtask::catalog::LABS;
use xtask::diagram::{Conversation, render};

/// All the text an SVG shows, in document order, without any whitespace: a
/// label wrapped over two lines still reads as one.
fn shown_text(svg: &str) -> String {
    let doc =
        roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("SVG malformado ({e}):\n{svg}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );
    root.descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect::<String>()
        .split_whitespace()
        .collect()
}

fn squeezed(text: &str) -> String {
    text.split_whitespace().collect()
}

/// What of a transcript line the picture must show: the quoted bytes of a
/// line that carries them (their start, when long enough to be abbreviated),
/// or the line's words after `[actor] `.
fn message_of(line: &str) -> String {
    let text = line.split_once("] ").map_or(line, |(_, text)| text);
    match (text.find('"'), text.rfind('"')) {
        (Some(start), Some(end)) if end > start => {
            let payload: String = text[start..=end].chars().take(60).collect();
            payload
        }
        _ => text.to_owned(),
    }
}

/// Every step of every lab, drawn from its golden transcript: the SVG parses
/// as XML and shows each of the step's messages and the step's title.
#[test]
fn cada_passo_de_referencia_vira_um_svg_bem_formado() {
    let root = comum::root();
    let mut drawn = 0;
    for lab in LABS {
        for step in lab.steps {
            let conversation = Conversation::golden(&root, lab, step.id)
                .unwrap_or_else(|e| panic!("{} {}: {e}", lab.dir, step.id));
            assert!(!conversation.lines.is_empty(), "{} {}", lab.dir, step.id);
            let svg = render(&conversation);
            assert!(
                !svg.contains("\n\n"),
                "uma linha em branco quebraria o SVG dentro do Markdown"
            );
            let text = shown_text(&svg);
            assert!(text.contains(&squeezed(step.title)), "{}: título", step.id);
            for line in &conversation.lines {
                let message = squeezed(&message_of(line));
                assert!(
                    text.contains(&message),
                    "{} {}: falta {message:?} no desenho\n{svg}",
                    lab.dir,
                    step.id
                );
            }
            drawn += 1;
        }
    }
    assert!(drawn >= 50, "só {drawn} passos desenhados");
}

/// A step the catalogue does not have is refused with its name and the list.
#[test]
fn passo_inexistente_e_recusado() {
    let lab = comum::lab("02");
    let error = Conversation::golden(&comum::root(), lab, "nao-existe").unwrap_err();
    assert!(
        error.contains("\"nao-existe\"") && error.contains("uma-linha"),
        "{error}"
    );
}

fn svgs_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".svg"))
        .collect();
    names.sort();
    names
}

/// `check 02 --diagrama=PASTA` on the solution draws all twelve steps, passed;
/// then, on a server that answers without "Echo: ", draws the one step that
/// ran, marks what came and what was expected, and the earlier run's
/// pictures are gone from the folder.
#[test]
fn check_02_desenha_o_passo_que_passa_e_o_que_falha() {
    let out = std::env::temp_dir().join(format!("tomada-diagramas-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let flag = format!("--diagrama={}", out.display());
    let dir = out.join("02-echo");

    let passing = comum::xtask()
        .args(["check", "02", "--solution", "--seed", "7", &flag])
        .output()
        .expect("xtask");
    let stdout = String::from_utf8_lossy(&passing.stdout);
    assert_eq!(passing.status.code(), Some(0), "{stdout}");
    let index = dir.join("index.html");
    assert!(
        stdout.contains(&format!("Diagramas da conversa: {}", index.display())),
        "{stdout}"
    );
    let svgs = svgs_in(&dir);
    assert_eq!(svgs.len(), 12, "{svgs:?}");
    assert_eq!(svgs[0], "01-uma-linha.svg");
    for name in &svgs {
        let text = shown_text(&std::fs::read_to_string(dir.join(name)).unwrap());
        assert!(text.contains("✓passou"), "{name}");
        assert!(
            !text.contains("✗"),
            "{name}: marca de falha num passo que passou"
        );
    }
    let html = std::fs::read_to_string(&index).unwrap();
    assert_eq!(html.matches("<svg").count(), 12);
    assert_eq!(html.matches("✓ passou</span></h2>").count(), 12);
    assert!(
        !html.contains("<script"),
        "o index.html não deve ter script"
    );

    let failing = comum::xtask()
        .current_dir(comum::root().join("tests/fixtures/02-echo"))
        .args([
            "check",
            "02",
            "--server-cmd",
            "python3 eco.py sem-prefixo",
            "--seed",
            "7",
            &flag,
        ])
        .output()
        .expect("xtask");
    let stdout = String::from_utf8_lossy(&failing.stdout);
    assert_eq!(failing.status.code(), Some(1), "{stdout}");
    // Only the step that ran is drawn; the passing run's pictures are gone.
    assert_eq!(svgs_in(&dir), vec!["01-uma-linha.svg"]);
    let svg = std::fs::read_to_string(dir.join("01-uma-linha.svg")).unwrap();
    let text = shown_text(&svg);
    for wanted in [
        "✗falhou",
        "✗recebido",
        "esperado",
        "E-BYTES-DIFERENTES",
        // What came, and what the golden transcript has there.
        "\"olá<aleatorio-1>\\n\"",
        "\"Echo:olá<aleatorio-1>\\n\"",
    ] {
        assert!(text.contains(wanted), "falta {wanted:?} em\n{svg}");
    }
    let html = std::fs::read_to_string(&index).unwrap();
    assert!(html.contains("✗ falhou"), "{html}");
    assert_eq!(html.matches("<svg").count(), 1);
    let _ = std::fs::remove_dir_all(&out);
}
