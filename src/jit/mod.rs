//! The tracing JIT: the state machine that turns hot loops into machine code.
//!
//! States per loop (counted by the VM in its `LoopSlot`): interpreted → recording (this
//! module's [`Jit`] drives a [`recorder::Recorder`]) → compiled (a `NativeLoop` installed on
//! the loop), or aborted (the VM waits twice as long before trying again, up to a cap: loops
//! are forgiven, never blacklisted forever).
//!
//! Phases, one file each: `recorder.rs` (bytecode → trace IR, loop peeling), `ir.rs` (the
//! IR), `lower.rs` (IR → Cranelift → machine code), `layout.rs` (memory layout for native
//! code), `dump.rs` (the teaching dump). The VM reaches the JIT only through the
//! `interp::native::Tracer` trait this module implements.

pub mod dump;
pub mod ir;
pub mod layout;
pub mod lower;
pub mod opt;
pub mod recorder;

use std::any::Any;
use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use crate::interp::bytecode::CodeObject;
use crate::interp::native::{NativeLoop, RecordStatus, Tracer};
use crate::interp::value::Value;

use dump::DumpLevel;
use layout::ListLayout;
use recorder::{Recorder, Step};

/// Counters for `--stats`.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub traces: u32,
    pub aborts: u32,
    pub exits: u64,
    pub recording: Duration,
    pub compiling: Duration,
}

/// The JIT: records hot loops and compiles them.
pub struct Jit {
    recorder: Option<Recorder>,
    recording_started: Option<Instant>,
    layout: Option<ListLayout>,
    pub stats: Stats,
    pub dump_level: DumpLevel,
    /// The teaching dump, accumulated as events happen.
    pub dump: String,
    filename: String,
    next_trace_id: u32,
    /// (trace id, start description) of compiled traces, for the exit summary.
    compiled: Vec<(u32, String, Rc<NativeLoop>)>,
}

impl Jit {
    pub fn new(filename: &str, dump_level: DumpLevel) -> Jit {
        Jit {
            recorder: None,
            recording_started: None,
            layout: ListLayout::measure(),
            stats: Stats::default(),
            dump_level,
            dump: String::new(),
            filename: filename.to_string(),
            next_trace_id: 1,
            compiled: Vec::new(),
        }
    }

    fn location(&self, code: &CodeObject, pc: usize) -> String {
        format!("{}:{} in {}", self.filename, code.lines.get(pc).copied().unwrap_or(0), code.name)
    }

    fn abort(&mut self, reason: &str) {
        self.stats.aborts += 1;
        if let Some(recorder) = self.recorder.take() {
            if let Some(started) = self.recording_started.take() {
                self.stats.recording += started.elapsed();
            }
            if self.dump_level.shows_events() {
                let at = self.location(&recorder.code, recorder.header_pc);
                self.dump.push_str(&format!("[jit] aborted recording the loop at {at}: {reason}\n"));
            }
        }
    }

    /// Closes the recorded loop and compiles it.
    fn compile(&mut self, recorder: Recorder) -> Result<Rc<NativeLoop>, String> {
        let code = recorder.code.clone();
        let header_pc = recorder.header_pc;
        let (recorded_trace, recorded) = recorder.close().map_err(|a| a.0)?;
        if let Some(started) = self.recording_started.take() {
            self.stats.recording += started.elapsed();
        }
        let layout = self.layout.ok_or("the list layout could not be measured")?;
        let compile_start = Instant::now();
        let (trace, pass_report) = opt::optimize(recorded_trace.clone())?;
        let listings =
            lower::Listings { clif: self.dump_level.shows_traces(), disassembly: self.dump_level.shows_machine_code() };
        let compiled = lower::compile_trace(&trace, &layout, listings)?;
        self.stats.compiling += compile_start.elapsed();
        let id = self.next_trace_id;
        self.next_trace_id += 1;
        self.stats.traces += 1;
        let start = self.location(&code, header_pc);
        if self.dump_level.shows_traces() {
            let report = dump::TraceReport {
                id,
                start: &start,
                recorded: &recorded,
                recorded_trace: &recorded_trace,
                passes: &pass_report,
                trace: &trace,
                compiled: &compiled,
            };
            self.dump.push_str(&dump::trace_report(&report, self.dump_level));
        }
        let native = Rc::new(NativeLoop {
            entry: compiled.entry,
            exit_pcs: trace.snapshots.iter().map(|s| s.pc).collect(),
            exit_counts: trace.snapshots.iter().map(|_| Cell::new(0)).collect(),
            trace_id: id,
            owner: Box::new(compiled),
        });
        self.compiled.push((id, start, native.clone()));
        Ok(native)
    }
}

impl Tracer for Jit {
    fn start(&mut self, code: &Rc<CodeObject>, header_pc: usize, loop_id: usize, frame: &[Value], depth: usize) {
        self.recording_started = Some(Instant::now());
        let mut recorder = Recorder::new(code, header_pc, loop_id, depth);
        match recorder.record(header_pc, frame, depth) {
            Ok(_) => self.recorder = Some(recorder),
            Err(reason) => {
                self.recorder = Some(recorder);
                self.abort(&reason.0);
            }
        }
    }

    fn record(&mut self, _code: &Rc<CodeObject>, pc: usize, frame: &[Value], depth: usize) -> RecordStatus {
        let Some(recorder) = self.recorder.as_mut() else { return RecordStatus::Aborted };
        match recorder.record(pc, frame, depth) {
            Ok(Step::Continue) => RecordStatus::Continue,
            Ok(Step::Closed) => {
                let recorder = self.recorder.take().expect("recording");
                match self.compile(recorder) {
                    Ok(native) => RecordStatus::Compiled(native),
                    Err(reason) => {
                        self.stats.aborts += 1;
                        if self.dump_level.shows_events() {
                            self.dump.push_str(&format!("[jit] could not compile the loop: {reason}\n"));
                        }
                        RecordStatus::Aborted
                    }
                }
            }
            Err(reason) => {
                self.abort(&reason.0);
                RecordStatus::Aborted
            }
        }
    }

    fn cancel(&mut self, reason: &str) {
        if self.recorder.is_some() {
            self.abort(reason);
        }
    }

    fn exit_taken(&mut self, _native: &NativeLoop, _exit: u32) {
        self.stats.exits += 1;
    }

    fn finish(&mut self) -> String {
        let mut out = std::mem::take(&mut self.dump);
        if self.dump_level.shows_events() {
            for (id, start, native) in &self.compiled {
                let taken: Vec<String> = native
                    .exit_counts
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| c.get() > 0)
                    .map(|(i, c)| {
                        format!(
                            "exit {i} (pc {}) taken {} time{}",
                            native.exit_pcs[i],
                            c.get(),
                            if c.get() == 1 { "" } else { "s" }
                        )
                    })
                    .collect();
                if !taken.is_empty() {
                    out.push_str(&format!("[jit] T{id} at {start}: {}\n", taken.join(", ")));
                }
            }
        }
        out
    }

    fn as_any(&mut self) -> &mut dyn Any {
        self
    }
}
