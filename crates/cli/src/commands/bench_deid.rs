//! `pubdata bench deid`: rows/s of `pubdata deid` on generated citizens, against a plain
//! CSV-to-Parquet rewrite by the same binary in the same run, plus the operators alone and
//! `encrypt_fpe` alone.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use arrow_array::RecordBatch;
use arrow_array::cast::AsArray;
use clap::Args;
use pubdata_deid::apply::{ColumnOp, CompiledPolicy, RunCounts};
use pubdata_deid::keys::Key;
use pubdata_deid::policy::{FpeFormat, FpeRegions, FpeSpec, Operator};
use pubdata_deid::transform::fpe::FpeCipher;
use pubdata_synth::CitizenGenerator;
use pubdata_tables::{Format, ReadOptions, TableWriter};
use serde::Serialize;

use crate::progress::{rows_bar, thousands};
use crate::table_fmt::render;
use pubdata_release::deid::{load_policy, run_plan};
use pubdata_release::{Control, Output, PolicySource};

/// Arguments of `pubdata bench deid`.
#[derive(Args)]
pub struct DeidBenchArgs {
    /// Rows of `gen citizens` data.
    #[arg(long, default_value_t = 1_000_000)]
    pub rows: u64,
    /// Generator seed.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Runs of each timed part; the fastest is reported.
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
    /// Folder for the generated CSV, policies and outputs (default: a new folder under the
    /// system's temporary folder, removed afterwards).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
}

const HEADER: &str = "version = 1\n[dataset]\nkey_file = \"bench.key\"\non_invalid = \"fail\"\n";

/// Columns every policy treats the same way, so the policies differ only where they should.
const COMMON: &[(&str, &str)] = &[
    ("person_id", "op = \"keep\""),
    ("gender", "op = \"keep\""),
    ("employer", "op = \"keep\""),
    ("diagnosis", "op = \"keep\""),
    ("annual_income", "op = \"keep\""),
    ("license_plate", "op = \"drop\""),
    ("employer_uscc", "op = \"drop\""),
    ("last_login_ip", "op = \"drop\""),
    ("home_location", "op = \"drop\""),
];

/// The ten transformed columns of the full policy.
const FULL: &[(&str, &str)] = &[
    ("name", "op = \"pseudonymize\"\nlength = 16"),
    (
        "resident_id",
        "op = \"encrypt_fpe\"\nformat = \"resident_id\"",
    ),
    ("mobile", "op = \"encrypt_fpe\"\nformat = \"mobile\""),
    ("home_phone", "op = \"mask\"\nkeep_first = 4"),
    ("email", "op = \"pseudonymize\"\nlength = 16"),
    ("bank_card", "op = \"mask\"\nkeep_first = 6\nkeep_last = 4"),
    (
        "birth_date",
        "op = \"generalize\"\nto = \"age_band\"\nas_of = \"2026-01-01\"",
    ),
    ("address", "op = \"generalize\"\nto = \"district\""),
    ("postal_code", "op = \"generalize\"\nprefix = 3"),
    ("remarks", "op = \"redact\""),
];

fn policy(name: &str) -> String {
    let mut text = HEADER.to_string();
    let rules: Vec<(&str, String)> = match name {
        "plain rewrite" => pubdata_synth::CITIZEN_COLUMNS
            .iter()
            .map(|c| (c.name, "op = \"keep\"".to_string()))
            .collect(),
        "policy without redact/fpe" => COMMON
            .iter()
            .chain(FULL)
            .map(|(c, r)| {
                let r = match *c {
                    "resident_id" => "op = \"pseudonymize\"\nlength = 16",
                    "mobile" => "op = \"mask\"\nkeep_first = 3\nkeep_last = 4",
                    "remarks" => "op = \"drop\"",
                    _ => r,
                };
                (*c, r.to_string())
            })
            .collect(),
        _ => COMMON
            .iter()
            .chain(FULL)
            .map(|(c, r)| (*c, r.to_string()))
            .collect(),
    };
    for (column, rule) in rules {
        text.push_str(&format!("[columns.{column}]\n{rule}\n"));
    }
    text
}

#[derive(Serialize)]
struct Run {
    name: String,
    rows: u64,
    seconds: f64,
    rows_per_s: f64,
    /// Seconds divided by the plain rewrite's seconds in the same run (end to end only: in
    /// memory, the plain run does nothing).
    #[serde(skip_serializing_if = "Option::is_none")]
    ratio_to_plain: Option<f64>,
}

#[derive(Serialize)]
struct DeidBench {
    rows: u64,
    seed: u64,
    repeat: usize,
    threads: usize,
    csv_bytes: u64,
    /// `pubdata deid` end to end: read CSV, run the DataFusion plan, write Parquet.
    end_to_end: Vec<Run>,
    /// The compiled policy alone over batches already in memory (no reading, no writing).
    operators_only: Vec<Run>,
    /// Each rule of the full policy alone over its column in memory, values per second.
    per_rule_values_per_s: Vec<(String, f64)>,
    /// `encrypt_fpe` alone, values per second, by format.
    fpe_values_per_s: Vec<(String, f64)>,
}

fn best<T>(repeat: usize, mut f: impl FnMut() -> anyhow::Result<T>) -> anyhow::Result<(f64, T)> {
    let mut best = f64::INFINITY;
    let mut last = None;
    for _ in 0..repeat.max(1) {
        let start = Instant::now();
        let out = f()?;
        best = best.min(start.elapsed().as_secs_f64());
        last = Some(out);
    }
    Ok((best, last.context("at least one run")?))
}

fn generate(path: &Path, rows: u64, seed: u64) -> anyhow::Result<()> {
    let bar = rows_bar(Some(rows), "generating");
    let mut generator = CitizenGenerator::new(seed, rows);
    let mut writer = TableWriter::create(path, Format::Csv, pubdata_synth::citizens_schema())?;
    while let Some(batch) = generator.next_batch(8192, None) {
        writer.write(&batch)?;
        bar.inc(batch.num_rows() as u64);
    }
    writer.finish()?;
    bar.finish_and_clear();
    Ok(())
}

/// Runs the benchmark.
pub fn run(args: DeidBenchArgs) -> anyhow::Result<()> {
    // A folder of our own that goes away when done (an error included), unless one is named.
    let temp = tempfile::Builder::new()
        .prefix("pubdata-bench-deid-")
        .tempdir()?;
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| temp.path().to_path_buf());
    std::fs::create_dir_all(&dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    let result = bench(&args, &dir);
    drop(temp);
    let bench = result?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&bench)?);
    } else {
        print(&bench);
    }
    let full = bench.end_to_end.last().context("runs")?;
    eprintln!(
        "de-identified {} rows: full policy {:.0} rows/s end to end, {:.2}x the plain rewrite, on one core",
        thousands(bench.rows),
        full.rows_per_s,
        full.ratio_to_plain.unwrap_or(f64::NAN)
    );
    Ok(())
}

fn bench(args: &DeidBenchArgs, dir: &Path) -> anyhow::Result<DeidBench> {
    let csv = dir.join("citizens.csv");
    generate(&csv, args.rows, args.seed)?;
    let key = Key::generate()?;
    super::write_atomically_with_mode(&dir.join("bench.key"), key.to_hex().as_bytes(), 0o600)?;
    let names = ["plain rewrite", "policy without redact/fpe", "full policy"];
    let columns: Vec<String> = pubdata_synth::CITIZEN_COLUMNS
        .iter()
        .map(|c| c.name.to_string())
        .collect();
    let mut end_to_end = Vec::new();
    for name in names {
        let path = dir.join(format!("{}.toml", name.replace([' ', '/'], "_")));
        std::fs::write(&path, policy(name))?;
        let (p, res) = load_policy(&PolicySource::read(&path)?, &columns)?;
        let out = Output::File(dir.join("out.parquet"));
        let (seconds, counts) = best(args.repeat, || {
            let reader = pubdata_tables::open(&csv, &ReadOptions::default())?;
            Ok(run_plan(reader, &p, &res, &out, 8192, &Control::default())?.0)
        })?;
        end_to_end.push((name, counts.rows_in, seconds));
    }
    let batches: Vec<RecordBatch> =
        pubdata_tables::open(&csv, &ReadOptions::default())?.collect::<Result<_, _>>()?;
    let schema = batches.first().context("no rows")?.schema();
    let mut operators_only = Vec::new();
    for name in names {
        let path = dir.join(format!("{}.toml", name.replace([' ', '/'], "_")));
        let (p, res) = load_policy(&PolicySource::read(&path)?, &columns)?;
        let compiled =
            CompiledPolicy::compile(&p, &schema, &res).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let (seconds, rows) = best(args.repeat, || {
            let mut counts = RunCounts::default();
            for b in &batches {
                compiled.apply(b, counts.rows_in, &mut counts)?;
            }
            Ok(counts.rows_in)
        })?;
        operators_only.push((name, rows, seconds));
    }
    let mut per_rule = Vec::new();
    {
        let path = dir.join("full_policy.toml");
        let (p, res) = load_policy(&PolicySource::read(&path)?, &columns)?;
        let index = |name: &str| schema.index_of(name).ok();
        for rule in p
            .columns
            .iter()
            .filter(|r| !matches!(r.operator, Operator::Keep | Operator::Drop))
        {
            let op =
                ColumnOp::compile(&rule.operator, &res, &index).map_err(|e| anyhow::anyhow!(e))?;
            let i = schema.index_of(&rule.name)?;
            let (seconds, values) = best(args.repeat, || {
                let mut invalid = Vec::new();
                let mut values = 0;
                for b in &batches {
                    let by = op.by().map(|j| b.column(j).as_string::<i32>().clone());
                    op.apply_text(b.column(i).as_string::<i32>(), by.as_ref(), &mut invalid);
                    values += b.num_rows();
                }
                anyhow::ensure!(
                    invalid.is_empty(),
                    "{}: invalid values in generated data",
                    rule.name
                );
                Ok(values)
            })?;
            per_rule.push((
                format!("{} ({})", rule.name, rule.operator.name()),
                values as f64 / seconds,
            ));
        }
    }
    let cipher = FpeCipher::new(&key);
    let mut fpe = Vec::new();
    let id = |keep_birth, regions| FpeSpec {
        format: FpeFormat::ResidentId,
        keep_birth,
        regions,
    };
    let table = Some(FpeRegions::Gbt2260_2023);
    for (column, spec, label) in [
        ("resident_id", id(false, None), "resident_id"),
        ("resident_id", id(true, None), "resident_id keep_birth"),
        ("resident_id", id(false, table), "resident_id regions"),
        (
            "resident_id",
            id(true, table),
            "resident_id regions keep_birth",
        ),
        ("mobile", FpeSpec::new(FpeFormat::Mobile), "mobile"),
        ("bank_card", FpeSpec::new(FpeFormat::BankCard), "bank_card"),
    ] {
        let i = schema.index_of(column)?;
        let mut out = String::new();
        let (seconds, values) = best(args.repeat, || {
            let mut values = 0u64;
            for b in &batches {
                for v in b.column(i).as_string::<i32>().iter().flatten() {
                    cipher
                        .encrypt(spec, v, &mut out)
                        .map_err(|e| anyhow::anyhow!("{label}: {e}"))?;
                    values += 1;
                }
            }
            Ok(values)
        })?;
        fpe.push((label.to_string(), values as f64 / seconds));
    }
    let runs = |list: Vec<(&str, u64, f64)>, ratio: bool| -> Vec<Run> {
        let plain = list.first().map(|r| r.2).unwrap_or(1.0);
        list.into_iter()
            .map(|(name, rows, seconds)| Run {
                name: name.to_string(),
                rows,
                seconds,
                rows_per_s: rows as f64 / seconds,
                ratio_to_plain: ratio.then_some(seconds / plain),
            })
            .collect()
    };
    Ok(DeidBench {
        rows: args.rows,
        seed: args.seed,
        repeat: args.repeat,
        threads: 1,
        csv_bytes: std::fs::metadata(&csv)?.len(),
        end_to_end: runs(end_to_end, true),
        operators_only: runs(operators_only, false),
        per_rule_values_per_s: per_rule,
        fpe_values_per_s: fpe,
    })
}

fn print(b: &DeidBench) {
    println!(
        "{} rows of gen citizens ({:.1} MB CSV), fastest of {}, one core\n",
        thousands(b.rows),
        b.csv_bytes as f64 / 1e6,
        b.repeat
    );
    for (title, runs) in [
        ("pubdata deid, CSV in, Parquet out", &b.end_to_end),
        ("operators only, batches in memory", &b.operators_only),
    ] {
        println!("{title}");
        let rows: Vec<Vec<String>> = runs
            .iter()
            .map(|r| {
                vec![
                    r.name.clone(),
                    format!("{:.2}", r.seconds),
                    format!("{:.0}", r.rows_per_s),
                    r.ratio_to_plain
                        .map_or("-".to_string(), |x| format!("{x:.2}x")),
                ]
            })
            .collect();
        println!(
            "{}",
            render(&["run", "seconds", "rows/s", "vs plain"], &rows)
        );
    }
    println!("each rule of the full policy alone");
    let rows: Vec<Vec<String>> = b
        .per_rule_values_per_s
        .iter()
        .map(|(n, v)| vec![n.clone(), format!("{v:.0}")])
        .collect();
    println!("{}", render(&["rule", "values/s"], &rows));
    println!("encrypt_fpe alone");
    let rows: Vec<Vec<String>> = b
        .fpe_values_per_s
        .iter()
        .map(|(n, v)| vec![n.clone(), format!("{v:.0}")])
        .collect();
    println!("{}", render(&["format", "values/s"], &rows));
}
