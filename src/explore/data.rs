//! The explorer's data: the trace model of a run ([`RunReport`]) as one JSON object, which the
//! page's script renders. Everything here is deterministic for a given program except the
//! times (`timing`, `lineTime`, each tree's `nativeMs`).
//!
//! Pure: a report in, JSON text out.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use super::advice;
use super::json::{array, number, object, optional, string};
use crate::jit::ir::{IrRef, NO_ORIGIN, Op, Trace};
use crate::jit::model::{EventKind, RunReport, TraceKind, TraceRecord};

/// The JSON object the page reads.
pub fn page_data(filename: &str, source: &str, report: &RunReport, run_time: Duration) -> String {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let native: Duration = report.trees.iter().map(|t| t.native).sum();
    let stats = &report.stats;
    let interpreted = run_time.saturating_sub(native + stats.recording + stats.compiling);
    let timing = object(&[
        ("totalMs", number(ms(run_time))),
        ("nativeMs", number(ms(native))),
        ("interpretedMs", number(ms(interpreted))),
        ("recordingMs", number(ms(stats.recording))),
        ("compilingMs", number(ms(stats.compiling))),
    ]);
    let line_time = object_of(line_times(report).into_iter().map(|(line, t)| (line.to_string(), number(t))));
    object(&[
        ("file", string(filename)),
        ("source", array(source.lines().map(string))),
        ("jit", (report.threshold > 0).to_string()),
        ("threshold", report.threshold.to_string()),
        ("timing", timing),
        ("lineTime", line_time),
        ("traces", array(report.traces.iter().map(trace_data))),
        (
            "trees",
            array(report.trees.iter().map(|tree| {
                object(&[
                    ("root", tree.root.to_string()),
                    ("start", string(&tree.start)),
                    ("nativeMs", number(ms(tree.native))),
                    (
                        "exits",
                        array(tree.exits.iter().map(|e| {
                            object(&[
                                ("trace", e.trace.to_string()),
                                ("snap", e.snapshot.to_string()),
                                ("line", e.line.to_string()),
                                ("count", e.count.to_string()),
                                ("side", optional(e.side_trace.map(|t| t.to_string()))),
                                ("failed", e.failed_side_traces.to_string()),
                                ("blacklisted", e.blacklisted.to_string()),
                                ("final", e.final_exit.to_string()),
                            ])
                        })),
                    ),
                ])
            })),
        ),
        (
            "aborts",
            array(report.aborts.iter().map(|group| {
                object(&[
                    ("text", string(group.text.trim_start_matches("[jit] "))),
                    ("count", group.count.to_string()),
                    ("line", abort_line(&group.text).to_string()),
                    ("advice", string(advice::for_abort(&group.text))),
                ])
            })),
        ),
        (
            "events",
            array(report.events.iter().filter(|e| e.kind != EventKind::Abort).map(|e| {
                object(&[
                    ("kind", string(&format!("{:?}", e.kind))),
                    ("text", string(e.text.trim_start_matches("[jit] "))),
                ])
            })),
        ),
    ])
}

/// An object whose field names are computed.
fn object_of(fields: impl IntoIterator<Item = (String, String)>) -> String {
    let fields: Vec<String> = fields.into_iter().map(|(name, value)| format!("{}:{value}", string(&name))).collect();
    format!("{{{}}}", fields.join(","))
}

/// The line an abort names (`at f.toy:12 in g`), 0 if none.
fn abort_line(text: &str) -> u32 {
    text.split(" at ")
        .nth(1)
        .and_then(|place| place.split(" in ").next())
        .and_then(|place| place.rsplit(':').next())
        .and_then(|line| line.parse().ok())
        .unwrap_or(0)
}

/// Milliseconds of machine code per source line: each tree's measured native time, shared
/// among the lines of its root trace's loop body in proportion to their IR instructions (the
/// body is what runs over and over; preambles and side traces run once per entry or exit).
fn line_times(report: &RunReport) -> BTreeMap<u32, f64> {
    let mut times = BTreeMap::new();
    for tree in &report.trees {
        let Some(root) = report.traces.iter().find(|t| t.id == tree.root) else { continue };
        let body_start = root.optimized.loop_start().unwrap_or(0);
        let lines = &root.lines[body_start..];
        if lines.is_empty() {
            continue;
        }
        let share = tree.native.as_secs_f64() * 1e3 / lines.len() as f64;
        for &line in lines {
            *times.entry(line).or_insert(0.0) += share;
        }
    }
    times
}

/// One trace: what it is, its bytecode, its IR at every stage, its exits and listings.
fn trace_data(record: &TraceRecord) -> String {
    let (kind, parent, exit, links_to) = match record.kind {
        TraceKind::Root { links_to } => ("root", None, None, links_to),
        TraceKind::Side { parent, exit } => ("side", Some(parent), Some(exit), None),
        TraceKind::Entry => ("entry", None, None, None),
    };
    let trace = &record.optimized;
    let ir = (0..trace.insts.len()).map(|i| {
        let inst = &trace.insts[i];
        array([
            i.to_string(),
            string(&trace.format_inst(IrRef(i as u32))),
            record.lines[i].to_string(),
            optional(record.words[i].as_deref().map(string)),
            optional(inst.op.snapshot().map(|s| s.0.to_string())),
            matches!(inst.op, Op::ClearSlot { .. }).to_string(),
        ])
    });
    let exits = (0..trace.snapshots.len()).map(|i| {
        let text = trace.format_snapshot(i);
        let writes = text.split_once(": ").map_or("", |(_, rest)| rest).trim();
        let temporaries: Vec<String> = record.exit_values[i]
            .iter()
            .map(|(slot, expression)| format!("{} holds {expression}", trace.slot_label(*slot)))
            .collect();
        array([
            i.to_string(),
            record.exit_lines[i].to_string(),
            trace.snapshots[i].pc.to_string(),
            string(&record.exit_reasons[i]),
            string(writes),
            string(&temporaries.join(", ")),
        ])
    });
    let bytecode = record.recorded.iter().map(|instr| {
        array([instr.line.to_string(), instr.pc.to_string(), instr.depth.to_string(), string(&instr.text)])
    });
    object(&[
        ("id", record.id.to_string()),
        ("root", record.root.to_string()),
        ("kind", string(kind)),
        ("parent", optional(parent.map(|p| p.to_string()))),
        ("exit", optional(exit.map(|e| e.to_string()))),
        ("linksTo", optional(links_to.map(|t| t.to_string()))),
        ("heading", string(&record.heading)),
        ("ending", string(&record.ending)),
        ("line", record.line.to_string()),
        ("bytecode", array(bytecode)),
        ("ir", array(ir)),
        ("exits", array(exits)),
        ("passes", array(record.passes.iter().map(|p| string(p)))),
        ("stages", array(stages_data(record))),
        ("clif", optional(record.clif.as_deref().map(string))),
        ("asm", optional(record.asm.as_deref().map(string))),
        ("codeSize", record.code_size.to_string()),
    ])
}

/// The IR at each stage, each instruction with its source line and whether the next pass
/// removed it (matched by the bytecode it came from, its opcode and its side of `Loop`).
fn stages_data(record: &TraceRecord) -> Vec<String> {
    let stages = &record.stages;
    let line_of = |trace: &Trace, i: usize| {
        let origin = trace.origin(IrRef(i as u32));
        if origin == NO_ORIGIN { record.line } else { record.recorded.get(origin as usize).map_or(0, |r| r.line) }
    };
    let key = |trace: &Trace, i: usize| {
        let after_loop = trace.loop_start().is_some_and(|l| i >= l);
        (trace.origin(IrRef(i as u32)), trace.insts[i].op.name(), after_loop)
    };
    stages
        .iter()
        .enumerate()
        .map(|(k, stage)| {
            let mut next: HashMap<(u32, &str, bool), usize> = HashMap::new();
            if let Some(after) = stages.get(k + 1) {
                for i in 0..after.trace.insts.len() {
                    *next.entry(key(&after.trace, i)).or_insert(0) += 1;
                }
            }
            let insts = (0..stage.trace.insts.len()).map(|i| {
                let removed = stages.get(k + 1).is_some() && {
                    match next.get_mut(&key(&stage.trace, i)) {
                        Some(n) if *n > 0 => {
                            *n -= 1;
                            false
                        }
                        _ => true,
                    }
                };
                array([
                    string(&format!("{i:04}  {}", stage.trace.format_inst(IrRef(i as u32)))),
                    line_of(&stage.trace, i).to_string(),
                    removed.to_string(),
                ])
            });
            object(&[("name", string(stage.name)), ("insts", array(insts))])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn abort_lines_come_from_the_place() {
        assert_eq!(super::abort_line("[jit] aborted recording the loop at m.toy:11 in f: a reason"), 11);
        assert_eq!(super::abort_line("[jit] could not compile the loop: x"), 0);
    }
}
