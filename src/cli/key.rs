//! `trustnode key generate`: a new signing key for a registry authority, written as a private JWK file readable
//! only by its owner, and its did:key printed.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Subcommand, ValueEnum};
use rand_core::OsRng;

use super::CliError;
use trustnode_registry::jws::{SigningKey, SigningKeyType};

/// `key` subcommands.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Generate a signing key file (mode 0600) and print its did:key. Refuses to overwrite an existing file.
    Generate(GenerateArgs),
}

/// Arguments of `key generate`.
#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// Key type: Ed25519 signs with EdDSA, P-256 with ES256.
    #[arg(long = "type", value_enum, default_value_t = KeyTypeArg::Ed25519)]
    key_type: KeyTypeArg,
    /// Where to write the private key (a JWK with `d`).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

/// Key types on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum KeyTypeArg {
    /// Ed25519.
    Ed25519,
    /// NIST P-256.
    P256,
}

/// Runs a `key` subcommand.
pub fn run(command: KeyCommand) -> Result<ExitCode, CliError> {
    let KeyCommand::Generate(args) = command;
    let key_type = match args.key_type {
        KeyTypeArg::Ed25519 => SigningKeyType::Ed25519,
        KeyTypeArg::P256 => SigningKeyType::P256,
    };
    let key = SigningKey::generate(key_type, &mut OsRng);
    let bytes = key.to_file_bytes()?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&args.out).map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
    file.write_all(&bytes)?;
    file.sync_all()?;
    println!("{}", key.did_key()?);
    Ok(ExitCode::SUCCESS)
}
