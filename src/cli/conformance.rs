//! `trustnode conformance`: run the resolver conformance suite against any Universal-Resolver-style endpoint, the
//! registry suite against any TRQP v2 endpoint, and merge JSON reports into an implementation matrix. Thin:
//! parsing, files and exit codes; the kit is [`trustnode_conformance`].

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Subcommand, ValueEnum};

use super::CliError;
use trustnode_conformance::registry::{NamedQuestion, RegistryPlan};
use trustnode_conformance::report::{matrix, render, MatrixFormat, ReportFormat};
use trustnode_conformance::resolver::METHODS;
use trustnode_conformance::runner::{run_registry, run_resolver, RunSettings};
use trustnode_conformance::Report;
use trustnode_resolver::web::WebResolver;
use trustnode_resolver::{computed, Resolver};

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
    /// Check a TRQP v2 trust registry endpoint: schemas, problem details, 400/404, context.time, /metadata, named
    /// questions, and a trustnode's signed snapshots.
    Registry(RegistryArgs),
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
    /// The identifiers path under the URL.
    #[arg(long, default_value = "/1.0/identifiers")]
    path: String,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, clap::Args)]
struct RegistryArgs {
    /// The TRQP endpoint's base URL (where /authorization is), e.g. http://127.0.0.1:8080.
    url: String,
    /// The authority whose registry is asked.
    #[arg(long, value_name = "DID")]
    authority: String,
    /// An entity to ask about (repeatable; the n-th --entity goes with the n-th --action and --resource).
    #[arg(long = "entity", value_name = "DID")]
    entities: Vec<String>,
    /// The action of the n-th question, e.g. issue.
    #[arg(long = "action", value_name = "A")]
    actions: Vec<String>,
    /// The resource of the n-th question, e.g. OpenBadgeCredential.
    #[arg(long = "resource", value_name = "R")]
    resources: Vec<String>,
    /// The expected answer of the n-th question; give it for every question or for none.
    #[arg(long = "expect", value_enum)]
    expectations: Vec<Expectation>,
    /// The registry documents that it answers unknown names with a 200 "no": 404 checks become n/a on such answers.
    #[arg(long)]
    hides_unknown: bool,
    /// Run the trustnode checks even if GET /registries does not reveal a trustnode.
    #[arg(long)]
    trustnode: bool,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Expectation {
    Authorized,
    Unauthorized,
}

/// Output and politeness options shared by the suites.
#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Report format.
    #[arg(long, value_enum, default_value_t = ReportKind::Text)]
    format: ReportKind,
    /// Write the report here instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
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
    /// JSON reports written by `conformance resolver|registry --format json`.
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

/// Runs the subcommand. `resolver` and `registry` exit 1 when a check failed.
pub fn run(args: ConformanceArgs) -> Result<ExitCode, CliError> {
    match args.command {
        ConformanceCommand::Resolver(args) => resolver(args),
        ConformanceCommand::Registry(args) => registry(args),
        ConformanceCommand::Matrix(args) => merge(args),
    }
}

fn resolver(args: ResolverArgs) -> Result<ExitCode, CliError> {
    let methods: Vec<&str> = args.methods.iter().map(String::as_str).collect();
    if let Some(unknown) = methods.iter().find(|method| !METHODS.contains(method)) {
        return Err(format!("unknown DID method {unknown:?}; the suite knows {}", METHODS.join(", ")).into());
    }
    let settings = args.run.settings(&args.url, args.path);
    let name = args.run.name.clone().unwrap_or_else(|| args.url.clone());
    let report = runtime()?.block_on(run_resolver(settings, &methods, &name))?;
    finish(&args.run, &report)
}

fn registry(args: RegistryArgs) -> Result<ExitCode, CliError> {
    let questions = named_questions(&args)?;
    let plan = RegistryPlan {
        authority_id: args.authority.clone(),
        questions,
        hides_unknown: args.hides_unknown,
        trustnode: args.trustnode,
    };
    let settings = args.run.settings(&args.url, String::new());
    let name = args.run.name.clone().unwrap_or_else(|| args.url.clone());
    // did:web authorities are resolved with a cache of this run's own, removed afterwards.
    let cache_dir = std::env::temp_dir().join(format!("trustnode-conformance-{}", std::process::id()));
    let config = crate::config::Config::load(None, Vec::<(String, String)>::new())?;
    let report = runtime()?.block_on(async {
        let web = WebResolver::open(&config.web, &config.cache, &cache_dir)?;
        let mut methods = computed::key_and_jwk(64);
        methods.push(std::sync::Arc::new(web));
        let resolver = Resolver::new(methods);
        run_registry(settings, &plan, &resolver, &name).await.map_err(CliError::from)
    });
    let _ = std::fs::remove_dir_all(&cache_dir);
    finish(&args.run, &report?)
}

/// The questions of the aligned --entity, --action, --resource and --expect lists.
fn named_questions(args: &RegistryArgs) -> Result<Vec<NamedQuestion>, CliError> {
    let count = args.entities.len();
    if args.actions.len() != count || args.resources.len() != count {
        return Err("give one --action and one --resource for each --entity".into());
    }
    if !args.expectations.is_empty() && args.expectations.len() != count {
        return Err("give --expect for every --entity or for none".into());
    }
    let terms = args.entities.iter().zip(&args.actions).zip(&args.resources);
    Ok(terms
        .enumerate()
        .map(|(index, ((entity_id, action), resource))| NamedQuestion {
            entity_id: entity_id.clone(),
            action: action.clone(),
            resource: resource.clone(),
            expect: args.expectations.get(index).map(|expectation| *expectation == Expectation::Authorized),
        })
        .collect())
}

impl RunArgs {
    fn settings(&self, url: &str, path: String) -> RunSettings {
        RunSettings {
            base_url: url.to_owned(),
            identifiers_path: path,
            concurrency: usize::from(self.concurrency),
            rate_per_second: self.rate,
            timeout: Duration::from_millis(self.timeout_ms),
            progress: true,
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    Ok(tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?)
}

/// Writes the report and exits 1 when a check failed.
fn finish(run: &RunArgs, report: &Report) -> Result<ExitCode, CliError> {
    let format = match run.format {
        ReportKind::Text => ReportFormat::Text,
        ReportKind::Json => ReportFormat::Json,
        ReportKind::Junit => ReportFormat::Junit,
        ReportKind::Html => ReportFormat::Html,
    };
    write(run.out.as_ref(), &render(report, format))?;
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
