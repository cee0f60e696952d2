//! The command line's shape (clap): `toyjit [FLAGS] [FILE [ARGS...]]` as `python3 FILE` does,
//! `toyjit run [FLAGS] FILE [ARGS]`, `toyjit repl`, `toyjit compare FILE`; plus the checks clap cannot
//! express with a helpful message (a `--trace-dump` level given with a space instead of `=`).
//!
//! Touches nothing: it only reads the argument list and describes what was asked.

use clap::builder::{PossibleValue, PossibleValuesParser};
use clap::{Parser, Subcommand};

use toyjit::driver::DEFAULT_JIT_THRESHOLD;

#[derive(Parser, Debug)]
#[command(
    name = "toyjit",
    version,
    about = "A tracing JIT for Toy, a small subset of Python 3",
    override_usage = "toyjit [FLAGS] [FILE [ARGS]...]   run FILE (- = stdin) as `python3 FILE` does\n       \
                      toyjit run [FLAGS] FILE [ARGS]...\n       \
                      toyjit compare FILE\n       \
                      toyjit [repl]                    the interactive prompt",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub flags: RunFlags,
    /// The program to run (`-` reads it from standard input), then its arguments: what follows
    /// FILE belongs to the program, as with python3 (Toy programs cannot read them: there is no
    /// `sys.argv`). Without FILE: the prompt on a terminal, else the program on standard input.
    #[arg(value_name = "FILE [ARGS]", trailing_var_arg = true, allow_hyphen_values = true)]
    pub command_line: Vec<String>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a Toy program (FILE, or - for standard input).
    Run(RunArgs),
    /// Start an interactive session (what `toyjit` alone does on a terminal).
    Repl(ReplArgs),
    /// Run FILE in the interpreter and with the JIT (and in python3 and pypy3 when they are on
    /// PATH), check that the outputs agree, and print the times and speedups.
    Compare(CompareArgs),
}

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// The program to run; `-` reads it from standard input.
    pub file: String,
    /// The program's arguments: as with `toyjit FILE ARGS` (and python3), what follows FILE
    /// belongs to the program, flags included; Toy programs cannot read them.
    #[arg(value_name = "ARGS", trailing_var_arg = true, allow_hyphen_values = true)]
    pub program_args: Vec<String>,
    #[command(flatten)]
    pub flags: RunFlags,
}

/// The flags that shape a run; shared by `toyjit FILE` and `toyjit run FILE`.
#[derive(clap::Args, Debug, Clone)]
pub struct RunFlags {
    /// Interpret only: never compile hot loops.
    #[arg(long)]
    pub no_jit: bool,
    /// Loop iterations before a loop is traced (1 traces at once).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_JIT_THRESHOLD, value_parser = clap::value_parser!(u32).range(1..))]
    pub jit_threshold: u32,
    /// Where the JIT runs Cranelift: `background` (a compile thread; the interpreter goes on
    /// meanwhile; the default on a machine with more than one core) or `inline` (on the
    /// interpreter's thread: what is compiled when depends only on the program).
    #[arg(long, value_name = "WHERE", value_parser = ["inline", "background"])]
    pub jit_compile: Option<String>,
    /// Print the bytecode of the program instead of running it.
    #[arg(long)]
    pub dump_bytecode: bool,
    /// Print JIT statistics to stderr at exit.
    #[arg(long)]
    pub stats: bool,
    /// Show what the JIT does with each hot loop, on stderr: `--trace-dump` (recorded bytecode,
    /// optimized trace IR, events), `--trace-dump=events`, `--trace-dump=ir` (also the IR as
    /// recorded and the Cranelift IR), `--trace-dump=asm` (plus machine code).
    #[arg(
        long,
        value_name = "WHAT",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "trace",
        value_parser = trace_dump_values()
    )]
    pub trace_dump: Option<String>,
    /// Write a page explaining what the JIT did (the trace tree, each trace beside the source,
    /// where the time went) to REPORT.html: one self-contained file for a browser.
    #[arg(long, value_name = "REPORT.html")]
    pub explore: Option<String>,
}

impl Default for RunFlags {
    fn default() -> RunFlags {
        RunFlags {
            no_jit: false,
            jit_threshold: DEFAULT_JIT_THRESHOLD,
            jit_compile: None,
            dump_bytecode: false,
            stats: false,
            trace_dump: None,
            explore: None,
        }
    }
}

/// The levels `--help` lists; `trace` (what `--trace-dump` alone means) is accepted but hidden,
/// so that an error for a bad value lists only what the help shows.
fn trace_dump_values() -> PossibleValuesParser {
    PossibleValuesParser::new([
        PossibleValue::new("events"),
        PossibleValue::new("ir"),
        PossibleValue::new("asm"),
        PossibleValue::new("trace").hide(true),
    ])
}

/// The levels `--trace-dump` takes after `=`, for the hint when one follows it after a space.
const TRACE_DUMP_LEVELS: &[&str] = &["events", "ir", "asm", "trace"];

#[derive(clap::Args, Debug)]
pub struct ReplArgs {
    /// Interpret only: never compile hot loops.
    #[arg(long)]
    pub no_jit: bool,
    /// Loop iterations before a loop is traced (1 traces at once).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_JIT_THRESHOLD, value_parser = clap::value_parser!(u32).range(1..))]
    pub jit_threshold: u32,
}

#[derive(clap::Args, Debug)]
pub struct CompareArgs {
    /// The program to time.
    pub file: String,
    /// Runs per engine; the table shows the fastest.
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    pub runs: u32,
    /// Time only toyjit's two engines, even when python3 or pypy3 is on PATH.
    #[arg(long)]
    pub no_peers: bool,
}

/// A misuse clap would report confusingly: `--trace-dump ir FILE` (clap reads `ir` as the
/// file). Returns the message, naming what was meant, when `args` (without the program name)
/// hold such a pair and no file of that name exists.
pub fn misplaced_flag_value(args: &[String]) -> Option<String> {
    for pair in args.windows(2) {
        let (flag, value) = (pair[0].as_str(), pair[1].as_str());
        if flag == "--" {
            return None;
        }
        if flag == "--trace-dump" && TRACE_DUMP_LEVELS.contains(&value) && !std::path::Path::new(value).exists() {
            let meant = if value == "trace" { "--trace-dump".to_string() } else { format!("--trace-dump={value}") };
            return Some(format!(
                "error: `--trace-dump {value}` reads `{value}` as the program: the level takes an `=`\n\n  \
                 tip: did you mean `{meant}`?\n\nFor more information, try '--help'."
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_level_after_a_space_is_named_with_its_equals_sign() {
        let message = misplaced_flag_value(&strings(&["run", "--trace-dump", "ir", "x.toy"])).unwrap();
        assert!(message.contains("`--trace-dump=ir`"), "{message}");
        assert_eq!(misplaced_flag_value(&strings(&["--trace-dump=ir", "x.toy"])), None);
        assert_eq!(misplaced_flag_value(&strings(&["--trace-dump", "x.toy"])), None);
        assert_eq!(misplaced_flag_value(&strings(&["x.toy", "--", "--trace-dump", "ir"])), None);
    }

    #[test]
    fn python_style_and_run_forms_parse_alike() {
        let cli = Cli::try_parse_from(["toyjit", "--no-jit", "--jit-threshold", "5", "f.toy", "a", "--stats"]).unwrap();
        assert!(cli.command.is_none());
        assert!(cli.flags.no_jit && !cli.flags.stats);
        assert_eq!(cli.flags.jit_threshold, 5);
        assert_eq!(cli.command_line, ["f.toy", "a", "--stats"]);
        let cli = Cli::try_parse_from(["toyjit", "f.toy", "--no-jit"]).unwrap();
        assert!(!cli.flags.no_jit);
        assert_eq!(cli.command_line, ["f.toy", "--no-jit"]);
        let cli = Cli::try_parse_from(["toyjit", "run", "--no-jit", "f.toy"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Run(ref run)) if run.flags.no_jit && run.file == "f.toy"));
        let cli = Cli::try_parse_from(["toyjit", "run", "f.toy", "a", "--stats"]).unwrap();
        let Some(Command::Run(run)) = cli.command else { panic!("not a run: {cli:?}") };
        assert!(!run.flags.stats);
        assert_eq!((run.file.as_str(), run.program_args.as_slice()), ("f.toy", &strings(&["a", "--stats"])[..]));
    }

    #[test]
    fn zero_threshold_and_unlisted_levels_are_refused() {
        assert!(Cli::try_parse_from(["toyjit", "--jit-threshold", "0", "f.toy"]).is_err());
        assert!(Cli::try_parse_from(["toyjit", "repl", "--jit-threshold", "0"]).is_err());
        let error = Cli::try_parse_from(["toyjit", "--trace-dump=bogus", "f.toy"]).unwrap_err().to_string();
        assert!(error.contains("events, ir, asm") && !error.contains("trace]"), "{error}");
        let cli = Cli::try_parse_from(["toyjit", "--trace-dump", "f.toy"]).unwrap();
        assert_eq!(cli.flags.trace_dump.as_deref(), Some("trace"));
    }
}
