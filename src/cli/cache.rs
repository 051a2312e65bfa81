//! `trustnode cache`: inspect and invalidate the did:web cache of a stopped node. A running node holds the cache
//! open; use its admin API (`DELETE /1.0/cache/{did}`) instead, and this command says so.

use std::process::ExitCode;

use super::{CliError, ConfigArg};
use trustnode_resolver::web::WebResolver;

/// Arguments of `cache`.
#[derive(Debug, clap::Args)]
pub struct CacheArgs {
    #[command(subcommand)]
    action: CacheAction,
    #[command(flatten)]
    config: ConfigArg,
}

#[derive(Debug, clap::Subcommand)]
enum CacheAction {
    /// Remove one DID's cached document, or every entry when no DID is given.
    Purge {
        /// The did:web DID to forget (all entries if omitted).
        did: Option<String>,
    },
    /// Print the number of entries and the size on disk as JSON.
    Stats,
}

/// Runs a cache action against the data directory of the configuration.
pub fn run(args: CacheArgs) -> Result<ExitCode, CliError> {
    let config = args.config.load()?;
    let web = WebResolver::open(&config.web, &config.cache, &config.server.data_dir)?;
    match args.action {
        CacheAction::Purge { did } => {
            let purged = web.purge(did.as_deref())?;
            web.flush()?;
            println!("{}", serde_json::json!({ "purged": purged }));
        }
        CacheAction::Stats => println!("{}", serde_json::to_string(&web.stats())?),
    }
    Ok(ExitCode::SUCCESS)
}
