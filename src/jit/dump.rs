//! The teaching dump (`toyjit run --trace-dump[=WHAT]`): for each compiled loop, where it
//! starts, the bytecode recorded (with source lines), the trace IR with its guards and
//! snapshots (variable names beside slots), the Cranelift IR, and on request the machine code;
//! plus events (aborted recordings and why, exits taken). Deterministic unless machine code
//! is asked for: no addresses, no timings.
//!
//! Pure formatting: reads traces and code objects, writes strings.

use std::fmt::Write as _;

use crate::interp::bytecode::CodeObject;

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
    /// Events plus, per trace, the recorded bytecode, the IR and the Cranelift IR.
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
            Some("ir") | Some("") => Ok(DumpLevel::Traces),
            Some("asm") => Ok(DumpLevel::MachineCode),
            Some(other) => Err(format!("unknown --trace-dump value '{other}' (use events, ir or asm)")),
        }
    }

    pub fn shows_events(self) -> bool {
        self >= DumpLevel::Events
    }

    pub fn shows_traces(self) -> bool {
        self >= DumpLevel::Traces
    }

    pub fn shows_machine_code(self) -> bool {
        self >= DumpLevel::MachineCode
    }
}

/// One compiled trace, as the dump shows it.
pub fn trace_report(
    id: u32,
    start: &str,
    code: &CodeObject,
    recorded: &[RecordedInstr],
    trace: &Trace,
    compiled: &CompiledTrace,
    level: DumpLevel,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "==== trace T{id}: the loop at {start} ====");
    let _ = writeln!(out, "---- recorded bytecode (one iteration) ----");
    let mut last_line = 0;
    for instr in recorded {
        let line = if instr.line != last_line { format!("{:>4}", instr.line) } else { "    ".into() };
        last_line = instr.line;
        let _ = writeln!(out, "{line} {:>5}  {}", instr.pc, instr.text);
        if instr.line == 0 || code.lines.is_empty() {
            continue;
        }
    }
    let _ = writeln!(out, "---- trace IR: preamble, then the loop body ----");
    out.push_str(&trace.to_string());
    let _ = writeln!(out, "---- Cranelift IR ----");
    out.push_str(&compiled.clif);
    if !compiled.clif.ends_with('\n') {
        out.push('\n');
    }
    if level.shows_machine_code()
        && let Some(asm) = &compiled.disassembly
    {
        let _ = writeln!(out, "---- machine code ({} bytes) ----", compiled.code_size);
        out.push_str(asm);
        if !asm.ends_with('\n') {
            out.push('\n');
        }
    }
    let _ = writeln!(out, "==== end of T{id}: loops back to its start ====");
    out
}
