//! The interface between the interpreter and the JIT: everything each side may say to the other.
//!
//! The VM keeps three jobs: count down at a loop header ([`LoopSlot`]), call machine code
//! ([`NativeCall`]), and re-create the frames an exit names ([`InlinedFrames`]). Everything
//! else — when a loop or an exit is hot, recording, backoff and blacklisting, compiling and
//! installing traces — belongs to the JIT (`crate::jit`), which implements [`JitHooks`]. The
//! interpreter never names a JIT type, and the two share no mutable state: each call below
//! passes plain data and returns plain data.
//!
//! The calls, in the order a hot loop meets them:
//!
//! | VM calls | when | the JIT answers |
//! |---|---|---|
//! | [`JitHooks::loop_hot`] | a loop header's countdown is at 0 (and nothing is being recorded) | [`LoopAction`]: count down again, recording started, or machine code to run |
//! | [`JitHooks::record_step`] | before each instruction while recording | [`RecordStep`]: go on, done, or done and the loop's new countdown |
//! | [`JitHooks::recording_cancelled`] | an exception unwinds while recording | [`RecordStep`] |
//! | [`JitHooks::tree_ran`] | a side trace re-entered its root (only while [`NativeCall::settling`]) | the call to make now |
//! | [`JitHooks::exit_taken`] | machine code returned an exit number | [`ExitAction`]: where to resume, frames to push, recording started |
//! | [`JitHooks::function_hot`] | a function's entry countdown is at 0 | [`EntryAction`]: count down again or recording started (the entry tree, if any, is in [`EntrySlot`]) |
//!
//! The fast paths cost what they cost before the JIT owned its traces: a header whose loop is
//! not hot decrements a `Cell` without calling the JIT, and a side trace that re-enters its
//! root is called again without asking the JIT unless its tree is settling.
//!
//! Touches nothing: types and one trait.

use std::cell::Cell;
use std::rc::Rc;

use crate::interp::engine::bytecode::{CodeObject, Reg};
use crate::interp::objects::value::Value;

/// The VM's counter for one loop (`LoopHeader`/`ForIter`) of a code object: visits of the header
/// left before it asks the JIT about the loop again ([`JitHooks::loop_hot`], which says how long
/// to count next).
#[derive(Default)]
pub struct LoopSlot {
    pub countdown: Cell<u32>,
}

impl std::fmt::Debug for LoopSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LoopSlot(countdown {})", self.countdown.get())
    }
}

/// The VM's counter and the JIT's machine code for one function's entry (`CodeObject::jit_entry`).
///
/// The VM counts calls down in `countdown` (the only JIT work in a call of a function that is
/// not hot) and asks [`JitHooks::function_hot`] when it is over; once the function has an entry
/// trace, `countdown` stays 0 and the VM runs `native` at each call. Compiled traces read
/// `native`, `side_exits`, `extent` and `rebinds` at run time too (a native call, `CallNative`):
/// `repr(C)`, and the JIT clears `native` when it drops the tree, so a call through a stale
/// entry becomes an exit instead.
#[repr(C)]
pub struct EntrySlot {
    /// The entry tree's machine code, or none.
    pub native: Cell<Option<NativeEntry>>,
    /// Its root trace's side-exit table.
    pub side_exits: Cell<*const SideExitSlot>,
    /// How many slots from the frame's slot 0 the tree may touch.
    pub extent: Cell<u64>,
    /// The VM's count of rebound globals when the tree was installed ([`Running::rebinds`]);
    /// `u64::MAX` while none is (so that `EnterCheck` tests both with one comparison).
    pub rebinds: Cell<u64>,
    /// The JIT's number for the tree ([`NativeCall::tree`]).
    pub tree: Cell<u32>,
    /// Calls left before the VM asks the JIT about the function again.
    pub countdown: Cell<u32>,
    /// The deepest call the tree inlines ([`NativeCall::inline_depth`]).
    pub inline_depth: Cell<u32>,
    /// For a function with a loop, `native` runs up to the loop's header and returns
    /// [`LINK_TO_ROOT`]: the caller then runs the loop's tree, this, on the same frame (again
    /// while it returns `LINK_TO_ROOT`). None for a function without a loop.
    pub loop_native: Cell<Option<NativeEntry>>,
    /// The loop tree's root side-exit table.
    pub loop_side_exits: Cell<*const SideExitSlot>,
}

impl Default for EntrySlot {
    fn default() -> EntrySlot {
        EntrySlot {
            native: Cell::new(None),
            side_exits: Cell::new(std::ptr::null()),
            extent: Cell::new(0),
            rebinds: Cell::new(u64::MAX),
            tree: Cell::new(0),
            countdown: Cell::new(0),
            inline_depth: Cell::new(0),
            loop_native: Cell::new(None),
            loop_side_exits: Cell::new(std::ptr::null()),
        }
    }
}

impl std::fmt::Debug for EntrySlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EntrySlot(countdown {}, compiled {})", self.countdown.get(), self.native.get().is_some())
    }
}

impl EntrySlot {
    /// The call that runs the entry tree, if there is one.
    pub fn call(&self) -> Option<NativeCall> {
        Some(NativeCall {
            entry: self.native.get()?,
            side_exits: self.side_exits.get(),
            tree: self.tree.get(),
            frame_extent: self.extent.get() as usize,
            inline_depth: self.inline_depth.get() as usize,
            settling: false,
        })
    }
}

/// What an entry tree returns when its function returned: the result is in the frame's slot 0
/// (the caller moves it where the interpreter's `Return` would, and releases the frame).
pub const RETURNED: u32 = u32::MAX - 1;

/// What the code a call of a function enters (its entry tree, or its entry prefix) returns at
/// its start, before touching anything, when compiled code waits to be installed
/// ([`COMPILED_CODE_WAITING`]): the call goes on in the interpreter at the function's first
/// instruction, after [`JitHooks::exit_taken`] installed what came back (it counts no exit).
pub const POLL_AT_ENTRY: u32 = u32::MAX - 2;

/// What native code shares with the VM while it runs: set by the VM before it calls machine
/// code, read and updated by native calls (`CallNative`) through their symbols
/// (`jit::runtime`). Plain statics: the VM and its machine code run on one thread.
pub mod native_context {
    use crate::interp::objects::release::release_from;
    use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};

    /// Frames that may still be pushed before the recursion limit: the VM's limit minus the
    /// frames running (a native call takes one for its callee and its inlined calls, and gives
    /// it back when the callee returns).
    pub static FRAMES_LEFT: AtomicI64 = AtomicI64::new(0);
    /// The end of the value stack's initialised slots: a native call whose callee could reach
    /// past it exits (the interpreter grows the stack).
    pub static STACK_END: AtomicUsize = AtomicUsize::new(0);
    /// The VM's count of rebound globals ([`super::Running::rebinds`]): an entry tree installed
    /// under another count is not called.
    pub static REBINDS: AtomicU64 = AtomicU64::new(0);
    /// Nonzero when the garbage may hold something: a loop's back edge reads it and skips
    /// counting its carried values and dropping the garbage when there is none (a hint only:
    /// skipping a drop just keeps the garbage longer; shared by threads in tests, harmlessly).
    pub static GARBAGE_MADE: AtomicUsize = AtomicUsize::new(0);

    thread_local! {
        /// Native calls whose callee exited instead of returning, innermost first: (the
        /// callee's tree, its exit). The VM re-creates their frames.
        static CHAIN: std::cell::RefCell<Vec<(u32, u32)>> = const { std::cell::RefCell::new(Vec::new()) };
    }

    /// Sets what native code reads, before the VM calls it.
    pub fn enter(frames_left: usize, stack_end: usize, rebinds: u64) {
        FRAMES_LEFT.store(frames_left as i64, Ordering::Relaxed);
        STACK_END.store(stack_end, Ordering::Relaxed);
        REBINDS.store(rebinds, Ordering::Relaxed);
    }

    /// What [`enter`] set, kept around a callee run in the interpreter from machine code.
    #[derive(Clone, Copy)]
    pub struct Saved {
        pub frames_left: i64,
        stack_end: usize,
        rebinds: u64,
    }

    pub fn save() -> Saved {
        Saved {
            frames_left: FRAMES_LEFT.load(Ordering::Relaxed),
            stack_end: STACK_END.load(Ordering::Relaxed),
            rebinds: REBINDS.load(Ordering::Relaxed),
        }
    }

    pub fn restore(saved: Saved) {
        FRAMES_LEFT.store(saved.frames_left, Ordering::Relaxed);
        STACK_END.store(saved.stack_end, Ordering::Relaxed);
        REBINDS.store(saved.rebinds, Ordering::Relaxed);
    }

    /// A native call's callee (tree `tree`) took exit `exit`: its frame must be re-created.
    pub fn push_exited_call(tree: u32, exit: u32) {
        CHAIN.with(|chain| chain.borrow_mut().push((tree, exit)));
    }

    /// The runtime's garbage: values machine code let go of while trace values may still point
    /// to them (the old elements a trace's list stores replaced, the trace's own reference to
    /// each tuple it built, ...), and the floors that keep what a caller may still use. One
    /// thread-local, so that the calls machine code makes around each native call reach it
    /// once.
    ///
    /// The list is never dropped: a thread ends with it empty (machine code returning to the
    /// VM empties it), and without drop glue the thread-local needs no registration check at
    /// each of those calls.
    struct Garbage {
        values: std::cell::RefCell<std::mem::ManuallyDrop<Vec<crate::interp::objects::value::Value>>>,
        /// While a call in the interpreter (`CallInterp`) or a native call from a trace runs:
        /// how much garbage its caller had ([`NO_FLOOR`]: none runs). Machine code running
        /// inside the call may drop what lies above (what the caller may point to is below).
        floor: std::cell::Cell<usize>,
        /// How many native calls are running whose caller may still use a value the callee
        /// lets go of (`jit/lower_call_garbage.rs`): while any is, no callee's garbage is
        /// dropped at its return (a caller further down may point into it).
        callers_borrowing: std::cell::Cell<usize>,
    }

    /// [`Garbage::floor`] when no call raised one.
    const NO_FLOOR: usize = usize::MAX;

    thread_local! {
        static GARBAGE: Garbage = const {
            Garbage {
                values: std::cell::RefCell::new(std::mem::ManuallyDrop::new(Vec::new())),
                floor: std::cell::Cell::new(NO_FLOOR),
                callers_borrowing: std::cell::Cell::new(0),
            }
        };
    }

    /// The floor of the running call, if any.
    fn floor() -> Option<usize> {
        Some(GARBAGE.with(|garbage| garbage.floor.get())).filter(|&floor| floor != NO_FLOOR)
    }

    /// Keeps `value` alive until the next [`drop_garbage`]. Inlined: a runtime function's
    /// result goes to the buffer without a call, and without being copied through memory
    /// as a by-pointer argument (whose two-word load after two one-word stores stalls).
    ///
    /// The push is written out so that the inlined part is a leaf (no registers to save): a
    /// full buffer, rare once a loop has run, grows out of line ([`keep_growing`]).
    #[inline]
    pub fn keep_until_dropped(value: crate::interp::objects::value::Value) {
        GARBAGE_MADE.store(1, Ordering::Relaxed);
        GARBAGE.with(|garbage| {
            let mut values = garbage.values.borrow_mut();
            let len = values.len();
            if len == values.capacity() {
                drop(values);
                keep_growing(value);
                return;
            }
            // SAFETY: the slot at `len` is within the capacity; initialised, then counted.
            // By words: a whole `Value` read from where the caller just wrote it stalled.
            unsafe {
                value.write_by_words(values.as_mut_ptr().add(len));
                values.set_len(len + 1);
            }
        });
    }

    /// [`keep_until_dropped`] when the garbage's buffer is full.
    #[cold]
    #[inline(never)]
    fn keep_growing(value: crate::interp::objects::value::Value) {
        GARBAGE.with(|garbage| garbage.values.borrow_mut().push(value));
    }

    /// Runs `change` on the string at `address` where it lies in the recent garbage (the last
    /// few values, above the floor of a running call in the interpreter) when nothing else
    /// holds it: a trace appends to a string it made and reads nothing else from
    /// (`jit/runtime_str_direct.rs`), even when it made another value since (`s + str(n)`).
    /// `None`, changing nothing, when it is not there. `change` must not reach the garbage.
    pub fn change_recent_garbage_str<R>(
        address: usize,
        change: impl FnOnce(&mut crate::interp::objects::value::Str) -> R,
    ) -> Option<R> {
        use crate::interp::objects::value::Value;
        /// How far back to look: a chain of `+` makes one value per piece.
        const RECENT: usize = 4;
        let floor = floor().unwrap_or(0);
        GARBAGE.with(|garbage| {
            let mut garbage = garbage.values.borrow_mut();
            let from = garbage.len().saturating_sub(RECENT).max(floor);
            let found = garbage[from..]
                .iter_mut()
                .rev()
                .find(|value| matches!(value, Value::Str(s) if s.addr() == address && s.refcount() == 1));
            match found {
                Some(Value::Str(s)) => Some(change(s)),
                _ => None,
            }
        })
    }

    thread_local! {
        /// How many calls from the VM into machine code are running (more than one if machine
        /// code ever runs the interpreter, which calls machine code again).
        static NATIVE_RUNS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    /// The VM is about to call machine code.
    pub fn native_starts() {
        NATIVE_RUNS.with(|runs| runs.set(runs.get() + 1));
    }

    /// Machine code returned to the VM: if no other machine code is running below, nothing
    /// points into the garbage any more (the exit wrote what the interpreter needs).
    pub fn native_returned() {
        let left = NATIVE_RUNS.with(|runs| {
            runs.set(runs.get().saturating_sub(1));
            runs.get()
        });
        if left == 0 {
            drop_garbage();
        } else {
            drop_garbage_above_floor();
        }
    }

    /// What starting a floor saved, for ending it: the floor below it, and whether garbage lay
    /// above that one then ([`GARBAGE_MADE`]). Machine code keeps it as one word: bit 0 the
    /// flag, above it the floor plus one (0: none).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct FloorMark(i64);

    impl FloorMark {
        pub fn to_word(self) -> i64 {
            self.0
        }

        pub fn from_word(word: i64) -> FloorMark {
            FloorMark(word)
        }

        fn new(previous: usize, made_below: bool) -> FloorMark {
            // NO_FLOOR + 1 wraps to 0.
            FloorMark(((previous.wrapping_add(1) as i64) << 1) | i64::from(made_below))
        }

        fn previous(self) -> usize {
            ((self.0 as u64 >> 1) as usize).wrapping_sub(1)
        }

        fn made_below(self) -> bool {
            self.0 & 1 != 0
        }
    }

    /// A call in the interpreter (or a native call from a trace) starts: the garbage made so
    /// far is kept until it returns. Returns what [`garbage_floor_ends`] restores.
    #[inline]
    pub fn garbage_floor_starts() -> FloorMark {
        let made_below = GARBAGE_MADE.load(Ordering::Relaxed) != 0;
        // Nothing lies above the new floor yet: a loop in the call that makes no garbage has
        // none to drop at its back edges.
        GARBAGE_MADE.store(0, Ordering::Relaxed);
        let previous = GARBAGE.with(|garbage| garbage.floor.replace(garbage.values.borrow().len()));
        FloorMark::new(previous, made_below)
    }

    /// The call returned: the outer floor again. Garbage lies above it if the call left some
    /// above its own floor or some lay there before the call: a callee that left none (or
    /// whose garbage [`garbage_floor_ends_dropping`] dropped) leaves its caller's back edges
    /// and returns nothing to look at.
    #[inline]
    pub fn garbage_floor_ends(mark: FloorMark) {
        GARBAGE.with(|garbage| garbage.floor.set(mark.previous()));
        if mark.made_below() {
            GARBAGE_MADE.store(1, Ordering::Relaxed);
        }
    }

    /// A native call returned, and nothing its caller still uses may point into what the
    /// callee let go of (`jit/lower_call_garbage.rs`): drops the garbage the call made (above
    /// its floor) unless a caller further down may, then the outer floor again. A callee that
    /// left no garbage costs a load and a branch more than [`garbage_floor_ends`].
    #[inline]
    pub fn garbage_floor_ends_dropping(mark: FloorMark) {
        if GARBAGE_MADE.load(Ordering::Relaxed) != 0 {
            drop_callee_garbage();
        }
        garbage_floor_ends(mark);
    }

    /// The drop of [`garbage_floor_ends_dropping`], out of line: most callees leave nothing.
    #[cold]
    #[inline(never)]
    fn drop_callee_garbage() {
        GARBAGE.with(|garbage| {
            if garbage.callers_borrowing.get() == 0 {
                release_from(&mut garbage.values.borrow_mut(), garbage.floor.get());
                GARBAGE_MADE.store(0, Ordering::Relaxed);
            }
        });
    }

    /// A native call starts whose caller may use, after it, a value the callee lets go of:
    /// [`garbage_floor_starts`], and no callee's garbage is dropped at its return until
    /// [`borrowing_call_ends`].
    pub fn borrowing_call_starts() -> FloorMark {
        GARBAGE.with(|garbage| garbage.callers_borrowing.set(garbage.callers_borrowing.get() + 1));
        garbage_floor_starts()
    }

    /// The call [`borrowing_call_starts`] started returned (or exited).
    pub fn borrowing_call_ends(mark: FloorMark) {
        GARBAGE.with(|garbage| garbage.callers_borrowing.set(garbage.callers_borrowing.get().saturating_sub(1)));
        garbage_floor_ends(mark);
    }

    /// Drops the garbage above the floor of the running call, if any.
    fn drop_garbage_above_floor() {
        GARBAGE.with(|garbage| {
            let floor = garbage.floor.get();
            if floor != NO_FLOOR {
                release_from(&mut garbage.values.borrow_mut(), floor);
                GARBAGE_MADE.store(0, Ordering::Relaxed);
            }
        });
    }

    /// At the back edge of a loop whose carried values are no heap pointers: drops the garbage
    /// (inside a call in the interpreter or a native call from `CallInterp`, only what the call
    /// made: machine code further down may still point into the rest).
    pub fn drop_garbage_at_back_edge() {
        // A floor is set inside a call in the interpreter and inside `CallInterp`'s native
        // path (the callee's code runs in the same run of machine code as its caller).
        // `drop_garbage_above_floor`'s body, written out: calling it (made to say whether a
        // floor was there) cost bench/trees.toy 2.3% more instructions (session 16).
        let floor = GARBAGE.with(|garbage| garbage.floor.get());
        if floor != NO_FLOOR {
            GARBAGE.with(|garbage| release_from(&mut garbage.values.borrow_mut(), floor));
            GARBAGE_MADE.store(0, Ordering::Relaxed);
        } else if NATIVE_RUNS.with(|runs| runs.get()) <= 1 {
            drop_garbage();
        }
    }

    /// Would a loop's back edge drop the garbage made since the last one (the whole garbage,
    /// or what lies above a call's floor)? Not while machine code below runs the interpreter
    /// without a floor. A list store may then free the element it replaces at once
    /// (`jit/lower_old_elements.rs`).
    pub fn back_edge_drops_new_garbage() -> bool {
        floor().is_some() || NATIVE_RUNS.with(|runs| runs.get()) <= 1
    }

    /// Drops what [`keep_until_dropped`] kept: when native code has returned to the VM, and at
    /// the back edge of a loop that allocates (when no value it carries is a heap pointer).
    pub fn drop_garbage() {
        // Cleared in place, keeping the buffer (a loop drops it every iteration). Dropping a
        // value never comes back here (values are freed by Rust code, not by traces).
        GARBAGE.with(|garbage| release_from(&mut garbage.values.borrow_mut(), 0));
        GARBAGE_MADE.store(0, Ordering::Relaxed);
    }

    /// Did a native call's callee exit since the last [`take_exited_calls`]?
    pub fn calls_exited() -> bool {
        CHAIN.with(|chain| !chain.borrow().is_empty())
    }

    /// The native calls exited since the last call, outermost first.
    pub fn take_exited_calls() -> Vec<(u32, u32)> {
        CHAIN.with(|chain| {
            let mut calls = std::mem::take(&mut *chain.borrow_mut());
            calls.reverse();
            calls
        })
    }
}

/// The machine code's signature: the frame's slot 0, the module's globals, and the trace's own
/// side-exit table (the Ctrl-C flag is a symbol the code reads, `jit::runtime::INTERRUPT_FLAG`);
/// returns the number of the exit taken, after writing the frame slots and globals that exit
/// restores.
pub type NativeEntry =
    unsafe extern "C" fn(frame: *mut Value, globals: *mut Value, side_exits: *const SideExitSlot) -> u32;

/// What a side trace returns when it ends by re-entering its root loop; the root passes it on,
/// and the VM calls the root again at once.
pub const LINK_TO_ROOT: u32 = u32::MAX;

/// Set by the JIT's compile thread when it has sent back a compile: the VM then calls
/// [`JitHooks::tree_ran`] at the next link back to a tree's root, so that code compiled in the
/// background (a tree as one function above all) is installed while a loop runs in machine
/// code, without a call at every link back. Cleared by the JIT before it polls.
pub static COMPILED_CODE_WAITING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Has the compile thread sent back code not polled for yet (see [`COMPILED_CODE_WAITING`])?
#[inline]
pub fn compiled_code_waiting() -> bool {
    COMPILED_CODE_WAITING.load(std::sync::atomic::Ordering::Relaxed)
}

/// One exit's link to its side trace, read by that exit's machine code: if `entry` is set, the
/// exit calls it (with `table`, the side trace's own side-exit table) instead of returning.
/// `repr(C)` because generated code loads `entry` at offset 0 and `table` at offset 8. Only the
/// JIT and its machine code read or write these; the VM passes the root's table along.
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

/// Machine code for a loop, as the JIT hands it to the VM (copied, valid until the VM next
/// calls the JIT): call `entry(frame, globals, side_exits)`.
#[derive(Clone, Copy)]
pub struct NativeCall {
    pub entry: NativeEntry,
    /// The root trace's side-exit table.
    pub side_exits: *const SideExitSlot,
    /// The JIT's number for the trace tree, passed back with each exit.
    pub tree: u32,
    /// How many slots from the frame's slot 0 the tree's traces may touch (inlined calls
    /// reach past the frame): the VM grows the stack to that before the call.
    pub frame_extent: usize,
    /// The deepest inlined call in the tree: entering must not pass the recursion limit.
    pub inline_depth: usize,
    /// The JIT counts the tree's runs until it compiles it again ([`JitHooks::tree_ran`]).
    pub settling: bool,
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

/// What an exit inside inlined calls leaves for the VM to re-create.
pub struct InlinedFrames {
    /// The calls running at the exit, outermost first: the VM pushes their frames (the
    /// innermost resumes at the exit's pc).
    pub frames: Vec<InlinedFrame>,
    /// Slots (from the trace's frame's slot 0) of those frames' locals not assigned yet: the
    /// VM makes them unbound.
    pub unbound: Vec<u16>,
}

/// The JIT's answer at a hot loop header.
pub enum LoopAction {
    /// Interpret; visit the header this many more times before asking again.
    Wait(u32),
    /// The JIT started recording the loop: call [`JitHooks::record_step`] before each instruction.
    Recording,
    /// Run this machine code now.
    Run(NativeCall),
}

/// The JIT's answer when a function's entry countdown ran out.
pub enum EntryAction {
    /// Interpret; count this many more calls before asking again.
    Wait(u32),
    /// The JIT started recording the function from its first instruction.
    Recording,
}

/// The JIT's answer when machine code returned an exit.
pub struct ExitAction {
    /// The code of the frame the tree runs on (the function of an entry tree).
    pub code: Rc<CodeObject>,
    /// The bytecode pc to resume at (in the innermost of `frames`, if any).
    pub pc: u32,
    /// The inlined calls the exit is inside, if any: push their frames.
    pub frames: Option<Rc<InlinedFrames>>,
    /// The JIT started recording a side trace here: call [`JitHooks::record_step`] before each
    /// instruction.
    pub recording: bool,
}

/// The JIT's answer after an instruction was recorded, or a recording cancelled.
pub enum RecordStep {
    /// Keep recording.
    Continue,
    /// The recording is over (a trace was installed, or it failed at an exit).
    Done,
    /// The recording of loop `loop_id` of `code` failed: the VM sets its countdown to `wait`
    /// (the JIT waits longer after each failure).
    Failed { code: Rc<CodeObject>, loop_id: usize, wait: u32 },
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
    /// How often a global holding a builtin or function was rebound: a trace compiled under an
    /// older count may call what is no longer there.
    pub rebinds: u64,
}

/// A loop header, as [`JitHooks::loop_hot`] is told about it.
pub struct LoopAt<'a> {
    pub code: &'a Rc<CodeObject>,
    /// The loop's number in `code.jit_loops`.
    pub loop_id: usize,
    pub header_pc: usize,
    /// True when the VM asks from outside the header instruction (a trace's exit landed on the
    /// header): the dispatch loop then calls [`JitHooks::record_step`] for the header itself, so
    /// a recording started now must not take it too (recorded twice, the header would close
    /// the loop at once: a trace of the header alone, skipping the body). False from inside the
    /// header's own execution, past the dispatch loop's `record_step`.
    pub before_header: bool,
}

/// The JIT as the VM drives it. The VM calls nothing else of the JIT.
pub trait JitHooks {
    /// The countdown of a loop header ran out (the VM is not recording).
    fn loop_hot(&mut self, at: LoopAt<'_>, now: &Running<'_>) -> LoopAction;

    /// Before the VM executes the instruction at `pc` of `code` while recording.
    fn record_step(&mut self, code: &Rc<CodeObject>, pc: usize, now: &Running<'_>) -> RecordStep;

    /// The VM abandons the recording (an exception unwound).
    fn recording_cancelled(&mut self, reason: &str) -> RecordStep;

    /// A side trace of `tree` re-entered its root while the tree is settling: the call to make.
    fn tree_ran(&mut self, tree: u32) -> NativeCall;

    /// The machine code of `tree` ran for `time` (only when the VM measures native time).
    fn native_ran(&mut self, _tree: u32, _time: std::time::Duration) {}
    /// The countdown of `code`'s entry ran out (or its entry tree was installed under another
    /// count of rebound globals): the function's frame has just been pushed (the VM is not
    /// recording). The VM then runs `code.jit_entry`'s machine code if it has some.
    fn function_hot(&mut self, code: &Rc<CodeObject>, now: &Running<'_>) -> EntryAction;

    /// The machine code of `tree` returned exit `exit` (no error is pending): if the exit
    /// resumes at the header of another loop of the same frame that has a compiled tree, and
    /// `pending` says false (no native call below it exited, no Ctrl-C), the JIT counts the
    /// exit and returns that tree's call and the header's pc, and the VM runs it at once, on
    /// the frame as the exit wrote it (a stitched jump). None: the VM takes the exit as usual
    /// ([`JitHooks::exit_taken`]).
    fn stitch(
        &mut self,
        _tree: u32,
        _exit: u32,
        _rebinds: u64,
        _pending: &dyn Fn() -> bool,
    ) -> Option<(NativeCall, usize)> {
        None
    }

    /// The machine code of `tree`, run on a frame at depth `depth`, returned exit `exit`.
    fn exit_taken(&mut self, tree: u32, exit: u32, depth: usize) -> ExitAction;
}
