//! `trustnode conformance`: run the resolver conformance suite against any Universal-Resolver-style endpoint, and
//! merge JSON reports into an implementation matrix. Thin: parsing, files and exit codes; the kit is
//! [`crate::conformance`].

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Subcommand, ValueEnum};

use super::CliError;
use crate::conformance::report::{matrix, render, MatrixFormat, ReportFormat};
use crate::conformance::resolver::METHODS;
use crate::conformance::runner::{run_resolver, RunSettings};
use crate::conformance::Report;

/// Arguments of `conformance`.
#[derive(Debug, clap::Args)]
pub struct ConformanceArgs {
    #[command(subcommand)]
    command: ConformanceCommand,
}

#[derive(Debug, Subcommand)]
enum ConformanceCommand {
    /// Check a DID resolver endpoint (URL/1.0/identifiers/…) against the vectors, the HTTP contract and fresh keys.
    Resolver(ResolverArgs),
    /// Merge JSON reports into an implementation matrix (rows = checks, columns = implementations).
    Matrix(MatrixArgs),
}

#[derive(Debug, clap::Args)]
struct ResolverArgs {
    /// The endpoint's base URL, e.g. http://127.0.0.1:8080.
    url: String,
    /// DID methods to check, comma-separated.
    #[arg(long = "method", value_delimiter = ',', default_values_t = METHODS.map(str::to_owned))]
    methods: Vec<String>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = ReportKind::Text)]
    format: ReportKind,
    /// Write the report here instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// The identifiers path under the URL.
    #[arg(long, default_value = "/1.0/identifiers")]
    path: String,
    /// Requests in flight at most.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    concurrency: u16,
    /// Requests started per second at most.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=1000))]
    rate: u32,
    /// Time allowed per request, in milliseconds.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=600_000))]
    timeout_ms: u64,
    /// The implementation's name in the report and the matrix (default: the URL).
    #[arg(long)]
    name: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ReportKind {
    Text,
    Json,
    Junit,
    Html,
}

#[derive(Debug, clap::Args)]
struct MatrixArgs {
    /// JSON reports written by `conformance resolver --format json`.
    #[arg(required = true)]
    reports: Vec<PathBuf>,
    /// Matrix format.
    #[arg(long, value_enum, default_value_t = MatrixKind::Html)]
    format: MatrixKind,
    /// Write the matrix here instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum MatrixKind {
    Html,
    Markdown,
}

/// Runs the subcommand. `resolver` exits 1 when a check failed.
pub fn run(args: ConformanceArgs) -> Result<ExitCode, CliError> {
    match args.command {
        ConformanceCommand::Resolver(args) => resolver(args),
        ConformanceCommand::Matrix(args) => merge(args),
    }
}

fn resolver(args: ResolverArgs) -> Result<ExitCode, CliError> {
    let methods: Vec<&str> = args.methods.iter().map(String::as_str).collect();
    if let Some(unknown) = methods.iter().find(|method| !METHODS.contains(method)) {
        return Err(format!("unknown DID method {unknown:?}; the suite knows {}", METHODS.join(", ")).into());
    }
    let settings = RunSettings {
        base_url: args.url.clone(),
        identifiers_path: args.path,
        concurrency: usize::from(args.concurrency),
        rate_per_second: args.rate,
        timeout: Duration::from_millis(args.timeout_ms),
        progress: true,
    };
    let name = args.name.unwrap_or_else(|| args.url.clone());
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let report = runtime.block_on(run_resolver(settings, &methods, &name))?;
    let format = match args.format {
        ReportKind::Text => ReportFormat::Text,
        ReportKind::Json => ReportFormat::Json,
        ReportKind::Junit => ReportFormat::Junit,
        ReportKind::Html => ReportFormat::Html,
    };
    write(args.out.as_ref(), &render(&report, format))?;
    Ok(if report.totals().fail == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn merge(args: MatrixArgs) -> Result<ExitCode, CliError> {
    let reports = args
        .reports
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).map_err(|error| format!("{}: {error}", path.display()))?;
            serde_json::from_str::<Report>(&text)
                .map_err(|error| format!("{}: not a conformance report: {error}", path.display()))
        })
        .collect::<Result<Vec<Report>, String>>()?;
    let format = match args.format {
        MatrixKind::Html => MatrixFormat::Html,
        MatrixKind::Markdown => MatrixFormat::Markdown,
    };
    write(args.out.as_ref(), &matrix(&reports, format))?;
    Ok(ExitCode::SUCCESS)
}

fn write(out: Option<&PathBuf>, text: &str) -> Result<(), CliError> {
    match out {
        Some(path) => std::fs::write(path, text).map_err(|error| format!("{}: {error}", path.display()).into()),
        None => {
            use std::io::Write;
            std::io::stdout().lock().write_all(text.as_bytes()).map_err(Into::into)
        }
    }
}
