//! The grader grades the checkout it is run from, never the folder it was built in.
//!
//! A learner or a teacher copies or moves a workbook together with its `target/`:
//! cargo then sees nothing to rebuild, and a path baked into the binary would
//! grade (and write progress into) the old folder.

mod comum;

use std::path::Path;

/// The already-built grader, run inside an edited copy, grades the copy's code
/// and says so with the copy's absolute path.
#[test]
fn copia_movida_e_avaliada_onde_esta() {
    let mut built = comum::xtask(); // built here, in the original folder
    let copy = comum::workbook_copy("copia");
    // The copy's starter becomes the finished lab; the original's stays a starter.
    for bin in ["servidor", "cliente"] {
        let from = copy.join(format!("labs/01-basico/solucao/src/bin/{bin}.rs"));
        let to = copy.join(format!("labs/01-basico/inicio/src/bin/{bin}.rs"));
        let code = std::fs::read_to_string(from).unwrap();
        std::fs::write(to, code.replace("basico_solucao", "basico_inicio")).unwrap();
    }
    let inside = copy.join("labs").join("01-basico"); // anywhere inside the copy
    let output = built
        .current_dir(&inside)
        .env_remove("TOMADA_RAIZ")
        .args(["check", "01"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let graded = copy.join("labs/01-basico/inicio");
    assert!(
        stdout.contains(&format!("Avaliando {}", graded.display())),
        "o cabeçalho não mostra a pasta da cópia:\n{stdout}\n{stderr}"
    );
    assert!(
        output.status.success(),
        "a cópia editada deveria passar:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("7 de 7"), "{stdout}");
    // The progress is the copy's, not the original's.
    assert!(copy.join(".tomada/progresso.json").is_file(), "{stdout}");
    let _ = std::fs::remove_dir_all(&copy);
}

/// Outside any workbook, the grader says where it looked, in pt-BR.
#[test]
fn fora_da_apostila_explica() {
    let outside = std::env::temp_dir().join(format!("tomada-fora-{}", std::process::id()));
    std::fs::create_dir_all(&outside).unwrap();
    let output = comum::xtask()
        .current_dir(&outside)
        .env_remove("TOMADA_RAIZ")
        .args(["check", "01"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("não encontrei a apostila a partir de")
            && stderr.contains(&outside.display().to_string()),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(Path::new(&outside));
}
