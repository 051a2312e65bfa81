//! The `trustnode` command line: argument definitions and one function per subcommand.
//!
//! Each command loads what it needs (configuration, keys, files), calls the library, and turns the outcome into
//! output and an exit code. No command logic lives in `main.rs`.

mod cache;
mod conformance;
mod http_client;
mod key;
mod registry;
mod resolve;
mod serve;
mod verify;
mod watch;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// trustnode: a DID resolver (did:key, did:jwk, did:web) and signed trust-registry node.
#[derive(Debug, Parser)]
#[command(name = "trustnode", version, about, propagate_version = true)]
pub struct Cli {
    /// Log output format on stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the node: the resolver and registry HTTP API on one port.
    Serve(serve::ServeArgs),
    /// Resolve a DID or dereference a DID URL in-process and print the result as JSON.
    Resolve(resolve::ResolveArgs),
    /// Manage signing keys of registry authorities.
    #[command(subcommand)]
    Key(key::KeyCommand),
    /// Author, sign, verify and publish a trust registry.
    #[command(subcommand)]
    Registry(registry::RegistryCommand),
    /// Inspect or invalidate the did:web cache of a stopped node.
    Cache(cache::CacheArgs),
    /// Verify a credential or presentation (proofs, issuer keys, validity, status, registry trust) and explain it.
    Verify(verify::VerifyArgs),
    /// Check any DID resolver endpoint against the standards, or merge reports into an implementation matrix.
    Conformance(conformance::ConformanceArgs),
}

/// Common `--config` flag.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ConfigArg {
    /// Configuration file (TOML); settings it lacks keep their defaults. Without it the embedded default
    /// configuration is used (see config/trustnode.toml). TRUSTNODE_* environment variables override both.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

impl ConfigArg {
    /// Loads the configuration this flag names, with environment overrides.
    pub fn load(&self) -> Result<crate::config::Config, crate::config::ConfigError> {
        crate::config::Config::load(self.config.as_deref(), std::env::vars())
    }
}

/// Runs the parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    init_logging(cli.log_format);
    let result = match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Resolve(args) => resolve::run(args),
        Command::Key(command) => key::run(command),
        Command::Registry(command) => registry::run(command),
        Command::Cache(args) => cache::run(args),
        Command::Conformance(args) => conformance::run(args),
        Command::Verify(args) => verify::run(args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("trustnode: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs go to stderr; the level comes from `TRUSTNODE_LOG` (or `RUST_LOG`), `info` by default.
fn init_logging(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = std::env::var("TRUSTNODE_LOG")
        .ok()
        .and_then(|spec| EnvFilter::try_new(spec).ok())
        .or_else(|| EnvFilter::try_from_default_env().ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// A boxed error with context, for command failures.
pub(crate) type CliError = Box<dyn std::error::Error + Send + Sync>;
