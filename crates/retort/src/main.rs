//! The `retort` binary: parse the command line and dispatch.

use clap::Parser;

fn main() -> std::process::ExitCode {
    limit_malloc_arenas();
    retort::cli::run(retort::cli::Cli::parse())
}

/// glibc's allocator keeps up to eight arenas per core, each holding on to what its
/// threads freed; two keep a million-product server's heap about a third smaller
/// (docs/BENCHMARKS.md, run 6). The allocator reads the setting only as a process starts,
/// so the binary starts itself again with `MALLOC_ARENA_MAX=2` — the same process id,
/// arguments and environment — unless the environment already sets it (any value, which
/// is left alone).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    use std::os::unix::process::CommandExt;
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let mut args = std::env::args_os();
    let mut command = std::process::Command::new(exe);
    if let Some(name) = args.next() {
        command.arg0(name);
    }
    // `exec` returns only when it failed; the process then goes on as it is.
    let error = command.args(args).env("MALLOC_ARENA_MAX", "2").exec();
    eprintln!("warning: running without MALLOC_ARENA_MAX=2 (restarting with it failed: {error})");
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}
