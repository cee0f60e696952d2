//! The teaching dump (`toyjit run --trace-dump[=WHAT]`): for each compiled loop, where it
//! starts, the bytecode recorded (with source lines), the trace IR with its guards and
//! snapshots (variable names beside slots), the Cranelift IR, and on request the machine code;
//! plus events (aborted recordings and why, exits taken). Deterministic unless machine code
//! is asked for: no addresses, no timings.
//!
//! Pure formatting: reads traces and code objects, writes strings.

use std::fmt::Write as _;

use super::ir::Trace;
use super::lower::CompiledTrace;
use super::recorder::RecordedInstr;

/// How much `--trace-dump` shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DumpLevel {
    /// Nothing (the default).
    Off,
    /// Events only: traces compiled, recordings aborted and why, exits taken.
    Events,
    /// Events plus, per trace, the recorded bytecode and the optimized IR with its snapshots
    /// (the default of `--trace-dump`: a trace fits on a screen or two).
    Summary,
    /// All that plus the IR as recorded, the optimizer's passes and the Cranelift IR.
    Traces,
    /// All of that plus the machine code.
    MachineCode,
}

impl DumpLevel {
    /// Parses the value of `--trace-dump=WHAT`.
    pub fn parse(what: Option<&str>) -> Result<DumpLevel, String> {
        match what {
            None => Ok(DumpLevel::Off),
            Some("events") => Ok(DumpLevel::Events),
            Some("trace") | Some("") => Ok(DumpLevel::Summary),
            Some("ir") => Ok(DumpLevel::Traces),
            Some("asm") => Ok(DumpLevel::MachineCode),
            Some(other) => Err(format!("unknown --trace-dump value '{other}' (use events, trace, ir or asm)")),
        }
    }

    pub fn shows_events(self) -> bool {
        self >= DumpLevel::Events
    }

    pub fn shows_traces(self) -> bool {
        self >= DumpLevel::Summary
    }

    /// The IR before optimization and the Cranelift IR, besides the summary.
    pub fn shows_full_ir(self) -> bool {
        self >= DumpLevel::Traces
    }

    pub fn shows_machine_code(self) -> bool {
        self >= DumpLevel::MachineCode
    }
}

/// Everything the dump shows about one compiled trace.
pub struct TraceReport<'a> {
    pub id: u32,
    /// What the trace is: `the loop at file:line in f`, or `side trace of T1 exit 3, at ...`.
    pub heading: &'a str,
    /// How it ends: `loops back to its start`, `links to T1 ...`.
    pub ending: &'a str,
    pub recorded: &'a [RecordedInstr],
    /// The IR as recorded (after loop peeling), before the optimizer.
    pub recorded_trace: &'a Trace,
    /// One line per optimizer pass.
    pub passes: &'a [String],
    /// The IR that was compiled.
    pub trace: &'a Trace,
    pub compiled: &'a CompiledTrace,
}

/// One compiled trace, as the dump shows it.
pub fn trace_report(report: &TraceReport<'_>, level: DumpLevel) -> String {
    let mut out = String::new();
    let id = report.id;
    let _ = writeln!(out, "==== trace T{id}: {} ====", report.heading);
    let function_entry = report.heading.starts_with("function entry");
    let what = if report.recorded_trace.loop_start().is_some() {
        "one iteration"
    } else if function_entry {
        "from the function's first instruction"
    } else {
        "from the exit on"
    };
    let _ = writeln!(out, "---- recorded bytecode ({what}; line, pc, instruction) ----");
    let mut last_line = 0;
    for instr in report.recorded {
        let line = if instr.line != last_line { format!("{:>4}", instr.line) } else { "    ".into() };
        last_line = instr.line;
        // Instructions of inlined calls are indented, one step per call.
        let _ = writeln!(out, "{line} {:>5}  {}{}", instr.pc, "    ".repeat(instr.depth), instr.text);
    }
    let shape = if report.recorded_trace.loop_start().is_some() {
        "the first iteration (preamble), then the loop body"
    } else if function_entry {
        "a function entry: straight line, then Ret"
    } else if matches!(report.recorded_trace.insts.last().map(|i| i.op), Some(crate::jit::ir::Op::Ret { .. })) {
        "a side trace: straight line, then Ret"
    } else if matches!(report.recorded_trace.insts.last().map(|i| i.op), Some(crate::jit::ir::Op::Leave { .. })) {
        "a side trace: straight line, then Leave"
    } else {
        "a side trace: straight line, then Link"
    };
    if level.shows_full_ir() {
        let _ = writeln!(out, "---- trace IR as recorded ({shape}) ----");
        out.push_str(&report.recorded_trace.to_string());
        let _ = writeln!(out, "---- optimizer ----");
        for line in report.passes {
            let _ = writeln!(out, "{line}");
        }
        let _ = writeln!(out, "---- trace IR compiled ----");
    } else {
        let _ = writeln!(out, "---- trace IR, optimized ({shape}; --trace-dump=ir shows more) ----");
    }
    out.push_str(&report.trace.to_string());
    if level.shows_full_ir()
        && let Some(clif) = &report.compiled.clif
    {
        let _ = writeln!(out, "---- Cranelift IR ----");
        out.push_str(clif);
        if !clif.ends_with('\n') {
            out.push('\n');
        }
    }
    if level.shows_machine_code()
        && let Some(asm) = &report.compiled.disassembly
    {
        let _ = writeln!(out, "---- machine code ({} bytes) ----", report.compiled.code_size);
        out.push_str(asm);
        if !asm.ends_with('\n') {
            out.push('\n');
        }
    }
    let _ = writeln!(out, "==== end of T{id}: {} ====", report.ending);
    out
}
