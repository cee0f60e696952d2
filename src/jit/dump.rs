//! The teaching dump (`toyjit run --trace-dump[=WHAT]`), the text rendering of the trace model
//! (`model.rs`; the explorer page is the other): for each compiled trace, what it is (a root
//! or a side trace, and from which exit), the bytecode recorded (with source lines), the trace
//! IR with each line's source line and what it does in words, its exits (which line each
//! resumes at, what it writes), the Cranelift IR, and on request the machine code with
//! `->LOOP` / `->exit N` labels; plus events (aborted recordings once each with a count, exits
//! taken). Deterministic unless machine code is asked for: no addresses, no timings.
//!
//! Pure formatting: reads trace records, writes strings.

use std::fmt::Write as _;

use super::ir::{IrRef, Op};
use super::model::{TraceKind, TraceRecord};

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

/// The width of the IR column before each line's source line and words.
const IR_COLUMN: usize = 44;

/// One compiled trace, as the dump shows it.
pub fn trace_report(record: &TraceRecord, level: DumpLevel) -> String {
    let mut out = String::new();
    let id = record.id;
    let (kind, what) = match record.kind {
        TraceKind::Root { links_to: None } => ("a root trace".to_string(), "one iteration"),
        TraceKind::Root { links_to: Some(inner) } => {
            (format!("a root trace; it runs the loop's part of an iteration, then T{inner}'s loop"), "one iteration")
        }
        TraceKind::Side { parent, exit } => {
            (format!("a side trace, grown from exit {exit} of T{parent}"), "from the exit on")
        }
        TraceKind::Entry => (
            "a function-entry trace; its machine code starts with a poll: when code compiled in the background waits, the call runs in the interpreter, which installs it".to_string(), "from the function's first instruction"),
    };
    let _ = writeln!(out, "==== trace T{id}: {} ({kind}) ====", record.heading);
    let _ = writeln!(out, "---- recorded bytecode ({what}; line, pc, instruction) ----");
    let mut last_line = 0;
    for instr in &record.recorded {
        let line = if instr.line != last_line { format!("{:>4}", instr.line) } else { "    ".into() };
        last_line = instr.line;
        // Instructions of inlined calls are indented, one step per call.
        let _ = writeln!(out, "{line} {:>5}  {}{}", instr.pc, "    ".repeat(instr.depth), instr.text);
    }
    let trace = &record.optimized;
    let shape = if trace.loop_start().is_some() {
        "the first iteration (preamble), then the loop body"
    } else if record.kind == TraceKind::Entry {
        "a function entry: straight line, then Ret"
    } else if matches!(trace.insts.last().map(|i| i.op), Some(Op::Ret { .. })) {
        "straight line, then Ret"
    } else if matches!(trace.insts.last().map(|i| i.op), Some(Op::Leave { .. })) {
        "straight line, then Leave"
    } else {
        "straight line, then Link"
    };
    if level.shows_full_ir() {
        if let Some(recorded) = record.stages.first() {
            let _ = writeln!(out, "---- trace IR as recorded ({shape}) ----");
            out.push_str(&recorded.trace.to_string());
        }
        let _ = writeln!(out, "---- optimizer ----");
        for line in &record.passes {
            let _ = writeln!(out, "{line}");
        }
        let _ = writeln!(out, "---- trace IR compiled (each line: its source line, and what it does in words) ----");
    } else {
        let _ = writeln!(
            out,
            "---- trace IR, optimized ({shape}; each line: its source line, and what it does in words; \
             --trace-dump=ir shows more) ----"
        );
    }
    out.push_str(&readable_ir(record, level.shows_full_ir()));
    if level.shows_full_ir()
        && let Some(clif) = &record.clif
    {
        let _ = writeln!(out, "---- Cranelift IR ----");
        out.push_str(clif);
    }
    if level.shows_machine_code()
        && let Some(asm) = &record.asm
    {
        let _ = writeln!(out, "---- machine code ({} bytes) ----", record.code_size);
        out.push_str(asm);
    }
    let _ = writeln!(out, "==== end of T{id}: {} ====", record.ending);
    out
}

/// The compiled IR, one instruction per line with its source line and words, then the exits:
/// `0012        Guard %11 is False  snap2      line 14  exit 2 unless zr2 + zi2 > 4.0 is False`.
/// `ClearSlot` lines are left out unless `with_clear_slots` (they only make room for exits).
pub fn readable_ir(record: &TraceRecord, with_clear_slots: bool) -> String {
    let trace = &record.optimized;
    let mut out = String::new();
    let mut hidden = 0;
    for (i, inst) in trace.insts.iter().enumerate() {
        if !with_clear_slots && matches!(inst.op, Op::ClearSlot { .. }) {
            hidden += 1;
            continue;
        }
        let text = format!("{i:04}  {}", trace.format_inst(IrRef(i as u32)));
        if matches!(inst.op, Op::Loop) {
            let _ = writeln!(out, "{text}  (the loop body starts here; line {})", record.lines[i]);
            continue;
        }
        let mut words = record.words[i].clone().unwrap_or_default();
        if let Some(snap) = inst.op.snapshot() {
            words = words.replacen("exits ", &format!("exit {} ", snap.0), 1);
        }
        let line = format!("line {}", record.lines[i]);
        let _ = writeln!(out, "{}", format!("{text:<IR_COLUMN$}  {line:<8} {words}").trim_end());
    }
    if hidden > 0 {
        let _ = writeln!(out, "  ({hidden} ClearSlot lines not shown: --trace-dump=ir shows them)");
    }
    for (i, snapshot) in trace.snapshots.iter().enumerate() {
        let text = trace.format_snapshot(i);
        let rest = text.split_once(": ").map_or("", |(_, rest)| rest);
        let mut place = format!("@pc {}", snapshot.pc);
        if let Some(call) = text.split_once(" in ").map(|(_, call)| call.split(':').next().unwrap_or(""))
            && snapshot.call.is_some()
        {
            place.push_str(&format!(" in {call}"));
        }
        let temporaries: Vec<String> = record.exit_values[i]
            .iter()
            .map(|(slot, expression)| format!("{} holds {expression}", trace.slot_label(*slot)))
            .collect();
        let writes =
            if rest.trim().is_empty() { "writes nothing".to_string() } else { format!("writes {}", rest.trim()) };
        let _ = write!(out, "  exit {i} (snap{i}) resumes at line {} {place}; {writes}", record.exit_lines[i]);
        if !temporaries.is_empty() {
            let _ = write!(out, " ({})", temporaries.join(", "));
        }
        out.push('\n');
        // Allocation removal: the tuples this exit builds (the trace never allocated them).
        for &(slot, v) in &snapshot.virtual_slots {
            let _ = writeln!(
                out,
                "    {} = {} materialized at exit {i} (a virtual tuple: allocated only if this exit is taken)",
                trace.slot_label(slot),
                snapshot.virtual_text(v)
            );
        }
    }
    out
}
