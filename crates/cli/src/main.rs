//! `pubdata`: one binary for the public data platform.

mod commands;
mod progress;
mod table_fmt;

use clap::{Parser, Subcommand};

/// Public data platform: catalog, aggregation, sharing, opening and de-identification of public data.
#[derive(Parser)]
#[command(name = "pubdata", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Find personal information in every column of a table (CSV, TSV, XLSX, JSON Lines, Parquet).
    Scan(commands::scan::ScanArgs),
    /// Apply a de-identification policy to a table and report what was done.
    Deid(commands::deid::DeidArgs),
    /// Reverse format-preserving encryption for the key holder.
    Reidentify(commands::reidentify::ReidentifyArgs),
    /// Make keys for the keyed operators (pseudonyms, encryption).
    #[command(subcommand)]
    Key(commands::key::KeyCommand),
    /// Check de-identification policies.
    #[command(subcommand)]
    Policy(commands::policy::PolicyCommand),
    /// Generate synthetic data to try the tools on.
    #[command(subcommand)]
    Gen(commands::generate::GenCommand),
    /// Generalize quasi-identifiers to the optimal level that meets a policy's requirements.
    Anonymize(commands::anonymize::AnonymizeArgs),
    /// Re-identification risk of a table under a set of quasi-identifiers.
    Risk(commands::risk::RiskArgs),
    /// Check our optimal anonymization against a file of ARX's expected optima.
    ArxCheck(commands::arx_check::ArxCheckArgs),
    /// Measure throughput and accuracy.
    #[command(subcommand)]
    Bench(commands::bench::BenchCommand),
    /// Run the platform: the API under /api/v1 and the portal's pages.
    Serve(commands::platform::ServeArgs),
    /// Aggregate a file into a catalog entry's next dataset version.
    Ingest(commands::platform::IngestArgs),
    /// Administer the platform's users.
    #[command(subcommand)]
    Admin(commands::platform::AdminCommand),
    /// Check the platform's audit log.
    #[command(subcommand)]
    Audit(commands::platform::AuditCommand),
    /// Maintain the dataset location.
    #[command(subcommand)]
    Datasets(commands::datasets::DatasetsCommand),
}

/// Logs through `tracing` on standard error, tuned by `RUST_LOG`: the server logs each request
/// (info); other commands print their own summaries and log only warnings.
fn init_logging(command: &Command) {
    let default = match command {
        Command::Serve(_) => "info",
        _ => "warn",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // Colours only for a person at a terminal, not into a log file.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .try_init();
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_logging(&cli.command);
    let result = match cli.command {
        Command::Scan(args) => commands::scan::run(args),
        Command::Deid(args) => commands::deid::run(args),
        Command::Reidentify(args) => commands::reidentify::run(args),
        Command::Key(cmd) => commands::key::run(cmd),
        Command::Policy(cmd) => commands::policy::run(cmd),
        Command::Gen(cmd) => commands::generate::run(cmd),
        Command::Anonymize(args) => commands::anonymize::run(args),
        Command::Risk(args) => commands::risk::run(args),
        Command::ArxCheck(args) => commands::arx_check::run(args),
        Command::Bench(cmd) => commands::bench::run(cmd),
        Command::Serve(args) => commands::platform::serve(args),
        Command::Ingest(args) => commands::platform::ingest(args),
        Command::Admin(cmd) => commands::platform::admin(cmd),
        Command::Audit(cmd) => commands::platform::audit(cmd),
        Command::Datasets(cmd) => commands::datasets::run(cmd),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            // One line: the outermost context first, then the causes, as a data officer reads it.
            let mut line = err.to_string();
            for cause in err.chain().skip(1) {
                let text = cause.to_string();
                // Libraries quote their cause in their own message (an OS error without its
                // "(os error N)"): say it once.
                let bare = match text.rfind(" (os error ") {
                    Some(at) if text.ends_with(')') => &text[..at],
                    _ => &text,
                };
                if line.contains(bare) {
                    continue;
                }
                line.push_str(": ");
                line.push_str(&text);
            }
            eprintln!("error: {line}");
            std::process::ExitCode::FAILURE
        }
    }
}
