//! `trustnode resolve`: resolve a DID or dereference a DID URL in-process, print the rendered result.

use std::io::Write;
use std::process::ExitCode;

use super::{CliError, ConfigArg};
use trustnode_resolver::accept::negotiate;
use trustnode_resolver::render::render;
use trustnode_resolver::ResolutionOptions;

/// Arguments of `resolve`.
#[derive(Debug, clap::Args)]
pub struct ResolveArgs {
    /// The DID or DID URL.
    identifier: String,
    /// Media type to produce, as an HTTP Accept header would ask (default: the full resolution result).
    #[arg(long, value_name = "MEDIA-TYPE")]
    accept: Option<String>,
    /// A resolution option, e.g. --option publicKeyFormat=JsonWebKey; repeatable.
    #[arg(long = "option", value_name = "NAME=VALUE", value_parser = parse_option)]
    options: Vec<(String, String)>,
    #[command(flatten)]
    config: ConfigArg,
}

fn parse_option(text: &str) -> Result<(String, String), String> {
    text.split_once('=').map(|(n, v)| (n.to_owned(), v.to_owned())).ok_or_else(|| format!("{text:?} is not NAME=VALUE"))
}

/// Prints the result to stdout; exits 1 when the resolution failed (the error result is still printed).
pub fn run(args: ResolveArgs) -> Result<ExitCode, CliError> {
    let mut config = args.config.load()?;
    // Resolving needs no hosted registries; loading them would tie `resolve` to the registry directories.
    config.registries.clear();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let rendered = runtime.block_on(async {
        let resolver = crate::node::open_resolver(&config)?;
        let pairs = args.options.iter().map(|(n, v)| (n.as_str(), v.as_str()));
        let resolution = match ResolutionOptions::from_pairs(pairs) {
            Ok(options) => resolver.resolve(&args.identifier, &options).await,
            Err(error) => trustnode_resolver::Resolution::failed(error),
        };
        crate::node::close_resolver(&resolver);
        Ok::<_, CliError>(render(&resolution, negotiate(args.accept.as_deref())))
    })?;
    let mut stdout = std::io::stdout().lock();
    match &rendered.location {
        Some(location) => writeln!(stdout, "{location}")?,
        None => {
            stdout.write_all(&rendered.body)?;
            writeln!(stdout)?;
        }
    }
    Ok(if rendered.status < 400 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
