//! `pubdata policy check POLICY --in FILE`: validate a de-identification policy against a table
//! before anything runs.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use pubdata_deid::policy::{Policy, PolicyError};
use pubdata_tables::ReadOptions;
use serde::Serialize;

/// Work with de-identification policies.
#[derive(Subcommand)]
pub enum PolicyCommand {
    /// Check a policy against a table's columns: every column has one rule, every rule is valid,
    /// and what it names (the key, hierarchy files) loads, as `deid` will load it.
    Check(CheckArgs),
}

/// Arguments of `pubdata policy check`.
#[derive(Args)]
pub struct CheckArgs {
    /// The policy (TOML).
    pub policy: PathBuf,
    /// The table the policy is for (only its header is read).
    #[arg(long = "in", value_name = "FILE")]
    pub input: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct CheckReport {
    policy: String,
    table: String,
    ok: bool,
    columns: usize,
    errors: Vec<PolicyError>,
}

/// Runs a policy subcommand.
pub fn run(cmd: PolicyCommand) -> anyhow::Result<()> {
    match cmd {
        PolicyCommand::Check(args) => check(args),
    }
}

fn check(args: CheckArgs) -> anyhow::Result<()> {
    let source = pubdata_release::PolicySource::read(&args.policy)?;
    let text = &source.text;
    let reader = pubdata_tables::open(&args.input, &ReadOptions::default())?;
    let table_columns: Vec<String> = reader
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let mut errors = match Policy::parse(text) {
        Ok(policy) => policy.check_columns(&table_columns),
        Err(errors) => errors,
    };
    // Then what `deid` loads before it reads a row: the key (its variable or file, its length
    // and format) and the hierarchy files. A check that passes means `deid` will start.
    if errors.is_empty()
        && let Err(e) = pubdata_release::deid::load_policy(&source, &table_columns)
    {
        // The loader names the policy itself; the report puts it in front of every line.
        let text = e.to_string();
        let prefix = format!("{}: ", source.label);
        errors.push(PolicyError {
            line: 0,
            message: text.strip_prefix(&prefix).unwrap_or(&text).to_string(),
        });
    }
    let report = CheckReport {
        policy: args.policy.display().to_string(),
        table: args.input.display().to_string(),
        ok: errors.is_empty(),
        columns: table_columns.len(),
        errors,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        // The whole report on stdout, in reading order (what was checked, the findings, the
        // verdict); stderr only carries the failing exit's one line.
        println!(
            "{} for {} ({} columns):",
            report.policy, report.table, report.columns
        );
        for e in &report.errors {
            if e.line == 0 {
                println!("{}: {}", report.policy, e.message);
            } else {
                println!("{}:{}: {}", report.policy, e.line, e.message);
            }
        }
        if report.ok {
            println!("valid: deid can run this policy on {}", report.table);
        } else {
            println!("{} problem(s)", report.errors.len());
        }
    }
    if report.ok {
        Ok(())
    } else {
        anyhow::bail!(
            "{}: {} problem(s) for {}",
            report.policy,
            report.errors.len(),
            report.table
        )
    }
}
