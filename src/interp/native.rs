//! The narrow interface between the interpreter and the JIT.
//!
//! The VM knows only this: each loop of a code object has a [`LoopSlot`] (a hot counter and,
//! once compiled, a [`NativeLoop`]); while a loop is being recorded the VM hands every
//! instruction it is about to execute to a [`Tracer`]. The JIT (`crate::jit`) implements
//! `Tracer` and produces `NativeLoop`s; the interpreter never names a JIT type.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

use super::bytecode::CodeObject;
use super::value::Value;

/// Per-loop JIT state, one per `LoopHeader`/`ForIter` of a code object.
#[derive(Default)]
pub struct LoopSlot {
    /// Iterations counted towards the hot threshold.
    pub counter: Cell<u32>,
    /// Failed recording attempts; each one doubles the wait before the next (forgiven slowly).
    pub aborts: Cell<u32>,
    /// The compiled trace, once there is one.
    pub native: RefCell<Option<Rc<NativeLoop>>>,
}

impl std::fmt::Debug for LoopSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "LoopSlot(counter {}, aborts {}, compiled {})",
            self.counter.get(),
            self.aborts.get(),
            self.native.borrow().is_some()
        )
    }
}

/// Machine code for one loop: call `entry` with the frame's slot 0; it returns the number of
/// the exit it took, after writing the frame slots that exit restores.
/// The machine code's signature: the frame's slot 0 and the Ctrl-C flag; returns the exit taken.
pub type NativeEntry = unsafe extern "C" fn(frame: *mut Value, interrupt: *const std::sync::atomic::AtomicBool) -> u32;

pub struct NativeLoop {
    pub entry: NativeEntry,
    /// The bytecode pc to resume at, per exit number.
    pub exit_pcs: Vec<u32>,
    /// How often each exit was taken (for `--stats` and the dump).
    pub exit_counts: Vec<Cell<u64>>,
    /// The trace's number (`T3` in the dump).
    pub trace_id: u32,
    /// Keeps the machine code alive (the JIT's compiled-trace object).
    pub owner: Box<dyn Any>,
}

/// What the tracer wants the VM to do after seeing an instruction.
pub enum RecordStatus {
    /// Keep recording; execute the instruction normally.
    Continue,
    /// Recording stopped without a trace (the reason was reported by the tracer).
    Aborted,
    /// The loop closed and compiled: install this on the loop being recorded.
    Compiled(Rc<NativeLoop>),
}

/// The recorder side of the JIT, driven by the VM.
pub trait Tracer {
    /// Starts recording the loop whose header is at `header_pc` in `code`. `frame` is the
    /// running frame's slots, `depth` the number of frames.
    fn start(&mut self, code: &Rc<CodeObject>, header_pc: usize, loop_id: usize, frame: &[Value], depth: usize);

    /// Called before the VM executes the instruction at `pc` of `code` while recording.
    fn record(&mut self, code: &Rc<CodeObject>, pc: usize, frame: &[Value], depth: usize) -> RecordStatus;

    /// The VM abandons the recording (an exception unwound, the program ended).
    fn cancel(&mut self, reason: &str);

    /// A native loop exit was taken (for statistics and the dump).
    fn exit_taken(&mut self, native: &NativeLoop, exit: u32);

    /// Anything to print at the end of the run (`--stats`, the dump's events).
    fn finish(&mut self) -> String;

    fn as_any(&mut self) -> &mut dyn Any;
}

/// JIT settings the VM needs.
#[derive(Debug, Clone, Copy)]
pub struct JitConfig {
    /// Iterations before a loop is recorded (1: at once).
    pub threshold: u32,
}
