//! Golden transcripts: every solution passes every step, and the transcript of
//! its run is the insta snapshot kept in its lab folder (`labs/NN-tema/transcricao.snap`),
//! the same file the grader reads at run time. Update with `cargo insta review`.

mod comum;

use xtask::catalog::LABS;
use xtask::session::{Options, Status};

/// Each solution's run, recorded, matches the golden transcript.
#[test]
fn transcricao_de_cada_solucao_confere_com_o_snapshot() {
    for lab in LABS {
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
    for lab in LABS {
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
