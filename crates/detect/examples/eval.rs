//! Scores the recognizers on a marked corpus and lists what they missed:
//! `cargo run -p pubdata-detect --example eval -- eval/redaction/dev.txt [classification]`.

use pubdata_detect::eval::{Score, parse_corpus};
use pubdata_detect::{DetectMode, Detector};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: eval CORPUS [classification]");
        std::process::exit(2);
    };
    let mode = match args.next().as_deref() {
        Some("classification") => DetectMode::Classification,
        _ => DetectMode::Redaction,
    };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(1)
    });
    let records = parse_corpus(&text).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(1)
    });
    let d = Detector::new();
    let score = Score::of(&records, |t| d.find_spans_mode(t, mode));
    for m in &score.missed {
        println!("MISS {:>4} {:<18} {}", m.line, m.kind.name(), m.context);
    }
    for m in &score.false_alarms {
        println!("FA   {:>4} {:<18} {}", m.line, m.kind.name(), m.context);
    }
    println!(
        "{:<18} {:>5} {:>7} {:>7} {:>7} {:>6} {:>7}",
        "type", "gold", "recall", "typed", "exact", "pred", "prec"
    );
    for (k, t) in &score.types {
        println!(
            "{:<18} {:>5} {:>7.3} {:>7.3} {:>7.3} {:>6} {:>7.3}",
            k.name(),
            t.gold,
            t.recall(),
            t.typed as f64 / t.gold.max(1) as f64,
            t.exact as f64 / t.gold.max(1) as f64,
            t.predicted,
            t.precision()
        );
    }
    let t = score.total();
    println!(
        "{:<18} {:>5} {:>7.3} {:>7} {:>7} {:>6} {:>7.3}",
        "all",
        t.gold,
        t.recall(),
        "",
        "",
        t.predicted,
        t.precision()
    );
}
