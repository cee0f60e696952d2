//! The `toyjit` command line: `toyjit [FLAGS] FILE` and `toyjit run [FLAGS] FILE` (and `-` for
//! stdin), `toyjit compare FILE` (see `cli::compare`), and the interactive session (`toyjit repl`,
//! or `toyjit` alone on a terminal; see `toyjit::repl`).
//!
//! Parses arguments with clap (the grammar is in `cli::args`), reads the program, and runs it on a thread with a large stack
//! (deeply nested data structures are dropped and printed recursively), exiting with the
//! program's status. Ctrl-C stops a running program with `KeyboardInterrupt`; `toyjit run`
//! then dies by SIGINT, as python3 does (the shell sees status 130).

use std::io::{IsTerminal, Read};
use std::process::ExitCode;

use clap::Parser;

use cli::args::{Cli, Command, RunFlags};
use toyjit::driver::{RunOptions, run_source};
use toyjit::interp::objects::output::Output;
use toyjit::jit::compile_thread::CompileMode;
use toyjit::jit::dump::DumpLevel;
use toyjit::repl::{self, ReplOptions};

mod cli;

/// mimalloc (see `toyjit::allocator`): Toy programs allocate many small short-lived objects.
#[global_allocator]
static ALLOCATOR: toyjit::allocator::Mimalloc = toyjit::allocator::Mimalloc;

/// Stack for the interpreter thread: Toy calls do not use it, but dropping or printing a
/// million-deep nested list recurses in Rust.
const INTERPRETER_STACK_BYTES: usize = 1 << 30;

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

fn run(file: &str, args: RunFlags) -> i32 {
    let source = match read_program(file) {
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
    let filename = if file == "-" { "<stdin>".to_string() } else { file.to_string() };
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
        explore: args.explore,
        jit_compile: args.jit_compile.as_deref().and_then(CompileMode::named),
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
    let raw_args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(message) = cli::args::misplaced_flag_value(&raw_args) {
        eprintln!("{message}");
        return ExitCode::from(2);
    }
    let cli = Cli::parse();
    let status = std::thread::Builder::new()
        .name("toyjit".into())
        .stack_size(INTERPRETER_STACK_BYTES)
        .spawn(move || match cli.command {
            Some(Command::Run(args)) => run(&args.file, args.flags),
            Some(Command::Repl(args)) => {
                repl::run(&ReplOptions { jit: !args.no_jit, jit_threshold: args.jit_threshold })
            }
            Some(Command::Compare(args)) => cli::compare::run(&args),
            None => match cli.command_line.split_first() {
                Some((file, program_args)) => {
                    warn_about_flags_after_file(program_args);
                    run(file, cli.flags)
                }
                None if std::io::stdin().is_terminal() => {
                    repl::run(&ReplOptions { jit: !cli.flags.no_jit, jit_threshold: cli.flags.jit_threshold })
                }
                None => run("-", cli.flags),
            },
        })
        .map(|handle| handle.join().unwrap_or(70))
        .unwrap_or(70);
    if status == INTERRUPTED && repl::sigint_received() {
        repl::die_by_sigint();
    }
    ExitCode::from(status.clamp(0, 255) as u8)
}

/// What follows FILE belongs to the program, as with python3; a toyjit flag there was most
/// likely meant for toyjit, so say where it goes (stderr only: the run goes on).
fn warn_about_flags_after_file(program_args: &[String]) {
    let own_flag = |arg: &String| {
        ["--no-jit", "--jit-threshold", "--jit-compile", "--dump-bytecode", "--stats", "--trace-dump", "--explore"]
            .iter()
            .any(|flag| arg == flag || arg.starts_with(&format!("{flag}=")))
    };
    if let Some(flag) = program_args.iter().find(|arg| own_flag(arg)) {
        eprintln!("toyjit: note: `{flag}` after FILE is passed to the program, as python3 does; put it before FILE");
    }
}
