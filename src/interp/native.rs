//! The narrow interface between the interpreter and the JIT.
//!
//! The VM knows only this: each loop of a code object has a [`LoopSlot`] (a countdown to hot
//! and, once compiled, a [`NativeLoop`]: a tree of a root trace and its side traces, with one
//! [`ExitInfo`] per exit, which names the frames of inlined calls the exit re-creates,
//! [`InlinedFrame`]); while a loop or a side trace is being recorded the VM hands every
//! instruction it is about to execute, with what it sees of the program ([`Running`]: the frame
//! and the globals), to a [`Tracer`]. The JIT (`crate::jit`) implements `Tracer` and produces
//! `NativeLoop`s; the interpreter never names a JIT type.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

use super::bytecode::{CodeObject, Reg};
use super::value::Value;

/// Per-loop JIT state, one per `LoopHeader`/`ForIter` of a code object.
#[derive(Default)]
pub struct LoopSlot {
    /// Visits of the header left before the VM looks at this loop again (the fast path only
    /// counts down; at zero the slow path records, runs the trace, or starts counting).
    pub countdown: Cell<u32>,
    /// Has the countdown towards the first recording been started?
    pub armed: Cell<bool>,
    /// Failed recording attempts; each one doubles the wait before the next (forgiven slowly).
    pub aborts: Cell<u32>,
    /// The compiled trace, once there is one.
    pub native: RefCell<Option<Rc<NativeLoop>>>,
    /// The VM's count of rebound builtins when the trace was installed (see `Vm::rebinds`).
    pub rebinds: Cell<u64>,
}

impl std::fmt::Debug for LoopSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "LoopSlot(countdown {}, aborts {}, compiled {})",
            self.countdown.get(),
            self.aborts.get(),
            self.native.borrow().is_some()
        )
    }
}

/// The machine code's signature: the frame's slot 0, the module's globals, and the trace's own
/// side-exit table (the Ctrl-C flag is a symbol the code reads, `jit::runtime::INTERRUPT_FLAG`); returns the number of the exit taken (an index into
/// [`NativeLoop::exits`]), after writing the frame slots and globals that exit restores.
pub type NativeEntry =
    unsafe extern "C" fn(frame: *mut Value, globals: *mut Value, side_exits: *const SideExitSlot) -> u32;

/// What a side trace returns when it ends by re-entering its root loop; the root passes it on,
/// and the VM calls the root again at once.
pub const LINK_TO_ROOT: u32 = u32::MAX;

/// One exit's link to its side trace, read by that exit's machine code: if `entry` is set, the
/// exit calls it (with `table`, the side trace's own side-exit table) instead of returning.
/// `repr(C)` because generated code loads `entry` at offset 0 and `table` at offset 8.
#[repr(C)]
pub struct SideExitSlot {
    pub entry: Cell<Option<NativeEntry>>,
    pub table: Cell<*const SideExitSlot>,
}

impl SideExitSlot {
    pub fn empty_table(len: usize) -> Box<[SideExitSlot]> {
        (0..len).map(|_| SideExitSlot { entry: Cell::new(None), table: Cell::new(std::ptr::null()) }).collect()
    }
}

/// Whether an exit may grow a side trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SideState {
    /// Not yet: counting towards the hot-exit threshold.
    Cold,
    /// A side trace is attached (the exit's machine code calls it; the VM sees this exit no more).
    Attached,
    /// Never: the exit resumes at a loop header (an interrupt check, a link to another loop).
    Never,
}

/// A frame an exit re-creates: a call of a Toy function that the trace had inlined.
pub struct InlinedFrame {
    pub code: Rc<CodeObject>,
    /// Its slot 0, counted from the slot 0 of the frame the trace runs on.
    pub base: u32,
    /// The caller's register that receives the return value.
    pub return_to: Reg,
    /// Where the caller resumes when this call returns.
    pub caller_resume: u32,
}

/// One exit of a trace tree, as the VM sees it.
pub struct ExitInfo {
    /// The bytecode pc to resume at (in the innermost of `frames`, if any).
    pub pc: u32,
    /// The inlined calls running at this exit, outermost first: the VM pushes their frames.
    pub frames: Vec<InlinedFrame>,
    /// Slots (from the trace's frame's slot 0) of those frames' locals not assigned yet: the
    /// VM makes them unbound.
    pub unbound: Vec<u16>,
    /// How often the exit was taken (returned to the VM).
    pub count: Cell<u64>,
    /// Exits taken since the last attempt to record a side trace here.
    pub since_attempt: Cell<u64>,
    /// The trace (`T2`) and its snapshot number this exit belongs to, for the JIT and the dump.
    pub trace_id: u32,
    pub snapshot: u32,
    pub side: Cell<SideState>,
    /// Failed attempts to record a side trace here; each doubles the wait before the next.
    pub side_aborts: Cell<u32>,
}

/// Machine code for one loop and the side traces grown from its exits (a trace tree). Call
/// `entry(frame, globals, side_exits)`; it returns the number of the exit it took.
pub struct NativeLoop {
    /// Replaced when the tree is compiled again as one function with its side traces.
    pub entry: Cell<NativeEntry>,
    /// The root trace's side-exit table.
    pub side_exits: *const SideExitSlot,
    /// The pc of the loop header the root trace starts at.
    pub header_pc: u32,
    /// Every exit of the tree, numbered as the machine code returns them.
    pub exits: RefCell<Vec<ExitInfo>>,
    /// The root trace's number (`T3` in the dump).
    pub trace_id: u32,
    /// How many slots from the frame's slot 0 the tree's traces may touch (inlined calls
    /// reach past the frame): the VM grows the stack to that before entering.
    pub frame_extent: Cell<usize>,
    /// The deepest inlined call in the tree: entering must not pass the recursion limit.
    pub inline_depth: Cell<usize>,
    /// Keeps the machine code and side-exit tables of the root and its side traces alive.
    pub owners: RefCell<Vec<Box<dyn Any>>>,
    /// Runs of the tree left before the JIT compiles it again as one function with the side
    /// traces attached since (0: nothing to do). Set when a side trace is attached, so that a
    /// tree growing several side traces in a row is compiled once they have settled.
    pub merge_wait: Cell<u32>,
    /// How many times the tree was compiled as one function (each time, the next waits longer).
    pub merges: Cell<u32>,
}

/// What the tracer wants the VM to do after seeing an instruction.
pub enum RecordStatus {
    /// Keep recording; execute the instruction normally.
    Continue,
    /// Recording stopped without a trace (the reason was reported by the tracer).
    Aborted,
    /// The loop closed and compiled: install this on the loop being recorded.
    Compiled(Rc<NativeLoop>),
    /// A side trace was compiled and attached to its exit (the JIT patched the exit's slot).
    Attached,
}

/// What the recorder sees of the running program before an instruction.
pub struct Running<'a> {
    /// The running frame's slots.
    pub frame: &'a [Value],
    /// The number of frames.
    pub depth: usize,
    /// The module's globals and their names.
    pub globals: &'a [Value],
    pub global_names: &'a [Rc<str>],
}

/// The recorder side of the JIT, driven by the VM.
pub trait Tracer {
    /// Starts recording the loop whose header is at `header_pc` in `code`.
    fn start(&mut self, code: &Rc<CodeObject>, header_pc: usize, loop_id: usize, now: &Running<'_>);

    /// Starts recording a side trace at exit `exit` of the tree `root` (a loop of `code`, run on
    /// a frame at depth `depth`): the exit was just taken, its inlined calls' frames pushed, and
    /// the VM is about to resume at its pc.
    fn start_side(&mut self, code: &Rc<CodeObject>, root: &Rc<NativeLoop>, exit: usize, depth: usize);

    /// Called before the VM executes the instruction at `pc` of `code` while recording.
    fn record(&mut self, code: &Rc<CodeObject>, pc: usize, now: &Running<'_>) -> RecordStatus;

    /// The VM abandons the recording (an exception unwound, the program ended).
    fn cancel(&mut self, reason: &str);

    /// The tree `root` has run [`tree_settle_runs`] times since its last side trace was
    /// attached: compile it again as one function.
    fn compile_tree(&mut self, root: &NativeLoop);

    /// A side trace could not be recorded at `exit` of `root` for the `aborts`-th time.
    fn side_aborted(&mut self, root: &NativeLoop, exit: usize, aborts: u32);

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

/// How many times an exit is taken before a side trace is recorded there, for a loop
/// threshold of `loop_threshold` (a tenth of it: exits of a hot loop are hot sooner).
pub fn hot_exit_threshold(loop_threshold: u32) -> u64 {
    (loop_threshold as u64 / 10).max(1)
}

/// How many runs of a tree after its last side trace was attached before it is compiled again
/// as one function (see [`NativeLoop::merge_wait`]): the loop threshold (1 in the stress mode:
/// the next run), four times longer for each time the tree was compiled so already, so that a
/// tree that keeps growing side traces is not compiled again and again.
pub fn tree_settle_runs(loop_threshold: u32, merges: u32) -> u32 {
    loop_threshold.max(1).saturating_mul(1 << (2 * merges).min(20))
}

/// The number of failed attempts after which the dump calls an exit or loop blacklisted (the
/// wait keeps doubling up to 1024 times the threshold, so it is retried now and then).
pub const BLACKLIST_AFTER: u32 = 4;
