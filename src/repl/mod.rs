//! The interactive session (`toyjit` on a terminal, `toyjit repl`): `>>> ` / `... ` prompts,
//! line editing and history (rustyline, history in `$XDG_DATA_HOME/toyjit/history`), one
//! [`Vm`] for the whole session so that globals and functions persist, expression statements
//! echoing their repr, errors printed as tracebacks from `<stdin>` without ending the session,
//! Ctrl-C (cancel the line being typed, or interrupt the running program with
//! `KeyboardInterrupt`), Ctrl-D (ends a block typed on `... ` lines, as a blank line does;
//! exits on an empty line), tab completion ([`completion`]) and the `:` commands (`:help`,
//! `:dump on|off`, `:stats`).
//!
//! Also owns the SIGINT handler that `toyjit run` uses ([`sigint`]).
//!
//! Touches: the terminal (through rustyline), stdout/stderr, the history file, the SIGINT
//! disposition of the process, and the interrupt flag (`interp::interrupt`). It drives the VM
//! only through `driver::compile` and `Vm::run_module` (lending it the session's [`Jit`]), and
//! the JIT only through its public `dump`, `dump_level` and `stats_line`.

use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

use rustyline::config::Configurer;
use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::{CompletionType, Config, Editor};

use crate::driver::{self, render_traceback};
use crate::interp::engine::compiler::CompileOptions;
use crate::interp::engine::interrupt;
use crate::interp::engine::native::JitHooks;
use crate::interp::engine::vm::Vm;
use crate::interp::objects::output::Output;
use crate::interp::objects::value::Value;
use crate::jit::Jit;
use crate::jit::dump::DumpLevel;
use crate::parser::{self, SyntaxError, SyntaxErrorKind, ast};

mod completion;
mod sigint;

use completion::ReplHelper;
pub use sigint::{die_by_sigint, install_sigint_handler, sigint_received};

/// The line editor with the prompt's completion.
type LineEditor = Editor<ReplHelper, FileHistory>;

/// The file name tracebacks and syntax errors show, as in python3's REPL.
pub const FILENAME: &str = "<stdin>";
const PS1: &str = ">>> ";
const PS2: &str = "... ";
const HISTORY_ENTRIES: usize = 1000;

const HELP: &str = "\
Type Toy statements; a compound statement (def, if, for, while, try) ends with a blank line
(or Ctrl-D). An expression's value is echoed. Tab completes keywords, builtins and your names.
Ctrl-C cancels the line or interrupts the running program; Ctrl-D on an empty line exits.
  :help            this list
  :dump on|off     print the JIT's trace dump (what each compiled loop is, its recorded
                   bytecode, its optimized trace IR with guards) after each input that
                   compiles a loop
  :stats           JIT statistics for the session (as --stats: traces, exits, recording,
                   compiling and native-code time)
";

/// How the session was asked to run (`toyjit repl --no-jit --jit-threshold N`).
#[derive(Debug, Clone)]
pub struct ReplOptions {
    /// Compile hot loops typed at the prompt.
    pub jit: bool,
    /// Loop iterations before a loop is recorded.
    pub jit_threshold: u32,
}

impl Default for ReplOptions {
    fn default() -> ReplOptions {
        ReplOptions { jit: true, jit_threshold: driver::DEFAULT_JIT_THRESHOLD }
    }
}

/// Where the history is kept: `$XDG_DATA_HOME/toyjit/history`, else
/// `~/.local/share/toyjit/history`.
pub fn history_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_DATA_HOME").map(PathBuf::from).filter(|p| p.is_absolute()).or_else(|| {
        std::env::var_os("HOME").filter(|h| !h.is_empty()).map(|h| PathBuf::from(h).join(".local/share"))
    })?;
    Some(base.join("toyjit").join("history"))
}

/// What to do with the input typed so far.
#[derive(Debug, PartialEq, Eq)]
enum Next {
    /// Compile and run it (or report its error).
    Run,
    /// Read another line with the `... ` prompt.
    More,
}

/// Decides whether `buffer` (the lines typed so far, each ending in `\n`) is a whole input.
/// `blank` says the last line typed was blank. As in python3's REPL: a simple statement runs
/// at once, a compound statement waits for a blank line, an unclosed bracket or string waits
/// even past blank lines, and a real syntax error is reported at once.
fn classify(buffer: &str, blank: bool) -> Next {
    match parser::parse(buffer) {
        Ok(module) => {
            if blank || !module.body.iter().any(is_compound) {
                Next::Run
            } else {
                Next::More
            }
        }
        Err(error) if error.incomplete || header_at_end(&error, buffer) => {
            if blank && !open_bracket_or_string(&error) {
                Next::Run
            } else {
                Next::More
            }
        }
        Err(_) => Next::Run,
    }
}

/// A block header on the last line still waiting for its body. (The parser does not always mark
/// that one `incomplete`, e.g. a `for` header nested in a `def`.)
fn header_at_end(error: &SyntaxError, buffer: &str) -> bool {
    error.kind == SyntaxErrorKind::IndentationError
        && error.message.starts_with("expected an indented block")
        && error.line as usize > buffer.lines().count()
}

fn is_compound(stmt: &ast::Stmt) -> bool {
    matches!(
        stmt.kind,
        ast::StmtKind::If { .. }
            | ast::StmtKind::While { .. }
            | ast::StmtKind::For { .. }
            | ast::StmtKind::FunctionDef { .. }
            | ast::StmtKind::Try { .. }
    )
}

/// An incomplete input that a blank line does not end: inside brackets, a triple-quoted
/// string, or after a trailing backslash (a block header missing its body does end there,
/// with python3's error).
fn open_bracket_or_string(error: &SyntaxError) -> bool {
    error.kind == SyntaxErrorKind::SyntaxError
        && (error.message.contains("never closed")
            || error.message.contains("unterminated triple-quoted")
            || error.message.contains("continuation character"))
}

/// The session's state: the VM (globals, functions), the JIT (`None` with `--no-jit`) and
/// whether the trace dump is on.
pub struct Session {
    vm: Vm,
    jit: Option<Jit>,
    dump: bool,
}

impl Session {
    pub fn new(options: &ReplOptions) -> Session {
        let mut vm = Vm::new(Output::stdout());
        // For `:stats` (as `--stats`): the time spent in compiled loops.
        vm.measure_native_time = options.jit;
        let jit = options.jit.then(|| Jit::new(FILENAME, DumpLevel::Off, options.jit_threshold));
        Session { vm, jit, dump: false }
    }

    fn jit(&mut self) -> Option<&mut Jit> {
        self.jit.as_mut()
    }

    /// The globals the session has bound (functions, variables, imported modules), for
    /// completion.
    pub fn defined_names(&self) -> Vec<String> {
        let names = self.vm.global_names.names.iter().zip(&self.vm.globals);
        names.filter(|(_, value)| !matches!(value, Value::Unbound)).map(|(name, _)| name.to_string()).collect()
    }

    /// Compiles and runs one input; errors go to stderr as tracebacks.
    pub fn execute(&mut self, source: &str) {
        interrupt::clear_interrupt();
        let vm = &mut self.vm;
        let jit = &mut self.jit;
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            match driver::compile(FILENAME, source, vm, CompileOptions { echo_expressions: true }) {
                Err(text) => {
                    let _ = vm.out.flush();
                    to_stderr(&text);
                }
                Ok(code) => {
                    if let Err(uncaught) = vm.run_module(code, jit.as_mut().map(|jit| jit as &mut dyn JitHooks)) {
                        let _ = vm.out.flush();
                        // Like python3.11's REPL, no source lines: `<stdin>` cannot be re-read.
                        to_stderr(&render_traceback(FILENAME, "", &uncaught));
                    }
                }
            }
        }));
        interrupt::clear_interrupt();
        let _ = self.vm.out.flush();
        if outcome.is_err() {
            to_stderr("toyjit: internal error while running that input (the session goes on)\n");
        }
        if let Some(jit) = self.jit() {
            let dump = jit.take_dump();
            if !dump.is_empty() {
                to_stderr(&dump);
            }
        }
    }

    /// Runs a `:` command; returns what to print.
    pub fn command(&mut self, line: &str) -> String {
        let mut words = line.trim().trim_start_matches(':').split_whitespace();
        let name = words.next().unwrap_or("");
        let argument = words.next();
        let extra = words.next();
        match (name, argument, extra) {
            ("help", None, None) => HELP.to_string(),
            ("stats", None, None) => match &self.jit {
                None => "[jit] off (--no-jit)\n".to_string(),
                Some(jit) => format!("{}\n", jit.stats_line(Some(self.vm.native_time))),
            },
            ("dump", Some(state @ ("on" | "off")), None) => {
                let on = state == "on";
                match self.jit() {
                    None => "the JIT is off (--no-jit): there is nothing to dump\n".to_string(),
                    Some(jit) => {
                        jit.set_dump_level(if on { DumpLevel::Summary } else { DumpLevel::Off });
                        self.dump = on;
                        format!("trace dump {state}\n")
                    }
                }
            }
            ("dump", None, None) => format!("trace dump is {} (:dump on|off)\n", if self.dump { "on" } else { "off" }),
            _ => format!("unknown command '{}' (:help lists the commands)\n", line.trim()),
        }
    }
}

/// Runs the interactive session; returns the exit status (0 after Ctrl-D).
pub fn run(options: &ReplOptions) -> i32 {
    if let Err(e) = install_sigint_handler() {
        to_stderr(&format!("toyjit: cannot install the Ctrl-C handler: {e}\n"));
    }
    let config = Config::builder()
        .auto_add_history(false)
        .completion_type(CompletionType::List)
        .max_history_size(HISTORY_ENTRIES)
        .map(|b| b.build())
        .unwrap_or_default();
    let mut editor = match LineEditor::with_config(config) {
        Ok(editor) => editor,
        Err(e) => {
            to_stderr(&format!("toyjit: cannot start the line editor: {e}\n"));
            return 1;
        }
    };
    editor.set_helper(Some(ReplHelper::default()));
    let history = history_path();
    if let Some(path) = &history {
        let _ = editor.load_history(path);
    }
    to_stderr(&format!(
        "toyjit {} (Toy, a subset of Python 3.11; JIT {}). Type :help for commands, Ctrl-D to exit.\n",
        env!("CARGO_PKG_VERSION"),
        if options.jit { "on" } else { "off" }
    ));
    let mut session = Session::new(options);
    let mut buffer = String::new();
    let mut ran_program = false;
    loop {
        let prompt = if buffer.is_empty() { PS1 } else { PS2 };
        // After a program ran, its output may not have ended its line (`print(x, end="")`):
        // rustyline then asks the terminal where the cursor is and starts the prompt on a new
        // line instead of overwriting that output. (Only then: while it waits for the
        // terminal's answer, a key typed at that instant would be lost.)
        editor.set_check_cursor_position(ran_program);
        ran_program = false;
        if let Some(helper) = editor.helper_mut() {
            helper.set_globals(session.defined_names());
        }
        let line = match editor.readline(prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => {
                to_stdout("KeyboardInterrupt\n");
                buffer.clear();
                continue;
            }
            Err(ReadlineError::Eof) if !buffer.is_empty() => {
                // As python3: Ctrl-D on a `... ` line ends the block (runs it, or reports its
                // error) and the session goes on.
                to_stdout("\n");
                let source = std::mem::take(&mut buffer);
                session.execute(&source);
                ran_program = true;
                save_history(&mut editor, history.as_ref());
                continue;
            }
            Err(ReadlineError::Eof) => {
                to_stdout("\n");
                break;
            }
            Err(e) => {
                to_stderr(&format!("toyjit: cannot read the input: {e}\n"));
                save_history(&mut editor, history.as_ref());
                return 1;
            }
        };
        let blank = line.trim().is_empty();
        if !blank {
            let _ = editor.add_history_entry(line.as_str());
        }
        if buffer.is_empty() {
            if blank {
                continue;
            }
            if line.trim_start().starts_with(':') {
                to_stdout(&session.command(&line));
                save_history(&mut editor, history.as_ref());
                continue;
            }
        }
        buffer.push_str(&line);
        buffer.push('\n');
        if classify(&buffer, blank) == Next::Run {
            let source = std::mem::take(&mut buffer);
            session.execute(&source);
            ran_program = true;
            save_history(&mut editor, history.as_ref());
        }
    }
    save_history(&mut editor, history.as_ref());
    0
}

/// Prints to stdout; a closed stdout must not end (or crash) the session.
fn to_stdout(text: &str) {
    let mut stdout = std::io::stdout();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

/// Prints to stderr, ignoring failures.
fn to_stderr(text: &str) {
    let _ = std::io::stderr().write_all(text.as_bytes());
}

/// Appends this session's new history entries to the history file; failure is not an error.
fn save_history(editor: &mut LineEditor, path: Option<&PathBuf>) {
    if let Some(path) = path {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = editor.append_history(path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_statements_run_at_once() {
        assert_eq!(classify("x = 1\n", false), Next::Run);
        assert_eq!(classify("print(x)\n", false), Next::Run);
        assert_eq!(classify("1 +\n", false), Next::Run); // a syntax error, reported at once
    }

    #[test]
    fn compound_statements_wait_for_a_blank_line() {
        assert_eq!(classify("def f(x):\n", false), Next::More);
        assert_eq!(classify("def f(x):\n    return x\n", false), Next::More);
        assert_eq!(classify("def f(x):\n    return x\n\n", true), Next::Run);
        assert_eq!(classify("if x: pass\n", false), Next::More);
        assert_eq!(classify("for i in range(3):\n    pass\n", false), Next::More);
        assert_eq!(classify("try:\n    x = 1\n", false), Next::More);
        assert_eq!(classify("if x:\n    pass\nelse:\n", false), Next::More);
        assert_eq!(classify("def h(n):\n    t = 0\n    for i in range(n):\n", false), Next::More);
        assert_eq!(classify("def h(n):\n    if n:\n        while n:\n", false), Next::More);
        assert_eq!(classify("def h(n):\n    t = 0\n    for i in range(n):\n        t += i\n", false), Next::More);
    }

    #[test]
    fn a_blank_line_ends_a_block_header_without_body_with_an_error() {
        assert_eq!(classify("def f():\n\n", true), Next::Run);
        assert_eq!(classify("try:\n    x = 1\n\n", true), Next::Run);
        assert_eq!(classify("def h(n):\n    for i in n:\n\n", true), Next::Run);
    }

    #[test]
    fn brackets_and_strings_continue_past_blank_lines() {
        assert_eq!(classify("x = (1,\n", false), Next::More);
        assert_eq!(classify("x = (1,\n\n", true), Next::More);
        assert_eq!(classify("x = [1,\n2]\n", false), Next::Run);
        assert_eq!(classify("s = '''a\n\n", true), Next::More);
        assert_eq!(classify("x = 1 + \\\n", false), Next::More);
    }

    #[test]
    fn commands() {
        let mut session = Session::new(&ReplOptions::default());
        assert!(session.command(":help").contains(":dump on|off"));
        assert_eq!(session.command(":dump on"), "trace dump on\n");
        assert!(session.jit().is_some_and(|j| j.dump_level() == DumpLevel::Summary));
        assert_eq!(session.command(":dump off"), "trace dump off\n");
        let stats = session.command(":stats");
        assert!(stats.starts_with("[jit] traces compiled: 0") && stats.contains("in native code: "), "{stats}");
        assert!(session.command(":frobnicate").starts_with("unknown command ':frobnicate'"));
        assert!(session.command(":dump maybe").starts_with("unknown command"));
        let mut no_jit = Session::new(&ReplOptions { jit: false, jit_threshold: 1 });
        assert_eq!(no_jit.command(":stats"), "[jit] off (--no-jit)\n");
    }

    #[test]
    fn history_under_xdg_data_home() {
        // Only checks the layout; the environment is not modified by the test.
        if let Some(path) = history_path() {
            assert!(path.ends_with("toyjit/history"));
        }
    }
}
