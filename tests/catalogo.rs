//! The workbook's invariants, as ordinary tests (rustlings' `dev check`): the
//! catalogue, the lab folders, the snapshots and the book agree with each other.

mod comum;

use std::path::Path;

use xtask::catalog::{LABS, Variant};
use xtask::check;

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn rust_files(dir: &Path) -> Vec<std::path::PathBuf> {
    xtask::files::under(dir, Some("rs"))
}

/// Every lab folder is in the catalogue and every catalogued lab has its folder.
#[test]
fn pastas_e_catalogo_coincidem() {
    let root = comum::root();
    let mut folders: Vec<String> = std::fs::read_dir(root.join("labs"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    let mut listed: Vec<String> = LABS.iter().map(|l| l.dir.to_owned()).collect();
    listed.sort();
    assert_eq!(folders, listed);
    for (i, lab) in LABS.iter().enumerate() {
        assert_eq!(
            lab.number,
            format!("{:02}", i + 1),
            "numeração fora de ordem"
        );
        assert!(lab.dir.starts_with(&format!("{}-", lab.number)));
    }
}

/// Each lab has a starter and a solution, each with `servidor` and `cliente`.
#[test]
fn cada_laboratorio_tem_inicio_e_solucao_com_dois_binarios() {
    let root = comum::root();
    for lab in LABS {
        for variant in [Variant::Starter, Variant::Solution] {
            let dir = root.join(lab.crate_dir(variant));
            let manifest = read(&dir.join("Cargo.toml"));
            assert!(manifest.contains(&format!("name = \"{}\"", lab.package(variant))));
            for bin in ["servidor", "cliente"] {
                assert!(
                    manifest.contains(&format!("name = \"{bin}\"")),
                    "{} sem o binário {bin}",
                    dir.display()
                );
                assert!(dir.join("src/bin").join(format!("{bin}.rs")).exists());
            }
        }
    }
}

/// Starters carry `// TODO` for the learner; solutions carry none and no `todo!()`.
#[test]
fn inicio_tem_todo_e_solucao_nao() {
    let root = comum::root();
    for lab in LABS {
        let starter: String = rust_files(&root.join(lab.crate_dir(Variant::Starter)).join("src"))
            .iter()
            .map(|f| read(f))
            .collect();
        assert!(starter.contains("// TODO"), "{} sem TODO", lab.dir);
        for file in rust_files(&root.join(lab.crate_dir(Variant::Solution)).join("src")) {
            let text = read(&file);
            assert!(
                !text.contains("TODO") && !text.contains("todo!("),
                "{} tem TODO",
                file.display()
            );
        }
    }
}

/// Each golden transcript has exactly the catalogue's steps, in order.
#[test]
fn transcricoes_tem_os_passos_do_catalogo() {
    let root = comum::root();
    for lab in LABS {
        check::load_expected(&root, lab).unwrap_or_else(|e| panic!("{e}"));
        let text = read(&root.join(lab.snapshot_path()));
        let sections: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("## ")).collect();
        let steps: Vec<&str> = lab.steps.iter().map(|s| s.id).collect();
        assert_eq!(sections, steps, "{}", lab.dir);
    }
}

/// Step ids are unique, and every hint and title is written (in pt-BR, by hand).
#[test]
fn passos_tem_ids_unicos_e_textos() {
    for lab in LABS {
        let mut ids: Vec<_> = lab.steps.iter().map(|s| s.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), lab.steps.len(), "ids repetidos em {}", lab.dir);
        for step in lab.steps {
            assert!(
                step.title.len() > 10 && step.hint.len() > 20,
                "{}: textos curtos",
                step.id
            );
            assert!(
                step.book.contains(".md#"),
                "{}: referência ao livro sem seção",
                step.id
            );
        }
    }
}

/// Every chapter a lab names is in the book's summary and mentions its folder.
#[test]
fn capitulos_dos_laboratorios_estao_no_sumario() {
    let root = comum::root();
    let summary = read(&root.join("book/src/SUMMARY.md"));
    for lab in LABS {
        for chapter in lab.chapters {
            assert!(
                summary.contains(&format!("({chapter})")),
                "{chapter} fora do SUMMARY.md"
            );
            let text = read(&root.join("book/src").join(chapter));
            assert!(text.contains(lab.dir), "{chapter} não menciona {}", lab.dir);
            assert!(text.contains(&format!("cargo xtask check {}", lab.number)));
        }
    }
}

/// Book code comes from the solutions: no multi-line Rust pasted into a page.
#[test]
fn codigo_do_livro_vem_das_solucoes() {
    let root = comum::root();
    for page in std::fs::read_dir(root.join("book/src")).unwrap().flatten() {
        let mut pages = vec![page.path()];
        if page.path().is_dir() {
            pages = std::fs::read_dir(page.path())
                .unwrap()
                .flatten()
                .map(|e| e.path())
                .collect();
        }
        for page in pages
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "md"))
        {
            let text = read(&page);
            let mut in_rust = false;
            let mut body = Vec::new();
            for line in text.lines() {
                if line.starts_with("```rust") {
                    in_rust = true;
                    body.clear();
                } else if in_rust && line.starts_with("```") {
                    in_rust = false;
                    let pasted = body
                        .iter()
                        .filter(|l: &&&str| !l.trim().is_empty() && !l.contains("{{#include"))
                        .count();
                    assert!(
                        pasted <= 1,
                        "{}: bloco de Rust colado em vez de incluído: {body:?}",
                        page.display()
                    );
                } else if in_rust {
                    body.push(line);
                }
            }
        }
    }
}

/// Every failure code the grader can print has its section in `codigos.md`,
/// with the anchor the code's name gives (`E-ECO-FRAGMENTADO` → `#e-eco-fragmentado`).
#[test]
fn cada_codigo_de_falha_tem_explicacao_no_livro() {
    let root = comum::root();
    let chapter = read(&root.join("book/src/codigos.md"));
    let mut codes = Vec::new();
    for file in rust_files(&root.join("xtask/src")) {
        let text = read(&file);
        for piece in text.split("\"E-").skip(1) {
            let code: String = piece
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '-')
                .collect();
            if piece[code.len()..].starts_with('"') && !code.is_empty() {
                codes.push(format!("E-{code}"));
            }
        }
    }
    codes.sort();
    codes.dedup();
    assert!(codes.len() >= 15, "poucos códigos encontrados: {codes:?}");
    for code in codes {
        let heading = format!("### {code} {{#{}}}", code.to_lowercase());
        assert!(
            chapter.contains(&heading),
            "falta a seção `{heading}` em book/src/codigos.md"
        );
    }
}

/// What a starter receives ready-made (lab 03's `protocolo.rs`) is the solution's
/// own file without its book anchors: one source, checked, not two that drift.
#[test]
fn partes_prontas_do_inicio_sao_as_da_solucao() {
    let root = comum::root();
    for lab in ["03-chat", "05-chat-async", "07-arquivos"] {
        let solution = read(&root.join(format!("labs/{lab}/solucao/src/protocolo.rs")));
        let without_anchors: String = solution
            .lines()
            .filter(|l| !l.contains("// ANCHOR"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(
            read(&root.join(format!("labs/{lab}/inicio/src/protocolo.rs"))),
            without_anchors,
            "labs/{lab}: o protocolo.rs do início deve ser o da solução"
        );
    }
}
