//! The `trustnode` binary: parse the command line and hand over to [`trustnode::cli`].

use clap::Parser;

fn main() -> std::process::ExitCode {
    trustnode::cli::run(trustnode::cli::Cli::parse())
}
