//! Every starter compiles and fails its first step with the grader's normal
//! report: a diagnosis, no hang, no panic.

mod comum;

use std::time::{Duration, Instant};

use xtask::catalog::{LABS, Variant};
use xtask::check::Target;
use xtask::session::Status;

/// The starter builds, fails step 1 with a diagnosis, and the run is bounded.
#[test]
fn cada_ponto_de_partida_compila_e_falha_no_passo_1() {
    for lab in LABS {
        let started = Instant::now();
        let (report, _) = comum::grade(lab, &Target::of(Variant::Starter), comum::options(3000));
        assert!(
            report.build_failure.is_none(),
            "{}",
            comum::describe(&report)
        );
        let first = &report.results[0];
        assert_eq!(first.status, Status::Failed, "{}", comum::describe(&report));
        assert!(
            !first.notes.is_empty(),
            "a falha do passo 1 não explica nada"
        );
        assert!(
            report.results[1..]
                .iter()
                .all(|r| r.status == Status::NotRun)
        );
        assert!(!report.passed());
        // Generous bound: a build plus one failed step, never a hang.
        assert!(started.elapsed() < Duration::from_secs(120));
    }
}
