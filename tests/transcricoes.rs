//! Golden transcripts: every solution passes every step, and the transcript of
//! its run is the insta snapshot kept in its lab folder (`labs/NN-tema/transcricao.snap`),
//! the same file the grader reads at run time. Update with `cargo insta review`.

mod comum;

use xtask::catalog::{LABS, Lab};
use xtask::session::{Options, Status};

/// The labs to run: all, or only those `TOMADA_LAB` names (`08`, or `07,08`),
/// to regenerate one lab's snapshot without running every lab.
fn labs() -> impl Iterator<Item = &'static Lab> {
    let only = std::env::var("TOMADA_LAB").unwrap_or_default();
    LABS.iter()
        .filter(move |lab| only.is_empty() || only.split(',').any(|n| n.trim() == lab.number))
}

/// Each solution's run, recorded, matches the golden transcript.
#[test]
fn transcricao_de_cada_solucao_confere_com_o_snapshot() {
    for lab in labs() {
        let opts = Options {
            record: true,
            ..comum::options(5000)
        };
        let (report, _) = comum::grade(lab, &comum::solution(), opts);
        assert!(
            report.build_failure.is_none(),
            "{}",
            comum::describe(&report)
        );
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(comum::root().join("labs").join(lab.dir));
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.bind(|| {
            insta::assert_snapshot!("transcricao", report.transcript);
        });
    }
}

/// Graded against the golden transcript, each solution passes every step.
#[test]
fn cada_solucao_passa_em_todos_os_passos() {
    for lab in labs() {
        let (report, seen) = comum::grade(lab, &comum::solution(), comum::options(5000));
        assert!(report.passed(), "{}", comum::describe(&report));
        assert!(
            report.results.iter().all(|r| r.status == Status::Passed),
            "{}",
            comum::describe(&report)
        );
        let ids: Vec<_> = lab.steps.iter().map(|s| s.id.to_owned()).collect();
        assert_eq!(seen, ids, "os passos rodaram fora de ordem");
    }
}
