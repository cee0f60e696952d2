//! Trace recorder (bytecode → trace IR): the recorder's state, the slot reads and writes every
//! opcode goes through (`slots.rs`), snapshots, and the per-instruction dispatch.
//!
//! The VM keeps executing normally while recording; before each instruction it calls
//! [`Recorder::record`], which appends IR for what that instruction is about to do,
//! specialised on the types it sees in the frame, with a guard for every assumption (slot
//! types, branch directions, int overflow, list bounds and element types). Recording ends when
//! execution returns to the loop header ([`Recorder::close`] peels the loop) or aborts with a
//! reason. A side trace ([`Recorder::new_side`]) starts at a hot exit, knowing the slot types
//! its parent established, and ends at a compiled loop's header ([`Recorder::close_side`]).
//!
//! One file per kind of work: `arith.rs` (numbers, comparisons, list indexing), `builtins.rs`
//! (globals holding functions and builtins, builtin calls), `calls.rs` (inlining Toy function
//! calls), `loops.rs` (`for` headers, loop peeling, `Link`). `LoadGlobal` is checked after the
//! VM has run it (the recorder runs before each instruction, so it looks one step later).
//!
//! Reads the frame and code objects; writes nothing outside the trace it builds.

use std::collections::HashMap;
use std::rc::Rc;

use crate::interp::engine::bytecode::{CodeObject, Instr, Reg};
use crate::interp::engine::liveness::Liveness;
use crate::interp::engine::native::{InlinedFrames, Running};
use crate::interp::objects::value::{Value, tag};

use super::ir::{Cond, IrRef, Op, Trace, TraceObject, Type};

mod arith;
mod bigints;
mod builtins;
mod calls;
mod dicts;
mod fstrings;
mod globals;
mod identity;
mod interp_call;
mod lists;
mod loops;
mod native;
mod raises;
mod slots;
mod strings;
mod truth;
mod tuples;

pub use interp_call::{LIST_HELD_ACROSS_INTERP_CALL, lists_across_interp_calls};

use loops::loop_end;

/// How an abort begins when the recorded iteration left its loop (the loop is a short one).
pub const LEFT_THE_LOOP: &str = "the iteration left the loop";

/// How the abort of a recording whose loop ended (its iterator ran out, or its dict) begins:
/// the JIT counts such a loop as short (`trace.rs`).
pub const LOOP_RAN_OUT: &str = "the loop ended while recording";

/// Longest iteration the recorder follows (in bytecode instructions).
const MAX_RECORDED_INSTRUCTIONS: usize = 2000;

/// Why recording stopped without a trace, in words for the dump.
#[derive(Debug, Clone, PartialEq)]
pub struct Abort(pub String);

fn abort<T>(reason: impl Into<String>) -> Result<T, Abort> {
    Err(Abort(reason.into()))
}

/// What happened to one instruction.
pub enum Step {
    Continue,
    /// Execution is back at the loop header: the iteration is complete.
    Closed,
    /// A side trace reached the header of a compiled loop (trace `trace`, header at `pc`): it
    /// ends there, linking to that trace.
    Link {
        trace: u32,
        pc: usize,
    },
    /// A side trace reached the module's `Return` (at `pc`), or the header of a loop that has
    /// no trace: it ends there, and the interpreter goes on at `pc`.
    Leave {
        pc: usize,
    },
    /// A side trace reached a raise (at `pc` of the running code, maybe an inlined callee's):
    /// it ends there (`Leave`), and the interpreter raises (`raises.rs`).
    Raises {
        pc: usize,
    },
    /// A function-entry trace (or a side trace of one) reached its function's `Return`: it
    /// ended with `Ret`.
    Returned,
    /// Execution reached the header of loop `loop_id` of an inlined callee (`code`, at `pc`):
    /// if that loop has a trace, the recording ends there by linking to it (the VM re-creates
    /// the inlined frames and enters it); if not, it aborts (the JIT knows which it is).
    CalleeLoop {
        code: Rc<CodeObject>,
        loop_id: usize,
        pc: usize,
    },
}

/// What a side trace knows when it starts at an exit of another trace.
pub struct SideStart {
    /// The root trace of the tree and the pc of its loop header.
    pub root_trace: u32,
    pub root_header_pc: usize,
    /// Slot types the parent trace had established when it exited (guarded or written), so
    /// that the side trace needs no type guard for them.
    pub known: HashMap<u16, Type>,
}

#[derive(Clone, Copy, Debug)]
enum Event {
    /// An instruction was appended.
    Inst(IrRef),
    /// A frame slot received a value.
    Write(u16, IrRef),
    /// A runtime call wrote a frame slot in memory (`None`): exits must not write it.
    Forget(u16),
}

/// Is `code` the module's (whose `Return` ends the program, not a call)?
pub fn is_module(code: &CodeObject) -> bool {
    code.name == "<module>"
}

/// One recorded bytecode instruction, for the dump.
#[derive(Clone, Debug)]
pub struct RecordedInstr {
    pub pc: usize,
    pub line: u32,
    pub text: String,
    /// How many inlined calls deep it ran (the dump indents it that much).
    pub depth: usize,
}

pub struct Recorder {
    /// The code of the loop (or of the exit a side trace starts at).
    pub code: Rc<CodeObject>,
    /// Keep the text of each recorded instruction (only the dump shows it, and most recordings
    /// of a program that aborts often would format it for nothing).
    pub listing: bool,
    /// The code running now: `code`, or the innermost inlined call's.
    cur: Rc<CodeObject>,
    /// The code `header_pc` is in (a side trace may start inside an inlined call).
    start_code: Rc<CodeObject>,
    /// The trace slot of the running code's slot 0 (0 outside inlined calls).
    base: u16,
    /// The Toy function calls being inlined, outermost first (see `calls.rs`).
    calls: Vec<calls::ActiveCall>,
    pub header_pc: usize,
    pub loop_id: usize,
    depth: usize,
    pub trace: Trace,
    /// Current IR value of each slot the trace has read or written.
    slots: HashMap<u16, IrRef>,
    /// Slots read before any write: their entry load and guarded type.
    entry_loads: HashMap<u16, (IrRef, Type)>,
    /// Slots written, in order of first write.
    written: Vec<u16>,
    events: Vec<Event>,
    int_constants: HashMap<i64, IrRef>,
    float_constants: HashMap<u64, IrRef>,
    pub recorded: Vec<RecordedInstr>,
    /// Set when recording a side trace.
    pub side: Option<SideStart>,
    /// A `LoadGlobal` just recorded: its destination register and global, checked at the next
    /// instruction (once the VM has loaded the value).
    pending_global: Option<(Reg, u32, usize)>,
    /// Slots holding a function or builtin loaded from a global (a `ConstObj`): a Toy function
    /// to inline, a builtin to turn into IR, or a class for `isinstance`.
    held: HashMap<u16, super::ir::TraceObject>,
    /// Slots holding a `range(...)` not built (start, stop, step), until `GetIter` takes it.
    ranges: HashMap<u16, (IrRef, IrRef, IrRef)>,
    /// Slots holding a dict's `keys()`, `values()` or `items()` not built (the dict and the
    /// `DictIterInto` kind), until the next instruction, a `GetIter`, takes it.
    dict_views: HashMap<u16, (IrRef, i64)>,
    /// Why the recording cannot go on (found where no error can be returned).
    poisoned: Option<String>,
    /// Slots holding a function the trace calls behind a `GuardObj` (never written by it).
    guarded_functions: Vec<u16>,
    /// Loop headers a side trace went through (an outer loop's, once; a second visit means an
    /// inner loop without a trace of its own).
    headers_passed: Vec<usize>,
    /// The trace compiled for each loop of `code`, if any, when the recording started (no
    /// loop gets or loses a trace while a recording runs).
    loop_traces: Vec<Option<u32>>,
    /// Recording a function-entry trace, or a side trace of one (see `native.rs`).
    pub entry: bool,
    /// Per loop of `code`: did a recording of it end with the loop (a loop of few iterations,
    /// which a recording may unroll: `loops.rs`'s `unrolls_short_loop`)?
    pub short_loops: Vec<bool>,
    /// Headers of short loops passed so far by unrolling them (bounded: `loops.rs`).
    unrolled_headers: usize,
    /// A side trace that reaches the header of a loop without a trace ends there (`Leave`)
    /// instead of aborting: set by the JIT for an exit whose side traces failed often.
    pub leaves_at_untraced_loops: bool,
    /// A native call the VM is running, finished when it returns.
    native_pending: Option<native::PendingNative>,
    /// Globals a call may have changed since the trace last knew them (`globals.rs`): each
    /// with the type it was read again with after the call, if it was.
    reread_globals: HashMap<u16, Option<Type>>,
    /// Slots where a call run in the interpreter left `None` (the trace cannot read them).
    nones: Vec<u16>,
}

impl Recorder {
    pub fn new(
        code: &Rc<CodeObject>,
        header_pc: usize,
        loop_id: usize,
        depth: usize,
        loop_traces: Vec<Option<u32>>,
    ) -> Recorder {
        let trace = Trace { slot_names: code.slot_names.clone(), ..Trace::default() };
        Recorder {
            code: code.clone(),
            cur: code.clone(),
            start_code: code.clone(),
            base: 0,
            calls: Vec::new(),
            header_pc,
            loop_id,
            depth,
            trace,
            slots: HashMap::new(),
            entry_loads: HashMap::new(),
            written: Vec::new(),
            events: Vec::new(),
            int_constants: HashMap::new(),
            float_constants: HashMap::new(),
            recorded: Vec::new(),
            listing: true,
            side: None,
            pending_global: None,
            held: HashMap::new(),
            ranges: HashMap::new(),
            dict_views: HashMap::new(),
            poisoned: None,
            guarded_functions: Vec::new(),
            headers_passed: Vec::new(),
            loop_traces,
            entry: false,
            short_loops: Vec::new(),
            unrolled_headers: 0,
            leaves_at_untraced_loops: false,
            native_pending: None,
            reread_globals: HashMap::new(),
            nones: Vec::new(),
        }
    }

    /// A recorder for the function-entry trace of `code`, whose frame (number `depth`) was just
    /// pushed: it records from the first instruction to the function's `Return`.
    pub fn new_entry(code: &Rc<CodeObject>, depth: usize, loop_traces: Vec<Option<u32>>) -> Recorder {
        let mut recorder = Recorder::new(code, 0, usize::MAX, depth, loop_traces);
        recorder.entry = true;
        recorder
    }

    /// A recorder for a side trace starting at `start_pc`, at an exit of a trace of the tree
    /// whose root loops at `side.root_header_pc`.
    ///
    /// `code` is the code of the tree's loop and `depth` the number of frames the VM had when
    /// it ran the loop; if the exit is inside inlined calls, `frames` (outermost first) are
    /// those calls, which the VM has re-created, with the locals not yet assigned unbound.
    pub fn new_side(
        code: &Rc<CodeObject>,
        start_pc: usize,
        depth: usize,
        side: SideStart,
        frames: Option<&InlinedFrames>,
        loop_traces: Vec<Option<u32>>,
    ) -> Result<Recorder, Abort> {
        let mut recorder = Recorder::new(code, start_pc, usize::MAX, depth, loop_traces);
        recorder.side = Some(side);
        if let Some(frames) = frames {
            recorder.resume_in_calls(&frames.frames, &frames.unbound)?;
        }
        Ok(recorder)
    }

    /// Does the trace run straight through, never coming back to where it started (a side
    /// trace or a function entry), so that the loops it meets are recorded through (their end,
    /// or an iteration: `native.rs`'s `entry_step`) rather than being the loop it closes?
    fn straight(&self) -> bool {
        self.side.is_some() || self.entry
    }

    /// Did this function-entry recording run through a loop without a trace (see
    /// `native.rs`'s `entry_step`)? Then returning is its end, not a path before the loop.
    pub fn passed_untraced_loops(&self) -> bool {
        self.entry && self.side.is_none() && !self.headers_passed.is_empty()
    }

    /// Where the recording started: the loop's header, or the exit a side trace starts at.
    pub fn start(&self) -> (&Rc<CodeObject>, usize) {
        (&self.start_code, self.header_pc)
    }

    /// May the running code read register `reg` after the instruction at `pc` before writing
    /// it again? (No: the result of `out.append(x)` as a statement, which the trace then need
    /// not write.)
    fn result_is_read(&self, pc: usize, reg: Reg) -> bool {
        let code = &self.cur;
        // The code object keeps its liveness once computed (exits ask it too: `snap.rs`).
        pc + 1 >= code.instrs.len() || Liveness::cached(code).is_live(pc + 1, reg.0)
    }

    fn emit(&mut self, op: Op, ty: Type) -> IrRef {
        let r = self.trace.push(op, ty);
        self.events.push(Event::Inst(r));
        r
    }

    /// The snapshot for exiting before the instruction at `pc` (of the running code).
    fn snapshot(&mut self, pc: usize) -> super::ir::SnapId {
        // The interpreter must find what it would have built: a range not built cannot be
        // written, so the recording stops.
        if !self.ranges.is_empty() {
            self.poisoned = Some("an exit between range(...) and the loop it starts".into());
        }
        let call = self.calls.last().map(|c| c.index);
        let unbound = self.unassigned_locals();
        super::snap::capture(&mut self.trace, pc, &self.written, &self.slots, call, unbound)
    }

    /// The trace slot of register `reg` of the running code.
    fn slot(&self, reg: Reg) -> u16 {
        self.base + reg.0
    }

    fn const_int(&mut self, value: i64) -> IrRef {
        if let Some(&r) = self.int_constants.get(&value) {
            return r;
        }
        let r = self.emit(Op::ConstInt { value }, Type::Int);
        self.int_constants.insert(value, r);
        r
    }

    fn const_float(&mut self, value: f64) -> IrRef {
        if let Some(&r) = self.float_constants.get(&value.to_bits()) {
            return r;
        }
        let r = self.emit(Op::ConstFloat { value }, Type::Float);
        self.float_constants.insert(value.to_bits(), r);
        r
    }

    fn name_of(&self, slot: u16) -> String {
        if let Some(name) = self.trace.global_names.get(&slot) {
            return format!("the global '{name}'");
        }
        match self.trace.slot_names.get(slot as usize) {
            Some(name) if !name.is_empty() && !name.starts_with('=') => format!("'{name}'"),
            _ => format!("a temporary (r{slot})"),
        }
    }

    /// Records the instruction at `pc`, about to be executed on `frame`.
    pub fn record(&mut self, pc: usize, now: &Running<'_>) -> Result<Step, Abort> {
        if self.inside_native_call(now.depth) {
            return Ok(Step::Continue);
        }
        if now.depth == self.depth + self.calls.len() {
            self.finish_native_call(now.frame)?;
        }
        if now.depth != self.depth + self.calls.len() {
            return abort("a call the recorder did not follow");
        }
        if let Some(reason) = self.poisoned.take() {
            return abort(reason);
        }
        if self.recorded.is_empty() && self.code.nslots >= super::ir::GLOBAL_SLOTS {
            // Its slot numbers would run into those of the globals.
            return abort("a function with too many registers for the JIT");
        }
        if let Some((dst, global, load_pc)) = self.pending_global.take() {
            self.loaded_global(dst, global, load_pc, now)?;
        }
        if self.entry && self.calls.is_empty() {
            if let Some(step) = self.entry_step(pc, now.frame)? {
                self.push_listing(pc, now);
                return Ok(step);
            }
        } else if let Some(call) = self.calls.last() {
            if let Some(loop_id) = self.cur.instrs[pc].loop_id() {
                if self.entry {
                    // Natively called, a trace that ends at a loop would exit each time.
                    return abort(format!("a loop inside the inlined function {}()", call.code.name));
                }
                if self.recorded.is_empty() {
                    return abort(format!(
                        "a side trace starting at a loop of the inlined function {}()",
                        call.code.name
                    ));
                }
                return Ok(Step::CalleeLoop { code: self.cur.clone(), loop_id, pc });
            }
        } else if let Some(side) = &self.side {
            if matches!(self.cur.instrs[pc], Instr::Return { .. }) {
                // A function's loop tree returns natively (`Ret`), so that a call of the
                // function stays in machine code; the module's `Return` is left to the VM.
                if !is_module(&self.code) {
                    let step = self.record_ret(pc, now.frame)?;
                    self.push_listing(pc, now);
                    return Ok(step);
                }
                if !self.recorded.is_empty() {
                    return Ok(Step::Leave { pc });
                }
            }
            let (root_trace, root_header_pc) = (side.root_trace, side.root_header_pc);
            if let Some(step) = self.side_trace_end(root_trace, root_header_pc, pc, now.frame)? {
                return Ok(step);
            }
        } else if pc == self.header_pc && !self.recorded.is_empty() {
            return Ok(Step::Closed);
        } else if let Some(trace) = self.trace_at(pc)
            && self.inside_loop(pc)
        {
            // An inner loop that has a trace: this iteration ends by linking to it.
            return Ok(Step::Link { trace, pc });
        }
        if self.side.is_some() && raises::raises_at(&self.cur, pc) {
            return Ok(Step::Raises { pc });
        }
        if self.recorded.len() >= MAX_RECORDED_INSTRUCTIONS {
            return abort(format!("the loop body is longer than {MAX_RECORDED_INSTRUCTIONS} bytecode instructions"));
        }
        self.push_listing(pc, now);
        self.record_instr(self.cur.instrs[pc], pc, now)?;
        Ok(Step::Continue)
    }

    /// Adds the instruction at `pc` to the recorded listing (its text only when the dump shows it).
    fn push_listing(&mut self, pc: usize, now: &Running<'_>) {
        let instr = self.cur.instrs[pc];
        let text = if self.listing {
            format!(
                "{:<14} {}",
                instr.name(),
                instr
                    .operands()
                    .iter()
                    .map(|(f, o)| format!("{f}={}", o.render(&self.cur, now.global_names)))
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        } else {
            String::new()
        };
        self.recorded.push(RecordedInstr { pc, line: self.cur.lines[pc], text, depth: self.calls.len() });
        self.trace.origins.current = (self.recorded.len() - 1) as u32;
    }

    /// Where a side trace ends: at its root's loop header (after at least one instruction), or
    /// at the header of another loop that has a trace (`Link`). A loop around the root's loop is
    /// passed once (an outer loop's); a second visit aborts. Any other loop aborts too (it
    /// should get a trace of its own, to link to), unless [`Recorder::leaves_at_untraced_loops`]:
    /// then the side trace ends there (`Leave`: the interpreter goes on at the header).
    fn side_trace_end(
        &mut self,
        root_trace: u32,
        root_header_pc: usize,
        pc: usize,
        frame: &[Value],
    ) -> Result<Option<Step>, Abort> {
        if self.code.instrs[pc].loop_id().is_none() {
            return Ok(None);
        }
        if self.recorded.is_empty() {
            self.headers_passed.push(pc);
            return Ok(None);
        }
        if pc == root_header_pc {
            return Ok(Some(Step::Link { trace: root_trace, pc }));
        }
        if let Some(trace) = self.trace_at(pc) {
            return Ok(Some(Step::Link { trace, pc }));
        }
        // Only a loop around the root's loop may be passed (once): any other loop should get a
        // trace of its own (the interpreter counts it while this exit stays cold), instead of
        // being unrolled into ever longer side traces.
        let encloses_root = pc < root_header_pc && loop_end(&self.code, pc) > loop_end(&self.code, root_header_pc);
        if !encloses_root && loops::ends_at_once(&self.code, pc, frame) {
            // A loop without a trace that ends at once (mostly 0 iterations: a template's
            // filters): its end is recorded (`ForIter`), the side trace goes on after it.
            return Ok(None);
        }
        if !encloses_root && self.unrolls_short_loop(pc) {
            // A loop of few iterations (its own recordings met its end) would get no trace to
            // link to: its iterations are recorded into the side trace.
            return Ok(None);
        }
        if !encloses_root && self.leaves_at_untraced_loops {
            // Aborting again would leave the whole path to the interpreter until the loop gets
            // a trace, which a loop of mostly 0 or 1 iterations gets late (a template's
            // `for name, arg in filters:`: 215k exits of programs/template.toy). Once the loop
            // has a trace, the VM enters it from here.
            return Ok(Some(Step::Leave { pc }));
        }
        if !encloses_root || self.headers_passed.contains(&pc) {
            return abort("the side trace runs into an inner loop that has no trace of its own yet");
        }
        self.headers_passed.push(pc);
        Ok(None)
    }

    /// The number of the trace compiled for the loop whose header is at `pc`, if any.
    fn trace_at(&self, pc: usize) -> Option<u32> {
        let loop_id = self.code.instrs[pc].loop_id()?;
        self.loop_traces.get(loop_id).copied().flatten()
    }

    /// Is `pc` inside the body of the loop being recorded (an inner loop's header)?
    fn inside_loop(&self, pc: usize) -> bool {
        pc > self.header_pc && pc <= loop_end(&self.code, self.header_pc)
    }

    /// Why a loop's recording stops at the header of another loop at `pc`.
    fn other_loop_reached(&self, pc: usize) -> String {
        if self.inside_loop(pc) {
            "an inner loop starts inside the loop (the inner loop gets its own trace; side traces join them)".into()
        } else {
            format!("{LEFT_THE_LOOP} and reached an outer loop (side traces join them)")
        }
    }

    fn record_instr(&mut self, instr: Instr, pc: usize, now: &Running<'_>) -> Result<(), Abort> {
        let frame = now.frame;
        use crate::parser::ast::BinOp;
        match instr {
            Instr::Nop {} | Instr::Jump { .. } => {}
            Instr::BuildTuple { .. }
            | Instr::BuildTuple2 { .. }
            | Instr::BuildTuple3 { .. }
            | Instr::Unpack { .. }
            | Instr::JumpIfNone { .. }
            | Instr::JumpIfNotNone { .. }
            | Instr::LoadNone { .. } => self.record_tuple_instr(instr, pc, frame)?,
            Instr::Is { dst, a, b } => self.record_is(dst, (a, b), false, pc, frame)?,
            Instr::IsNot { dst, a, b } => self.record_is(dst, (a, b), true, pc, frame)?,
            Instr::LoopHeader { .. } => {
                if pc != self.header_pc && !self.straight() && !self.unrolls_short_loop(pc) {
                    return abort(self.other_loop_reached(pc));
                }
            }
            Instr::ForIter { iter, target, exit, .. } => {
                if pc != self.header_pc && !self.straight() && !self.unrolls_short_loop(pc) {
                    return abort(self.other_loop_reached(pc));
                }
                // The loop's state slots say what it iterates (see the VM's `GetIter`).
                match &frame[iter.0 as usize] {
                    Value::List(_) => self.record_for_list(iter, target, exit.0 as usize, pc, frame)?,
                    Value::Str(_) => self.record_for_str((iter, target), exit.0 as usize, pc, frame)?,
                    value if dicts::is_dict_loop(value) => self.record_for_dict(iter, target, pc, frame)?,
                    _ => self.record_for_range(iter, target, exit.0 as usize, pc, frame)?,
                }
            }
            Instr::Move { dst, src } => self.copy(dst, src, frame, pc)?,
            Instr::Move2 { dst, src, dst2, src2 } => {
                self.copy(dst, src, frame, pc)?;
                self.copy(dst2, src2, frame, pc)?;
            }
            Instr::LoadConst { dst, constant } => {
                let r = match &self.cur.consts[constant.0 as usize] {
                    Value::Int(i) => self.const_int(*i),
                    Value::Float(f) => self.const_float(*f),
                    Value::Bool(b) => self.emit(Op::ConstBool { value: *b }, Type::Bool),
                    Value::Str(text) => {
                        let text = text.clone();
                        return self.load_str_const(dst, &text);
                    }
                    Value::BigInt(_) => {
                        return abort("an int constant beyond 64 bits (big ints stay in the interpreter)");
                    }
                    other => return abort(format!("{} constant", a(other.type_name()))),
                };
                self.write(dst, r)?;
            }
            Instr::LoadBool { dst, value } => {
                let r = self.emit(Op::ConstBool { value }, Type::Bool);
                self.write(dst, r)?;
            }
            Instr::CheckBound { slot, .. } => {
                self.read(slot, frame, pc)?;
            }
            Instr::CheckMethod { obj, method, receivers } => {
                // Which methods a value has depends on its type alone (the instruction's
                // `receivers`): a list's type guard (the read) makes the check static. Other
                // receivers' calls are not traced.
                use crate::interp::objects::methods::{RECEIVER_DICT, RECEIVER_LIST, RECEIVER_STR};
                let has_it = match frame[obj.0 as usize] {
                    Value::List(_) => receivers & RECEIVER_LIST != 0,
                    // A string's and a dict's methods run as helpers (those that have one).
                    Value::Str(_) | Value::Dict(_) => {
                        receivers & (RECEIVER_STR | RECEIVER_DICT) != 0
                            && crate::jit::ir::helpers::Helper::of_method(self.cur.method_ids[method.0 as usize])
                                .is_some()
                    }
                    _ => false,
                };
                if !has_it {
                    let name = &self.cur.names[method.0 as usize];
                    return abort(format!(
                        "a call to the method {name}() (only list.append, list.pop and string methods are traced)"
                    ));
                }
                self.read(obj, frame, pc)?;
            }
            Instr::Add { dst, a, b } | Instr::AddInPlace { dst, a, b } => {
                if matches!(instr, Instr::AddInPlace { .. }) {
                    self.refuse_list_in_place("+", a, b, frame)?;
                }
                match self.str_binary(BinOp::Add, dst, a, b, pc, frame) {
                    Some(recorded) => recorded?,
                    None => self.arith(BinOp::Add, dst, a, b, pc, frame)?,
                }
            }
            Instr::Sub { dst, a, b } => self.arith(BinOp::Sub, dst, a, b, pc, frame)?,
            Instr::Mul { dst, a, b } | Instr::MulInPlace { dst, a, b } => {
                if matches!(instr, Instr::MulInPlace { .. }) {
                    self.refuse_list_in_place("*", a, b, frame)?;
                }
                match self.str_binary(BinOp::Mul, dst, a, b, pc, frame) {
                    Some(recorded) => recorded?,
                    None => self.arith(BinOp::Mul, dst, a, b, pc, frame)?,
                }
            }
            Instr::TrueDiv { dst, a, b } => self.arith(BinOp::TrueDiv, dst, a, b, pc, frame)?,
            Instr::FloorDiv { dst, a, b } => self.arith(BinOp::FloorDiv, dst, a, b, pc, frame)?,
            Instr::Mod { dst, a, b } => match self.str_binary(BinOp::Mod, dst, a, b, pc, frame) {
                Some(recorded) => recorded?,
                None => self.arith(BinOp::Mod, dst, a, b, pc, frame)?,
            },
            Instr::In { dst, a, b } => self.record_contains(false, dst, a, b, pc, frame)?,
            Instr::NotIn { dst, a, b } => self.record_contains(true, dst, a, b, pc, frame)?,
            Instr::Pow { dst, a, b } => self.arith(BinOp::Pow, dst, a, b, pc, frame)?,
            Instr::LShift { dst, a, b } => self.arith(BinOp::LShift, dst, a, b, pc, frame)?,
            Instr::RShift { dst, a, b } => self.arith(BinOp::RShift, dst, a, b, pc, frame)?,
            Instr::BitAnd { dst, a, b } => self.arith(BinOp::BitAnd, dst, a, b, pc, frame)?,
            Instr::BitOr { dst, a, b } => self.arith(BinOp::BitOr, dst, a, b, pc, frame)?,
            Instr::BitXor { dst, a, b } => self.arith(BinOp::BitXor, dst, a, b, pc, frame)?,
            Instr::Neg { dst, src } if let Some(recorded) = self.big_neg(dst, src, pc, frame) => recorded?,
            Instr::Neg { dst, src } => {
                // A bool is negated as the int 0 or 1 (never overflows).
                let ((r, ty), value) = self.read_number(src, frame, pc)?;
                let result = match ty {
                    Type::Int => {
                        if matches!(value, Value::Int(i64::MIN)) {
                            return abort("an int overflowed 64 bits while recording");
                        }
                        let snap = self.snapshot(pc);
                        self.emit(Op::NegInt { a: r, snap }, Type::Int)
                    }
                    Type::Float => self.emit(Op::NegFloat { a: r }, Type::Float),
                    _ => return abort(format!("unary - on {}", a(ty.name()))),
                };
                self.write(dst, result)?;
            }
            Instr::Invert { dst, src } => {
                // `~x` is `x ^ -1` on ints (and on bools as 0 and 1).
                let ((r, ty), _) = self.read_number(src, frame, pc)?;
                if ty != Type::Int {
                    return abort(format!("unary ~ on {}", a(ty.name())));
                }
                let all_ones = self.const_int(-1);
                let result = self.emit(Op::XorInt { a: r, b: all_ones }, Type::Int);
                self.write(dst, result)?;
            }
            Instr::Not { dst, src } => {
                // `not x` on a number: `x == 0` (a bool counts as 0 or 1).
                let ((r, ty), _) = self.read_number(src, frame, pc)?;
                let result = match ty {
                    Type::Int => {
                        let zero = self.const_int(0);
                        self.emit(Op::CmpInt { cond: Cond::Eq, a: r, b: zero }, Type::Bool)
                    }
                    Type::Float => {
                        let zero = self.const_float(0.0);
                        self.emit(Op::CmpFloat { cond: Cond::Eq, a: r, b: zero }, Type::Bool)
                    }
                    _ => return abort(format!("`not` on {}", a(ty.name()))),
                };
                self.write(dst, result)?;
            }
            Instr::Lt { dst, a, b } => self.compare_into(Cond::Lt, dst, a, b, pc, frame)?,
            Instr::LtE { dst, a, b } => self.compare_into(Cond::Le, dst, a, b, pc, frame)?,
            Instr::Gt { dst, a, b } => self.compare_into(Cond::Gt, dst, a, b, pc, frame)?,
            Instr::GtE { dst, a, b } => self.compare_into(Cond::Ge, dst, a, b, pc, frame)?,
            Instr::Eq { dst, a, b } => self.compare_into(Cond::Eq, dst, a, b, pc, frame)?,
            Instr::NotEq { dst, a, b } => self.compare_into(Cond::Ne, dst, a, b, pc, frame)?,
            Instr::JumpIfLt { a, b, .. } => self.compare_jump(Cond::Lt, a, b, pc, frame)?,
            Instr::JumpIfLtE { a, b, .. } => self.compare_jump(Cond::Le, a, b, pc, frame)?,
            Instr::JumpIfGt { a, b, .. } => self.compare_jump(Cond::Gt, a, b, pc, frame)?,
            Instr::JumpIfGtE { a, b, .. } => self.compare_jump(Cond::Ge, a, b, pc, frame)?,
            Instr::JumpIfEq { a, b, .. } => self.compare_jump(Cond::Eq, a, b, pc, frame)?,
            Instr::JumpIfNotEq { a, b, .. } => self.compare_jump(Cond::Ne, a, b, pc, frame)?,
            Instr::JumpIfNotLt { a, b, .. } => self.compare_jump(Cond::Lt, a, b, pc, frame)?,
            Instr::JumpIfNotLtE { a, b, .. } => self.compare_jump(Cond::Le, a, b, pc, frame)?,
            Instr::JumpIfNotGt { a, b, .. } => self.compare_jump(Cond::Gt, a, b, pc, frame)?,
            Instr::JumpIfNotGtE { a, b, .. } => self.compare_jump(Cond::Ge, a, b, pc, frame)?,
            Instr::JumpIfFalse { cond, .. } | Instr::JumpIfTrue { cond, .. } => self.truth_jump(cond, pc, frame)?,
            Instr::GetItem { dst, obj, index } if matches!(frame[obj.0 as usize], Value::Tuple(_)) => {
                self.tuple_get_item(dst, obj, index, pc, frame)?
            }
            Instr::BuildList { dst, start, count } => {
                let items: Vec<Reg> = (0..count.0).map(|i| Reg(start.0 + i)).collect();
                self.record_helper(crate::jit::ir::helpers::Helper::BuildList, dst, &items, pc, frame)?
            }
            Instr::BuildDict { dst, start, count } => self.record_dict_display(dst, start, count.0, pc, frame)?,
            Instr::GetItem { dst, obj, index } if matches!(frame[obj.0 as usize], Value::Str(_) | Value::Dict(_)) => {
                self.record_helper(crate::jit::ir::helpers::Helper::GetItem, dst, &[obj, index], pc, frame)?
            }
            Instr::GetSlice { dst, obj, bounds }
                if matches!(frame[obj.0 as usize], Value::Str(_) | Value::List(_) | Value::Tuple(_)) =>
            {
                let regs = [obj, bounds, Reg(bounds.0 + 1), Reg(bounds.0 + 2)];
                self.record_helper(crate::jit::ir::helpers::Helper::Slice, dst, &regs, pc, frame)?
            }
            Instr::GetItem { dst, obj, index } => {
                let (list, index_ref) = self.list_index(obj, index, pc, frame)?;
                let element_type = match list_element(&frame[obj.0 as usize], &frame[index.0 as usize]) {
                    Some(element) => element_type(&element)?,
                    None => return abort("a list index out of range while recording"),
                };
                let snap = self.snapshot(pc);
                let r = self.emit(Op::ListLoad { list, index: index_ref, ty: element_type, snap }, element_type);
                self.write(dst, r)?;
            }
            Instr::Return { src } => self.leave_call(src, pc, frame)?,
            Instr::LoadGlobal { dst, global } => self.pending_global = Some((dst, global.0, pc)),
            Instr::LoadGlobalMove { dst, global, dst2, src } => {
                // The compiler fuses only a move that neither reads nor writes `dst`, so the
                // two are recorded in either order; an exit at the load re-runs both.
                self.copy(dst2, src, frame, pc)?;
                self.pending_global = Some((dst, global.0, pc));
            }
            Instr::StoreGlobal { global, src } => self.store_global(global.0, src, pc, now)?,
            Instr::Call { dst, func, args, argc } => {
                let callee = self.slot(func);
                self.recall_object(func, frame);
                match self.held.remove(&callee) {
                    Some(TraceObject::Builtin(id)) => {
                        self.call_builtin(id, dst, args, argc.0, pc, frame)?;
                        // The builtin's register is a dead temporary once the call is done (an
                        // exit inside it re-executes the call, which needs it).
                        if callee != self.slot(dst) {
                            self.forget(callee);
                        }
                    }
                    Some(TraceObject::Function(function)) if self.wants_native_call(&function, now.globals) => {
                        self.native_call(&function, callee, dst, args, argc.0, pc, frame)?;
                    }
                    Some(TraceObject::Function(function)) if self.wants_interp_call(&function) => {
                        self.interp_call((&function, callee), (dst, args, argc.0), pc, frame)?;
                    }
                    Some(TraceObject::Str(_)) => return abort("a call of a string"),
                    Some(TraceObject::Function(function)) => {
                        // The function's register is a dead temporary from here on.
                        self.forget(callee);
                        self.enter_call(&function, dst, args, argc.0, pc)?;
                    }
                    None => match &frame[func.0 as usize] {
                        // A Toy function held in a variable or passed as an argument: inlined
                        // (or called natively) behind a guard on its identity.
                        Value::Function(function) => {
                            let function = function.clone();
                            self.guard_function(callee, &function, pc)?;
                            if self.wants_native_call(&function, now.globals) {
                                self.native_call(&function, callee, dst, args, argc.0, pc, frame)?;
                            } else if self.wants_interp_call(&function) {
                                self.interp_call((&function, callee), (dst, args, argc.0), pc, frame)?;
                            } else {
                                self.enter_call(&function, dst, args, argc.0, pc)?;
                            }
                        }
                        // A builtin loaded before a side trace began: called behind a guard on
                        // its identity (the global may have been rebound since).
                        Value::Builtin(id) => {
                            let id = *id;
                            self.guard_object(callee, TraceObject::Builtin(id), pc)?;
                            self.call_builtin(id, dst, args, argc.0, pc, frame)?;
                            if callee != self.slot(dst) {
                                self.forget(callee);
                            }
                        }
                        _ => return abort("a call to a value the JIT does not know"),
                    },
                }
            }
            Instr::GetIter { iter, src } => {
                if self.start_dict_loop(iter, src, pc, frame)? {
                    return Ok(());
                }
                if let Value::Str(_) = frame[src.0 as usize] {
                    return self.start_str_loop(iter, src, pc, frame);
                }
                if let Value::List(_) = frame[src.0 as usize] {
                    // A list is iterated by position (see the VM's `GetIter`): the list, then 0.
                    let (list, _) = self.read(src, frame, pc)?;
                    let zero = self.const_int(0);
                    self.write(iter, list)?;
                    return self.write(Reg(iter.0 + 1), zero);
                }
                let Some((start, stop, step)) = self.ranges.remove(&self.slot(src)) else {
                    return abort(format!(
                        "a for loop over {} built outside the trace",
                        a(frame[src.0 as usize].type_name())
                    ));
                };
                self.write(iter, start)?;
                self.write(Reg(iter.0 + 1), stop)?;
                self.write(Reg(iter.0 + 2), step)?;
            }
            Instr::ListAppend { list, value } => self.comprehension_append(list, value, pc, frame)?,
            Instr::EnterComprehension {} => {
                let snap = self.snapshot(pc);
                let depth = self.calls.len() as i64;
                self.emit(Op::ComprehensionEnter { depth, snap }, Type::Void);
            }
            Instr::LeaveComprehension {} => {
                self.emit(Op::ComprehensionLeave, Type::Void);
            }
            Instr::CallMethod { dst, obj, method, args, argc } => {
                if !self.dict_view(dst, obj, (method.0 as usize, argc.0), pc, frame)? {
                    self.call_method(dst, obj, method.0 as usize, args, argc.0, pc, frame)?
                }
            }
            Instr::SetItem { obj, index, value } if matches!(frame[obj.0 as usize], Value::Dict(_)) => {
                self.record_dict_store(obj, index, value, pc, frame)?
            }
            Instr::SetItem { obj, index, value } => {
                let (list, index_ref) = self.list_index(obj, index, pc, frame)?;
                if list_element(&frame[obj.0 as usize], &frame[index.0 as usize]).is_none() {
                    return abort("a list index out of range while recording");
                }
                let (v, ty) = self.read(value, frame, pc)?;
                if ty == Type::Ptr {
                    return abort("storing a list into a list");
                }
                let old_is_heap = matches!(
                    list_element(&frame[obj.0 as usize], &frame[index.0 as usize]),
                    Some(Value::List(_) | Value::Tuple(_) | Value::Str(_))
                );
                if ty.is_heap() || old_is_heap {
                    // The runtime counts the new element and keeps the old one until no trace
                    // value can point to it.
                    self.emit(Op::ListStoreAny { list, index: index_ref, value: v }, Type::Void);
                } else {
                    let snap = self.snapshot(pc);
                    self.emit(Op::ListStore { list, index: index_ref, value: v, snap }, Type::Void);
                }
            }
            Instr::FormatValue { dst, src, spec, conversion } => {
                self.record_format_value(dst, src, (spec, conversion), pc, frame)?
            }
            Instr::BuildString { dst, start, count } => self.record_build_string(dst, (start, count.0), pc, frame)?,
            other => return abort(format!("the bytecode {} is not supported by the JIT yet", other.name())),
        }
        Ok(())
    }
}

/// A type's name with its indefinite article, for abort reasons ("an int", "a str").
pub(super) fn a(name: &str) -> String {
    let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
    format!("{article} {name}")
}

/// The IR type a list or tuple element is loaded as (numbers, lists, tuples and strings).
fn element_type(element: &Value) -> Result<Type, Abort> {
    match element {
        Value::Int(_) => Ok(Type::Int),
        Value::Float(_) => Ok(Type::Float),
        Value::Bool(_) => Ok(Type::Bool),
        Value::List(_) => Ok(Type::Ptr),
        Value::Tuple(_) => Ok(Type::Tuple),
        Value::Str(_) => Ok(Type::Str),
        Value::Dict(_) => Ok(Type::Dict),
        Value::None => Ok(Type::NoneType),
        Value::BigInt(_) => abort("a list element holds an int beyond 64 bits (big ints stay in the interpreter)"),
        other => abort(format!("a list element holds {}", a(other.type_name()))),
    }
}

/// `list[index]` as the interpreter would read it now, if in range.
fn list_element(list: &Value, index: &Value) -> Option<Value> {
    let (Value::List(items), Value::Int(i)) = (list, index) else { return None };
    let items = items.borrow();
    let len = items.len() as i64;
    let i = if *i < 0 { *i + len } else { *i };
    if (0..len).contains(&i) { Some(items[i as usize].clone()) } else { None }
}

#[cfg(test)]
mod tests {
    #[test]
    fn abort_reasons_name_types_with_the_right_article() {
        assert_eq!(super::a("int"), "an int");
        assert_eq!(super::a("str"), "a str");
        assert_eq!(super::a("float"), "a float");
        let big = crate::interp::objects::value::Value::from_bigint(num_bigint::BigInt::from(u64::MAX) * 4);
        let reason = super::element_type(&big).expect_err("a big int is not a list element the JIT loads").0;
        assert_eq!(reason, "a list element holds an int beyond 64 bits (big ints stay in the interpreter)");
    }
}
