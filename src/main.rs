//! asl-guard: the binary. It parses flags, calls the library and maps the outcome to an exit
//! code (0 done, 1 findings or would change, 2 error).

use std::process::ExitCode;

use clap::Parser;

mod cli;

// Reading a definition allocates a small map for every object; mimalloc does that markedly
// faster than the system allocator (bench/wrap.py shows the difference on large files).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = cli::args::Cli::parse();
    cli::run::init_logging(&args);
    match cli::run::run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("asl-guard: {e:#}");
            ExitCode::from(2)
        }
    }
}
