//! The trace model: what the JIT did, as data, for the two renderings of it — the readable text
//! dump (`dump.rs`, `--trace-dump`) and the explorer page (`crate::explore`, `--explore`).
//!
//! Per trace ([`TraceRecord`]): its kind (root or side trace, and the exit it hangs from), the
//! recorded bytecode with source lines, the IR as recorded and after each optimizer pass, the
//! compiled IR with each instruction's source line and words, the Cranelift IR and machine
//! code when asked. Per run ([`RunReport`]): the traces, each tree's exits with their counts
//! and side traces, the events, the aborted recordings grouped with counts ([`AbortLog`]), and
//! the time in each tree's machine code.
//!
//! Built only when the dump or the explorer asks (a normal run keeps none of it). Touches
//! nothing: data, and functions that fill it from the forest.

use std::time::Duration;

use super::asm_labels;
use super::describe::{self, Describer};
use super::ir::{IrRef, Trace};
use super::recorder::RecordedInstr;
use super::trace::BLACKLIST_AFTER;
use super::tree::{Forest, SideState, Stats};

/// What a trace is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceKind {
    /// The trace of a loop: it loops, or runs the loop's part of an iteration and links to the
    /// trace of an inner loop (`links_to`).
    Root { links_to: Option<u32> },
    /// A side trace, grown from exit `exit` (a snapshot number) of trace `parent`.
    Side { parent: u32, exit: u32 },
    /// A function-entry trace: from a hot function's first instruction to its return (the
    /// interpreter's `Call` runs it; other traces call it natively).
    Entry,
}

/// The IR of a trace at one stage: as recorded, then after each optimizer pass.
#[derive(Clone, Debug)]
pub struct IrStage {
    pub name: &'static str,
    pub trace: Trace,
}

/// Everything known about one compiled trace.
#[derive(Clone, Debug)]
pub struct TraceRecord {
    pub id: u32,
    /// The root trace of its tree.
    pub root: u32,
    pub kind: TraceKind,
    /// What it is: `the loop at file:line in f`, or `side trace of T1 exit 3, at ...`.
    pub heading: String,
    /// How it ends: `loops back to its start`, `links to T1 ...`.
    pub ending: String,
    /// The source line it starts at.
    pub line: u32,
    pub recorded: Vec<RecordedInstr>,
    /// The IR as recorded, then after each pass (the last is what was compiled).
    pub stages: Vec<IrStage>,
    /// One line per optimizer pass (`cse: 48 -> 40 instructions`).
    pub passes: Vec<String>,
    /// The compiled IR, its `for` loop registers named.
    pub optimized: Trace,
    /// Per instruction of `optimized`: its source line (0: none) and words, if any.
    pub lines: Vec<u32>,
    pub words: Vec<Option<String>>,
    /// Per snapshot (exit): the source line it resumes at.
    pub exit_lines: Vec<u32>,
    /// Per snapshot: why it is taken, in words (what its guards check, `or` between them).
    pub exit_reasons: Vec<String>,
    /// Per snapshot: the expressions of the temporaries it writes (`r28` holds `zr2 + zi2`).
    pub exit_values: Vec<Vec<(u16, String)>>,
    pub clif: Option<String>,
    pub asm: Option<String>,
    pub code_size: usize,
    /// Where the trace's exits start in its tree's exit numbering (the machine code returns
    /// `exit_base + snapshot`).
    pub exit_base: u32,
    /// For a side trace: the temporaries its parent's exit wrote, with their expressions.
    pub entry_values: Vec<(u16, String)>,
}

/// The pieces of a compiled trace the forest hands to [`TraceRecord::new`].
pub struct TraceParts<'a> {
    pub id: u32,
    pub root: u32,
    pub kind: TraceKind,
    pub heading: &'a str,
    pub ending: &'a str,
    pub recorded: &'a [RecordedInstr],
    pub stages: Vec<IrStage>,
    pub passes: &'a [String],
    pub optimized: &'a Trace,
    pub exit_lines: Vec<u32>,
    pub clif: Option<&'a str>,
    pub asm: Option<&'a str>,
    pub code_size: usize,
    pub exit_base: u32,
    /// For a side trace: the temporaries its parent's exit wrote, with their expressions.
    pub entry_values: Vec<(u16, String)>,
}

impl TraceRecord {
    pub fn new(parts: TraceParts<'_>) -> TraceRecord {
        let mut optimized = parts.optimized.clone();
        describe::name_loop_state(&mut optimized, parts.recorded);
        // The stages stay as the recorder and the passes left them (`--trace-dump=ir` pins the
        // recorded IR as the recorder emitted it).
        let stages = parts.stages;
        let describer = Describer::new(&optimized, parts.recorded, &parts.entry_values);
        let count = optimized.insts.len();
        let refs = (0..count as u32).map(IrRef);
        let mut lines: Vec<u32> = refs.clone().map(|r| describer.line(r)).collect();
        // `Loop`, the Phis and the back edge's poll belong to the loop's header line.
        let header_line = parts.recorded.first().map_or(0, |r| r.line);
        for line in &mut lines {
            if *line == 0 {
                *line = header_line;
            }
        }
        let words: Vec<Option<String>> = refs.map(|r| describer.words(r)).collect();
        let mut exit_reasons: Vec<Vec<String>> = vec![Vec::new(); optimized.snapshots.len()];
        for (inst, words) in optimized.insts.iter().zip(&words) {
            if let (Some(snap), Some(words)) = (inst.op.snapshot(), words) {
                let reasons = &mut exit_reasons[snap.0 as usize];
                if let super::ir::Op::Link { trace, .. } = inst.op {
                    // The link is what takes this exit (the Ctrl-C poll before it, rarely).
                    *reasons = vec![format!("the link into T{trace}")];
                    continue;
                }
                // `zr2 = zr * zr; exits if ...` says why in its second half.
                let why = words.rsplit("; ").next().unwrap_or(words);
                let why = why.strip_prefix("exits ").unwrap_or(why).to_string();
                if !reasons.contains(&why) {
                    reasons.push(why);
                }
            }
        }
        let exit_reasons = exit_reasons.into_iter().map(|r| r.join(", or ")).collect();
        let exit_values = optimized
            .snapshots
            .iter()
            .map(|snap| {
                snap.slots
                    .iter()
                    .filter(|(slot, _)| !optimized.slot_label(*slot).contains('('))
                    .map(|&(slot, value)| (slot, describer.expression(value)))
                    .collect()
            })
            .collect();
        let clif = parts.clif.map(|text| asm_labels::label_listing(text, &parts.exit_lines));
        let asm = parts.asm.map(|text| asm_labels::label_listing(text, &parts.exit_lines));
        TraceRecord {
            id: parts.id,
            root: parts.root,
            kind: parts.kind,
            heading: parts.heading.to_string(),
            ending: parts.ending.to_string(),
            line: header_line,
            recorded: parts.recorded.to_vec(),
            stages,
            passes: parts.passes.to_vec(),
            lines,
            words,
            exit_lines: parts.exit_lines,
            exit_values,
            exit_reasons,
            clif,
            asm,
            code_size: parts.code_size,
            exit_base: parts.exit_base,
            entry_values: parts.entry_values,
            optimized,
        }
    }
}

/// What kind of event the JIT reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// A recording gave up (a loop's or a side trace's), or its trace could not be compiled.
    Abort,
    /// A side trace was attached to its exit.
    Attached,
    /// An exit stopped growing side traces for a while.
    Blacklisted,
    /// A tree was compiled again as one function (or stayed in pieces).
    Recompiled,
}

/// One event, as the dump prints it.
#[derive(Clone, Debug)]
pub struct JitEvent {
    pub kind: EventKind,
    pub text: String,
}

impl JitEvent {
    /// Classifies a dump line (`[jit] aborted recording ...`) by its words.
    pub fn of(text: &str) -> JitEvent {
        let kind = if text.contains("aborted") || text.contains("no side trace") || text.contains("could not compile") {
            EventKind::Abort
        } else if text.contains("blacklisted") {
            EventKind::Blacklisted
        } else if text.contains("attached") {
            EventKind::Attached
        } else {
            EventKind::Recompiled
        };
        JitEvent { kind, text: text.to_string() }
    }
}

/// Aborted recordings, each message once with how often it happened: the dump prints a new
/// message when the next trace or event comes (so it stays near where it happened), with its
/// count so far, and at the end the totals of the messages that came again later.
#[derive(Default, Debug)]
pub struct AbortLog {
    /// Every message in the order first seen, with its count and the count printed so far.
    pub groups: Vec<AbortGroup>,
}

/// One abort message and how often it happened.
#[derive(Clone, Debug)]
pub struct AbortGroup {
    pub text: String,
    pub count: u32,
    printed: u32,
}

impl AbortLog {
    pub fn add(&mut self, text: &str) {
        match self.groups.iter_mut().find(|g| g.text == text) {
            Some(group) => group.count += 1,
            None => self.groups.push(AbortGroup { text: text.to_string(), count: 1, printed: 0 }),
        }
    }

    /// The messages not printed yet, each once with its count (`(3 times)`).
    pub fn flush_new(&mut self) -> String {
        let mut out = String::new();
        for group in self.groups.iter_mut().filter(|g| g.printed == 0) {
            out.push_str(&group.text);
            out.push_str(&times(group.count));
            out.push('\n');
            group.printed = group.count;
        }
        out
    }

    /// At the end: the messages printed before that happened again since, with their totals.
    pub fn flush_totals(&mut self) -> String {
        let mut out = self.flush_new();
        for group in self.groups.iter_mut().filter(|g| g.count > g.printed) {
            out.push_str(&format!("{} (in all{})\n", group.text, times(group.count)));
            group.printed = group.count;
        }
        out
    }
}

/// ` (3 times)`, or nothing for once.
fn times(count: u32) -> String {
    if count == 1 { String::new() } else { format!(" ({count} times)") }
}

/// One exit of a tree, for the explorer.
#[derive(Clone, Debug)]
pub struct ExitReport {
    /// The trace and snapshot it belongs to.
    pub trace: u32,
    pub snapshot: u32,
    pub pc: u32,
    pub line: u32,
    /// How often it returned to the interpreter.
    pub count: u64,
    /// The side trace hanging from it, if any.
    pub side_trace: Option<u32>,
    /// Failed side-trace attempts, and whether that many count as blacklisted.
    pub failed_side_traces: u32,
    pub blacklisted: bool,
    /// The exit can never grow a side trace (a Ctrl-C poll, a link, the function's return).
    pub final_exit: bool,
}

/// One tree, for the explorer.
#[derive(Clone, Debug)]
pub struct TreeReport {
    pub root: u32,
    pub start: String,
    pub exits: Vec<ExitReport>,
    /// Time spent in its machine code (measured around each call).
    pub native: Duration,
}

/// Everything the explorer shows about a run.
#[derive(Debug, Default)]
pub struct RunReport {
    pub traces: Vec<TraceRecord>,
    pub trees: Vec<TreeReport>,
    pub events: Vec<JitEvent>,
    pub aborts: Vec<AbortGroup>,
    pub stats: Stats,
    pub threshold: u32,
}

impl Forest {
    /// The run so far, as the explorer shows it.
    pub(super) fn run_report(&self, threshold: u32) -> RunReport {
        let side_of = |trace: u32, exit: u32| {
            self.model.iter().find(|r| r.kind == TraceKind::Side { parent: trace, exit }).map(|r| r.id)
        };
        let trees = self
            .trees
            .iter()
            .enumerate()
            .map(|(index, tree)| TreeReport {
                root: tree.id,
                start: tree.start.clone(),
                exits: tree
                    .exits
                    .iter()
                    .map(|exit| ExitReport {
                        trace: exit.trace_id,
                        snapshot: exit.snapshot,
                        pc: exit.pc,
                        line: self
                            .metas
                            .get(&exit.trace_id)
                            .and_then(|m| m.exit_lines.get(exit.snapshot as usize).copied())
                            .unwrap_or(0),
                        count: exit.count,
                        side_trace: if exit.side == SideState::Attached {
                            side_of(exit.trace_id, exit.snapshot)
                        } else {
                            None
                        },
                        failed_side_traces: exit.side_aborts,
                        blacklisted: exit.side_aborts >= BLACKLIST_AFTER,
                        final_exit: exit.side == SideState::Never,
                    })
                    .collect(),
                native: self.native_time.get(index).copied().unwrap_or_default(),
            })
            .collect();
        RunReport {
            traces: self.model.clone(),
            trees,
            events: self.model_events.clone(),
            aborts: self.aborts.groups.clone(),
            stats: self.stats.clone(),
            threshold,
        }
    }
}
