mod comum;
use xtask::session::Options;
#[test]
fn grava_07() {
    let lab = comum::lab("07");
    let opts = Options {
        record: true,
        ..comum::options(5000)
    };
    let t = std::time::Instant::now();
    let (report, _) = comum::grade(lab, &comum::solution(), opts);
    eprintln!("tempo: {:?}", t.elapsed());
    for r in &report.results {
        eprintln!("{} {:?} {:?}", r.step.id, r.status, r.elapsed);
    }
    std::fs::write("/tmp/transcricao07.txt", &report.transcript).unwrap();
    eprintln!(
        "{}",
        comum::describe(&report)
            .chars()
            .take(3000)
            .collect::<String>()
    );
}
