//! The `trustnode` binary: parse the command line and hand over to [`trustnode::cli`].

use clap::Parser;

// glibc's allocator slows down sharply when memory allocated on one worker thread is freed on another (a memoized
// document evicted by a different request), which is the normal life of the resolver's caches. mimalloc is built
// without transparent huge pages (`no_thp`): with them, sled's zeroed 2-4 MiB page-table nodes were backed in full
// at start (an idle node measured 58 MB resident instead of ~20 MB).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    trustnode::cli::run(trustnode::cli::Cli::parse())
}
