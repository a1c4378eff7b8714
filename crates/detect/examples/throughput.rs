//! Free-text scan throughput of both detection modes on the evaluation corpora's text, repeated
//! to a few megabytes: `cargo run --release -p pubdata-detect --example throughput [MODE]`.

use pubdata_detect::eval::parse_corpus;
use pubdata_detect::{DetectMode, Detector};
use std::time::Instant;

fn main() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../eval/redaction/");
    let mut texts = Vec::new();
    for name in ["dev.txt", "test.txt"] {
        let raw = std::fs::read_to_string(format!("{root}{name}")).expect("corpus");
        texts.extend(
            parse_corpus(&raw)
                .expect("corpus")
                .into_iter()
                .map(|r| r.text),
        );
    }
    let bytes: usize = texts.iter().map(String::len).sum();
    let rounds = (8 << 20) / bytes + 1;
    let d = Detector::new();
    let mut out = Vec::new();
    let only = std::env::args().nth(1);
    for mode in [DetectMode::Classification, DetectMode::Redaction] {
        if only
            .as_ref()
            .is_some_and(|o| !format!("{mode:?}").eq_ignore_ascii_case(o))
        {
            continue;
        }
        let mut best = f64::MAX;
        for _ in 0..5 {
            let t = Instant::now();
            let mut spans = 0;
            for _ in 0..rounds {
                for text in &texts {
                    d.find_spans_mode_into(text, mode, &mut out);
                    spans += out.len();
                }
            }
            best = best.min(t.elapsed().as_secs_f64());
            std::hint::black_box(spans);
        }
        let mb = (bytes * rounds) as f64 / 1e6;
        println!(
            "{mode:?}: {:.1} MB in {best:.3} s = {:.1} MB/s (best of 5, one core)",
            mb,
            mb / best
        );
    }
}
