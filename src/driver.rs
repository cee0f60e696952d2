//! Runs a whole program: parse, compile, execute, and report errors the way CPython does
//! (a SyntaxError with a caret, or a traceback), returning the process exit status.
//!
//! Used by `main.rs` (`toyjit run`) and by the tests; everything it prints goes to the given
//! output (stdout) and to stderr.

use std::io::Write;

use crate::interp::engine::bytecode::CodeObject;
use crate::interp::engine::compiler::{self, CompileError, CompileOptions};
use crate::interp::engine::locations::caret_line;
use crate::interp::engine::native::JitHooks;
use crate::interp::engine::vm::{Uncaught, Vm};
use crate::interp::objects::error::ExcKind;
use crate::interp::objects::format;
use crate::interp::objects::output::{FLUSH_AT_EXIT_FAILED, Output};
use crate::interp::objects::value::Value;
use crate::jit::Jit;
use crate::jit::compile_thread::CompileMode;
use crate::jit::dump::DumpLevel;
use crate::parser::{self, LineIndex};

/// What `toyjit run` was asked to do.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Print the bytecode instead of running.
    pub dump_bytecode: bool,
    /// Compile hot loops (`--no-jit` turns it off).
    pub jit: bool,
    /// Loop iterations before recording (`--jit-threshold`).
    pub jit_threshold: u32,
    /// What `--trace-dump` shows.
    pub dump_level: DumpLevel,
    /// Print JIT statistics at exit (`--stats`).
    pub stats: bool,
    /// Write the explorer page there (`--explore`).
    pub explore: Option<String>,
    /// Where the JIT's code generation runs (`--jit-compile`); `None`: the machine's default.
    pub jit_compile: Option<CompileMode>,
}

impl Default for RunOptions {
    fn default() -> RunOptions {
        RunOptions {
            dump_bytecode: false,
            jit: true,
            jit_threshold: DEFAULT_JIT_THRESHOLD,
            dump_level: DumpLevel::Off,
            stats: false,
            explore: None,
            jit_compile: None,
        }
    }
}

/// Loop iterations before a loop is recorded, by default.
pub const DEFAULT_JIT_THRESHOLD: u32 = 100;

/// Parses and compiles `source`; on failure returns the rendered error text.
pub fn compile(
    filename: &str,
    source: &str,
    vm: &mut Vm,
    options: CompileOptions,
) -> Result<std::rc::Rc<CodeObject>, String> {
    let module = parser::parse(source).map_err(|e| e.render(filename, source))?;
    compiler::compile_module(&module, source, &mut vm.global_names, options)
        .map_err(|e| render_compile_error(filename, source, &e))
}

/// Runs a program; returns the exit status (0, or 1 after an error).
pub fn run_source(filename: &str, source: &str, options: &RunOptions, out: Output) -> (i32, Output) {
    let mut vm = Vm::new(out);
    // The driver owns the JIT and lends it to the VM for the run.
    let mut jit = options.jit.then(|| Jit::new(filename, options.dump_level, options.jit_threshold));
    if let (Some(jit), Some(_)) = (jit.as_mut(), &options.explore) {
        jit.keep_model();
    }
    if let (Some(jit), Some(mode)) = (jit.as_mut(), options.jit_compile) {
        jit.set_compile_mode(mode);
    }
    vm.measure_native_time = options.jit && (options.stats || options.explore.is_some());
    let started = std::time::Instant::now();
    let code = match compile(filename, source, &mut vm, CompileOptions::default()) {
        Ok(code) => code,
        Err(text) => {
            eprint!("{text}");
            return (1, vm.out);
        }
    };
    if options.dump_bytecode {
        let _ = write!(vm.out, "{}", code.disassemble(&vm.global_names.names));
        let _ = vm.out.flush();
        return (0, vm.out);
    }
    let (mut status, flush_failed) = match vm.run_module(code, jit.as_mut().map(|jit| jit as &mut dyn JitHooks)) {
        Ok(()) => (0, vm.out.finish()),
        Err(uncaught) => {
            // Output printed before the error goes out first; a failure to write it is
            // reported after the traceback, as python3 does.
            let flush_failed = vm.out.finish();
            eprint!("{}", render_traceback(filename, source, &uncaught));
            (1, flush_failed)
        }
    };
    if let Some(report) = flush_failed {
        eprint!("{report}");
        status = FLUSH_AT_EXIT_FAILED;
    }
    let run_time = started.elapsed();
    report_jit(jit.as_mut(), vm.native_time, options);
    if let Some(path) = &options.explore {
        let report = jit.as_ref().map(|jit| jit.run_report()).unwrap_or_default();
        let page = crate::explore::page(filename, source, &report, run_time);
        if let Err(e) = std::fs::write(path, page) {
            eprintln!("toyjit: cannot write the explorer page {path}: {e}");
        }
    }
    (status, vm.out)
}

/// The trace dump's closing events and `--stats`, on stderr.
fn report_jit(jit: Option<&mut Jit>, native_time: std::time::Duration, options: &RunOptions) {
    let Some(jit) = jit else {
        if options.stats || options.dump_level.shows_events() {
            eprintln!("[jit] off (--no-jit): nothing is recorded or compiled");
        }
        return;
    };
    let events = jit.finish();
    if options.dump_level.shows_events() {
        eprint!("{events}");
        if events.is_empty() {
            eprintln!(
                "[jit] nothing was compiled: no loop ran {} times (--jit-threshold), so none got hot",
                options.jit_threshold
            );
        }
    }
    if options.stats {
        eprintln!("{}", jit.stats_line(Some(native_time)));
    }
}

/// A compile-time error in CPython's SyntaxError layout.
pub fn render_compile_error(filename: &str, source: &str, error: &CompileError) -> String {
    let lines = LineIndex::new(source);
    let (line, column) = lines.line_col(error.span.start);
    let text = lines.line_text(source, line);
    let trimmed = text.trim_start();
    let indent = text.chars().count() - trimmed.chars().count();
    let caret_at = (column as usize).saturating_sub(1).saturating_sub(indent);
    let mut out = format!("  File \"{filename}\", line {line}\n");
    if !trimmed.is_empty() {
        out.push_str(&format!("    {}\n    {}^\n", trimmed.trim_end(), " ".repeat(caret_at)));
    }
    out.push_str(&format!("{}: {}\n", error.class, error.message));
    out
}

/// CPython's traceback: outermost call first, runs of the same line folded, then the
/// exception's class and message.
pub fn render_traceback(filename: &str, source: &str, uncaught: &Uncaught) -> String {
    let lines = LineIndex::new(source);
    let mut out = String::from("Traceback (most recent call last):\n");
    let mut previous: Option<(&str, u32)> = None;
    let mut repeats = 0usize;
    let flush_repeats = |out: &mut String, repeats: usize| {
        if repeats > 3 {
            let more = repeats - 3;
            out.push_str(&format!("  [Previous line repeated {more} more time{}]\n", if more == 1 { "" } else { "s" }));
        }
    };
    let innermost = uncaught.traceback.len().saturating_sub(1);
    let lookup_failed = uncaught.exception.kind == ExcKind::AttributeError;
    for (depth, entry) in uncaught.traceback.iter().enumerate() {
        let key = (entry.function.as_str(), entry.line);
        if previous == Some(key) {
            repeats += 1;
            if repeats >= 3 {
                continue;
            }
        } else {
            flush_repeats(&mut out, repeats + 1);
            repeats = 0;
            previous = Some(key);
        }
        out.push_str(&format!("  File \"{filename}\", line {}, in {}\n", entry.line, entry.function));
        let line = lines.line_text(source, entry.line);
        let text = line.trim();
        if !text.is_empty() {
            out.push_str(&format!("    {text}\n"));
            let line_start = lines.line_start(entry.line).unwrap_or(0);
            let location = entry.location.marked(lookup_failed && depth == innermost);
            if let Some(carets) = caret_line(source, line_start, line, &location) {
                out.push_str(&carets);
                out.push('\n');
            }
        }
    }
    flush_repeats(&mut out, repeats + 1);
    out.push_str(&exception_line(&uncaught.exception));
    out.push('\n');
    out
}

/// `ValueError: message`, or just `ValueError` when the message is empty.
pub fn exception_line(exception: &crate::interp::objects::value::ExcObj) -> String {
    let value = Value::Exception(std::rc::Rc::new(exception.clone()));
    let message = format::str_of(&value).unwrap_or_default();
    if message.is_empty() {
        exception.kind.name().to_string()
    } else {
        format!("{}: {}", exception.kind.name(), message)
    }
}
