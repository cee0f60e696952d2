//! The `toyjit` command line: `toyjit run FILE` (and `-` for stdin), and the interactive
//! session (`toyjit repl`, or `toyjit` alone on a terminal; see `toyjit::repl`).
//!
//! Parses arguments with clap, reads the program, and runs it on a thread with a large stack
//! (deeply nested data structures are dropped and printed recursively), exiting with the
//! program's status. Ctrl-C stops a running program with `KeyboardInterrupt`; `toyjit run`
//! then dies by SIGINT, as python3 does (the shell sees status 130).

use std::io::{IsTerminal, Read};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use toyjit::driver::{DEFAULT_JIT_THRESHOLD, RunOptions, run_source};
use toyjit::interp::objects::output::Output;
use toyjit::jit::dump::DumpLevel;
use toyjit::repl::{self, ReplOptions};

/// mimalloc: Toy programs allocate many small short-lived objects (strings, tuples, dict
/// entries); it is markedly faster than the system allocator at that.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Stack for the interpreter thread: Toy calls do not use it, but dropping or printing a
/// million-deep nested list recurses in Rust.
const INTERPRETER_STACK_BYTES: usize = 1 << 30;

#[derive(Parser, Debug)]
#[command(name = "toyjit", version, about = "A tracing JIT for Toy, a small subset of Python 3")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a Toy program (FILE, or - for standard input).
    Run(RunArgs),
    /// Start an interactive session (what `toyjit` alone does on a terminal).
    Repl(ReplArgs),
}

#[derive(clap::Args, Debug)]
struct ReplArgs {
    /// Interpret only: never compile hot loops.
    #[arg(long)]
    no_jit: bool,
    /// Loop iterations before a loop is traced (1 traces at once).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_JIT_THRESHOLD)]
    jit_threshold: u32,
}

#[derive(clap::Args, Debug)]
struct RunArgs {
    /// The program to run; `-` reads it from standard input.
    file: String,
    /// Interpret only: never compile hot loops.
    #[arg(long)]
    no_jit: bool,
    /// Loop iterations before a loop is traced (1 traces at once).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_JIT_THRESHOLD)]
    jit_threshold: u32,
    /// Print the bytecode of the program instead of running it.
    #[arg(long)]
    dump_bytecode: bool,
    /// Print JIT statistics to stderr at exit.
    #[arg(long)]
    stats: bool,
    /// Show what the JIT does with each hot loop, on stderr: `--trace-dump` (recorded bytecode,
    /// optimized trace IR, events), `--trace-dump=events`, `--trace-dump=ir` (also the IR as
    /// recorded and the Cranelift IR), `--trace-dump=asm` (plus machine code).
    #[arg(long, value_name = "WHAT", num_args = 0..=1, require_equals = true, default_missing_value = "trace")]
    trace_dump: Option<String>,
}

/// Why a program could not be read: the file (status 2, like python3), its encoding (a
/// SyntaxError, status 1), or a directory given as the file (status 1, like python3).
enum ReadError {
    Open(String),
    Decode(String),
    Directory(String),
}

fn read_program(file: &str) -> Result<String, ReadError> {
    let bytes = if file == "-" {
        let mut buffer = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buffer)
            .map_err(|e| ReadError::Open(format!("toyjit: can't read standard input: {e}")))?;
        buffer
    } else if std::path::Path::new(file).is_dir() {
        // What python3 says of a directory without __main__.py (status 1).
        let absolute = std::path::absolute(file).map(|p| p.display().to_string()).unwrap_or_else(|_| file.to_string());
        return Err(ReadError::Directory(format!("toyjit: can't find '__main__' module in '{absolute}'")));
    } else {
        std::fs::read(file).map_err(|e| {
            let absolute =
                std::path::absolute(file).map(|p| p.display().to_string()).unwrap_or_else(|_| file.to_string());
            ReadError::Open(format!(
                "toyjit: can't open file '{absolute}': [Errno {}] {}",
                e.raw_os_error().unwrap_or(0),
                describe_io_error(&e)
            ))
        })?
    };
    String::from_utf8(bytes).map_err(|e| {
        ReadError::Decode(format!(
            "SyntaxError: (unicode error) 'utf-8' codec can't decode byte 0x{:02x} in position {}: invalid start byte",
            e.as_bytes()[e.utf8_error().valid_up_to()],
            e.utf8_error().valid_up_to()
        ))
    })
}

fn describe_io_error(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "No such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "Permission denied".into(),
        _ => e.to_string(),
    }
}

fn run(args: RunArgs) -> i32 {
    let source = match read_program(&args.file) {
        Ok(source) => source,
        Err(ReadError::Open(message)) => {
            eprintln!("{message}");
            return 2;
        }
        Err(ReadError::Decode(message) | ReadError::Directory(message)) => {
            eprintln!("{message}");
            return 1;
        }
    };
    let filename = if args.file == "-" { "<stdin>".to_string() } else { args.file.clone() };
    let dump_level = match DumpLevel::parse(args.trace_dump.as_deref()) {
        Ok(level) => level,
        Err(message) => {
            eprintln!("toyjit: {message}");
            return 2;
        }
    };
    let options = RunOptions {
        dump_bytecode: args.dump_bytecode,
        jit: !args.no_jit,
        jit_threshold: args.jit_threshold,
        dump_level,
        stats: args.stats,
    };
    if let Err(e) = repl::install_sigint_handler() {
        eprintln!("toyjit: cannot install the Ctrl-C handler: {e}");
    }
    let (status, _) = run_source(&filename, &source, &options, Output::stdout());
    if status == 1 && repl::sigint_received() {
        // The program stopped with an uncaught KeyboardInterrupt (its traceback is printed).
        return INTERRUPTED;
    }
    status
}

/// `run`'s status for a program ended by Ctrl-C: the process then dies by SIGINT.
const INTERRUPTED: i32 = 130;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let status = std::thread::Builder::new()
        .name("toyjit".into())
        .stack_size(INTERPRETER_STACK_BYTES)
        .spawn(move || match cli.command {
            Some(Command::Run(args)) => run(args),
            Some(Command::Repl(args)) => {
                repl::run(&ReplOptions { jit: !args.no_jit, jit_threshold: args.jit_threshold })
            }
            None => {
                if std::io::stdin().is_terminal() {
                    repl::run(&ReplOptions::default())
                } else {
                    run(RunArgs {
                        file: "-".into(),
                        no_jit: false,
                        jit_threshold: DEFAULT_JIT_THRESHOLD,
                        dump_bytecode: false,
                        stats: false,
                        trace_dump: None,
                    })
                }
            }
        })
        .map(|handle| handle.join().unwrap_or(70))
        .unwrap_or(70);
    if status == INTERRUPTED && repl::sigint_received() {
        repl::die_by_sigint();
    }
    ExitCode::from(status.clamp(0, 255) as u8)
}
