//! The `trustnode` binary: parse the command line and hand over to [`trustnode::cli`].

use clap::Parser;

// glibc's allocator slows down sharply when memory allocated on one worker thread is freed on another (a memoized
// document evicted by a different request), which is the normal life of the resolver's caches.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    trustnode::cli::run(trustnode::cli::Cli::parse())
}
