//! `pubdata arx-check`: runs a file of expected optima (ARX's test format) and prints pass or
//! fail per case, so that new cases need no code.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use pubdata_anonymity::arx_cases::{Case, Dataset, run as run_case};
use serde::Serialize;

/// Arguments of `pubdata arx-check`.
#[derive(Args)]
pub struct ArxCheckArgs {
    /// The cases, a JSON list in the format of `../shared/data/arx/cases.json`.
    #[arg(long)]
    cases: PathBuf,
    /// Folder with `<dataset>.csv` (`;`-separated) and `<dataset>_hierarchy_<attribute>.csv`.
    #[arg(long)]
    data: PathBuf,
    /// Print one JSON object instead of lines.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct CaseLine {
    id: String,
    pass: bool,
    transformation: Option<Vec<usize>>,
    loss: Option<f64>,
    detail: String,
    checks: u64,
    seconds: f64,
}

/// Runs every case; fails when any case fails.
pub fn run(args: ArxCheckArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.cases)
        .with_context(|| format!("{}: cannot read", args.cases.display()))?;
    let cases: Vec<Case> = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a list of cases", args.cases.display()))?;
    let mut datasets: HashMap<String, Dataset> = HashMap::new();
    let mut lines = Vec::new();
    for case in &cases {
        if !datasets.contains_key(&case.dataset) {
            let data = Dataset::load(&args.data, &case.dataset).map_err(anyhow::Error::msg)?;
            datasets.insert(case.dataset.clone(), data);
        }
        let started = std::time::Instant::now();
        let r = run_case(case, &datasets[&case.dataset]);
        let line = CaseLine {
            id: r.id,
            pass: r.pass,
            transformation: r.transformation,
            loss: r.loss,
            detail: r.detail,
            checks: r.checks,
            seconds: started.elapsed().as_secs_f64(),
        };
        if !args.json {
            println!(
                "{} {}: {}",
                if line.pass { "pass" } else { "FAIL" },
                line.id,
                line.detail
            );
        }
        lines.push(line);
    }
    let failed = lines.iter().filter(|l| !l.pass).count();
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "cases": lines.len(),
                "passed": lines.len() - failed,
                "failed": failed,
                "results": lines,
            }))?
        );
    } else {
        println!("{} of {} cases pass", lines.len() - failed, lines.len());
    }
    if failed > 0 {
        bail!("{failed} of {} cases failed", lines.len());
    }
    Ok(())
}
