//! The VM's side of the JIT: what happens at a loop header or a function entry whose countdown
//! ran out, running machine code, and re-creating the frames an exit names (inlined calls, and
//! native calls whose callee exited). Part of [`Vm`]; everything it asks
//! or tells the JIT goes through `native::JitHooks` (see `native.rs` for the whole interface).
//!
//! Touches: the VM's stack, frames and loop countdowns; calls machine code the JIT made.

use std::rc::Rc;

use crate::interp::engine::bytecode::{CodeObject, Instr};
use crate::interp::engine::code_ref::CodeRef;
use crate::interp::engine::native::{
    EntryAction, InlinedFrames, JitHooks, LINK_TO_ROOT, LoopAction, LoopAt, NativeCall, RETURNED, RecordStep, Running,
    native_context,
};
use crate::interp::engine::slots::store;
use crate::interp::engine::vm::{Frame, Vm};
use crate::interp::objects::value::Value;

/// What running a function's entry code did ([`Vm::run_entry`]).
pub(super) enum EntryRun {
    /// It returned this result; the function's frame is still pushed.
    Returned(Value),
    /// It exited: resume at this pc of the top frame.
    Resume(usize),
}

/// Slots the VM makes room for above a compiled tree's frame before calling it, for the frames of
/// the native calls it makes (a native call that would pass the room exits, and the interpreter
/// grows the stack, doubling it: a deep recursion exits a few times in all). The room is
/// written (`Value::Unbound`) when made, so it is resident memory: 1,024 slots are 16 kB; the
/// 16,384 of before were 256 kB of every compiling run's peak (queens: 512 kB after a doubling),
/// for no exit fewer on the bench programs.
const NATIVE_STACK_MARGIN: usize = 1 << 10;

impl Vm {
    /// What the recorder sees of the program, running the frame at `base` of `code`.
    pub(super) fn running(&self, code: &CodeObject, base: usize) -> Running<'_> {
        Running {
            frame: &self.stack[base..base + code.nslots as usize],
            depth: self.frames.len(),
            globals: &self.globals,
            global_names: &self.global_names.names,
            rebinds: self.rebinds,
        }
    }

    /// A loop header whose countdown is over: asks the JIT, then counts down again, records,
    /// or runs the loop's machine code (returns where to resume and whether to skip the trace
    /// once, see [`Vm::run_native`]). While a recording runs, nothing happens.
    #[inline(never)]
    pub(super) fn loop_header_slow(
        &mut self,
        jit: &mut dyn JitHooks,
        loop_id: usize,
        base: usize,
        header_pc: usize,
    ) -> Option<(usize, bool)> {
        if self.recording {
            return None;
        }
        let code = &self.frames.last().expect("a frame is running").code.to_rc();
        let action = jit.loop_hot(LoopAt { code, loop_id, header_pc, before_header: false }, &self.running(code, base));
        match action {
            LoopAction::Wait(visits) => {
                code.jit_loops[loop_id].countdown.set(visits);
                None
            }
            LoopAction::Recording => {
                self.recording = true;
                None
            }
            LoopAction::Run(call) => Some(self.run_native(jit, code, call, base, header_pc)),
        }
    }

    /// What the JIT said after recording an instruction (or cancelling the recording).
    pub(super) fn recording_step(&mut self, step: RecordStep) {
        match step {
            RecordStep::Continue => {}
            RecordStep::Done => self.recording = false,
            RecordStep::Failed { code, loop_id, wait } => {
                self.recording = false;
                code.jit_loops[loop_id].countdown.set(wait);
            }
        }
    }

    /// Runs a compiled loop on the frame at `base` until it exits; returns the pc to resume at
    /// and whether to skip the JIT at that pc once (at the loop's own header, which then runs
    /// once in the interpreter: re-entering at once would fail the same guard forever). The JIT
    /// is told of each exit (it counts it, and may start recording a side trace there); an exit
    /// inside calls the trace had inlined gets their frames pushed. A link or `Leave` to the
    /// header of another loop of this frame that has a tree goes on in that tree at once (a
    /// stitched jump: the JIT names the tree, [`JitHooks::stitch`]); any other exit that lands
    /// on the header of another loop of this code whose countdown is over visits that header at
    /// once, without a trip through the dispatch loop. Kept out of the dispatch loop so that it
    /// stays small.
    #[inline(never)]
    fn run_native(
        &mut self,
        jit: &mut dyn JitHooks,
        code: &Rc<CodeObject>,
        mut call: NativeCall,
        base: usize,
        mut header_pc: usize,
    ) -> (usize, bool) {
        let depth = self.frames.len();
        loop {
            if depth + call.inline_depth >= self.frame_limit {
                // Its inlined calls would pass the recursion limit: the interpreter raises it.
                return (header_pc, true);
            }
            let started = self.measure_native_time.then(std::time::Instant::now);
            let in_callees = self.interp_call_time;
            // Inlined calls reach past the frame: their slots must be on the stack.
            if !self.ensure_native_room(base + call.frame_extent) {
                // No room for its inlined frames: the interpreter runs the loop (and raises
                // the RecursionError at the call that passes the limit).
                return (header_pc, true);
            }
            // A side trace that links back to its root returns LINK_TO_ROOT: run the root again
            // at once (it starts by reloading the frame).
            self.enter_native_context(depth);
            let exit = loop {
                // The trace reads and writes only slots below `frame_extent` of this frame, which
                // are on the stack. Native calls inside it check `native_context` (recursion
                // limit, stack end) first.
                let status = self.run_machine_code(jit, call.entry, base, call.side_exits);
                if status != LINK_TO_ROOT {
                    break status;
                }
                if call.settling || crate::interp::engine::native::compiled_code_waiting() {
                    call = jit.tree_ran(call.tree);
                }
            };
            if let Some(started) = started {
                // Calls the trees made in the interpreter are not time in their machine code.
                let elapsed = started.elapsed().saturating_sub(self.interp_call_time.saturating_sub(in_callees));
                self.native_time += elapsed;
                jit.native_ran(call.tree, elapsed);
            }
            if exit == RETURNED {
                // A side trace ended at the function's `Return` (`Ret`): the interpreter's
                // `Return` finishes the call.
                return (self.resume_at_return(code, base), false);
            }
            if let Some((next, next_header)) = self.stitch(jit, call.tree, exit) {
                // A stitched jump: the exit ended at another loop's header, whose tree runs on
                // the frame as the exit wrote it (no dispatch, no `loop_hot`).
                call = next;
                header_pc = next_header;
                continue;
            }
            let action = jit.exit_taken(call.tree, exit, depth);
            let pc = action.pc as usize;
            if let Some(frames) = &action.frames {
                self.push_inlined_frames(base, pc, frames);
            }
            if self.frames.len() != depth || native_context::calls_exited() {
                self.recording = action.recording;
                return (self.push_exited_calls(jit, pc), false);
            }
            if action.recording
                || pc == header_pc
                || self.pending_error.is_some()
                || crate::interp::engine::interrupt::interrupt_pending()
            {
                self.recording = action.recording;
                return (pc, pc == header_pc);
            }
            let Some(loop_id) = code.instrs[pc].loop_id().filter(|&id| code.jit_loops[id].countdown.get() == 0) else {
                return (pc, false);
            };
            // What the dispatch loop would do at that header, done here (so the header then
            // skips the JIT once).
            match jit.loop_hot(LoopAt { code, loop_id, header_pc: pc, before_header: true }, &self.running(code, base))
            {
                LoopAction::Run(next) => {
                    call = next;
                    header_pc = pc;
                }
                LoopAction::Wait(visits) => {
                    code.jit_loops[loop_id].countdown.set(visits);
                    return (pc, true);
                }
                LoopAction::Recording => {
                    self.recording = true;
                    return (pc, true);
                }
            }
        }
    }

    /// Exit `exit` of `tree` was just taken: the tree to go on in at once, and its header's pc,
    /// if the JIT names one ([`JitHooks::stitch`]) and nothing is pending (an error, Ctrl-C,
    /// a native call below that exited). Out of line, so that `run_native`'s loop stays tight.
    #[inline(never)]
    fn stitch(&mut self, jit: &mut dyn JitHooks, tree: u32, exit: u32) -> Option<(NativeCall, usize)> {
        if self.pending_error.is_some() {
            return None;
        }
        // Asked only of an exit that would be stitched (most exits are not).
        let pending = || native_context::calls_exited() || crate::interp::engine::interrupt::interrupt_pending();
        jit.stitch(tree, exit, self.rebinds, &pending)
    }

    /// A tree returned `RETURNED` on the frame at `base` of `code`, its result in slot 0: moves
    /// the result into the register of the function's last `Return` and returns that pc (the
    /// interpreter then returns exactly as it would: frames, depth, a nested run's end).
    fn resume_at_return(&mut self, code: &CodeObject, base: usize) -> usize {
        let (pc, src) = code
            .instrs
            .iter()
            .enumerate()
            .rev()
            .find_map(|(pc, instr)| match instr {
                Instr::Return { src } => Some((pc, *src)),
                _ => None,
            })
            .expect("a function that returns has a Return");
        let value = std::mem::take(&mut self.stack[base]);
        store(&mut self.stack[base + src.0 as usize], value);
        pc
    }

    /// Runs a function's entry code (`call`, from its `EntrySlot`) on the frame at `base`: for
    /// a function with a loop, the entry returns `LINK_TO_ROOT` at the loop's header and the
    /// loop's tree runs on (again while it returns `LINK_TO_ROOT`). Returns the last status.
    fn run_entry_code(&mut self, jit: &mut dyn JitHooks, code: &CodeObject, call: &NativeCall, base: usize) -> u32 {
        let mut status = self.run_machine_code(jit, call.entry, base, call.side_exits);
        while status == LINK_TO_ROOT {
            let Some(loop_native) = code.jit_entry.loop_native.get() else { break };
            status = self.run_machine_code(jit, loop_native, base, code.jit_entry.loop_side_exits.get());
        }
        status
    }

    /// Grows the stack to `len` slots, and by `NATIVE_STACK_MARGIN` more where the reservation
    /// allows (room for native calls' frames). False if even `len` does not fit.
    fn ensure_native_room(&mut self, len: usize) -> bool {
        if self.ensure_stack(len).is_err() {
            return false;
        }
        let _ = self.ensure_stack((len + NATIVE_STACK_MARGIN).min(self.stack.capacity()));
        true
    }

    /// Sets what native calls inside machine code read (`native_context`): the frames left
    /// before the recursion limit (the frame the code runs on is number `depth`), the stack's
    /// end and the count of rebound globals.
    fn enter_native_context(&self, depth: usize) {
        // SAFETY: `len` is inside the stack's one allocation (one past its last slot).
        let end = unsafe { self.stack.as_ptr().add(self.stack.len()) } as usize;
        native_context::enter(self.frame_limit.saturating_sub(depth), end, self.rebinds);
    }

    /// A call of a function whose entry countdown ran out; its frame was just pushed at `base`.
    /// Runs its entry tree if it has one (returns the pc to resume at in the frame then on top:
    /// the caller's after the call if it returned, or where an exit left), else asks the JIT,
    /// which may start recording the function or say how long to count (returns None: the
    /// interpreter runs the function from its start).
    #[inline(never)]
    pub(super) fn function_entry_slow(&mut self, jit: &mut dyn JitHooks, base: usize) -> Option<usize> {
        let code = self.frames.last().expect("the callee's frame").code.to_rc();
        if !self.entry_ready(jit, &code, base) {
            return None;
        }
        match self.run_entry(jit, &code, base)? {
            EntryRun::Returned(value) => {
                // What `Return` does: the result goes to the caller's register.
                let frame = self.pop_frame().expect("the callee's frame");
                let caller = self.frames.last().expect("a caller");
                let resume = caller.pc;
                store(&mut self.stack[caller.base + frame.return_to.0 as usize], value);
                Some(resume)
            }
            EntryRun::Resume(pc) => Some(pc),
        }
    }

    /// The entry countdown of `code` (whose frame was just pushed at `base`) is over: true if
    /// its entry code is installed and current, else asks the JIT (which may start recording
    /// the function, or say how long to count).
    fn entry_ready(&mut self, jit: &mut dyn JitHooks, code: &Rc<CodeObject>, base: usize) -> bool {
        if self.recording {
            return false;
        }
        let entry = &code.jit_entry;
        if entry.native.get().is_none() || entry.rebinds.get() != self.rebinds {
            match jit.function_hot(code, &self.running(code, base)) {
                EntryAction::Wait(calls) => code.jit_entry.countdown.set(calls),
                EntryAction::Recording => self.recording = true,
            }
            return false;
        }
        true
    }

    /// A call machine code makes in the interpreter (`interp_call.rs`) pushed the frame of
    /// `code` at `base`: counts it as the interpreter's `Call` does, and runs its entry code if
    /// it has some (see [`Vm::run_entry`]).
    pub(super) fn entry_in_interp_call(
        &mut self,
        jit: &mut dyn JitHooks,
        code: &Rc<CodeObject>,
        base: usize,
    ) -> Option<EntryRun> {
        let entry = &code.jit_entry;
        let left = entry.countdown.get();
        if left > 0 {
            entry.countdown.set(left - 1);
            return None;
        }
        if !self.entry_ready(jit, code, base) {
            return None;
        }
        self.run_entry(jit, code, base)
    }

    /// Runs the entry code of `code` (installed and current) on its frame just pushed at `base`,
    /// if the recursion limit and the stack allow: it returned its result (the frame is still
    /// there), or exited (the frames it names are pushed; the pc to resume at in the top one).
    pub(super) fn run_entry(&mut self, jit: &mut dyn JitHooks, code: &Rc<CodeObject>, base: usize) -> Option<EntryRun> {
        let call = code.jit_entry.call()?;
        let depth = self.frames.len();
        if depth + call.inline_depth >= self.frame_limit || !self.ensure_native_room(base + call.frame_extent.max(1)) {
            // The interpreter runs it (and raises the RecursionError where it is due).
            return None;
        }
        let started = self.measure_native_time.then(std::time::Instant::now);
        let in_callees = self.interp_call_time;
        self.enter_native_context(depth);
        // As in `run_native`: the tree touches slots below `frame_extent` of this frame.
        let status = self.run_entry_code(jit, code, &call, base);
        if let Some(started) = started {
            // Calls it made in the interpreter are not time in its machine code.
            self.native_time += started.elapsed().saturating_sub(self.interp_call_time.saturating_sub(in_callees));
        }
        if status == RETURNED {
            return Some(EntryRun::Returned(std::mem::take(&mut self.stack[base])));
        }
        Some(EntryRun::Resume(self.take_exit(jit, (call.tree, status), base)))
    }

    /// Exit `status` of `tree`, taken on the frame at `base` (the top frame): pushes the frames
    /// of the calls it was inside and of the native calls that exited below it, and returns the
    /// pc to resume at in the new top frame.
    pub(super) fn take_exit(&mut self, jit: &mut dyn JitHooks, (tree, status): (u32, u32), base: usize) -> usize {
        let action = jit.exit_taken(tree, status, self.frames.len());
        let pc = action.pc as usize;
        if let Some(frames) = &action.frames {
            self.push_inlined_frames(base, pc, frames);
        }
        self.recording = action.recording;
        self.push_exited_calls(jit, pc)
    }

    /// After an exit that resumes at `pc` of the top frame: the native calls whose callees
    /// exited (`native_context`, outermost first) get their frames, each callee's frame at
    /// its caller's argument registers, as the interpreter's `Call` would have pushed it, and
    /// the frames of the calls its exit was inside. Returns the pc to resume at in the new top
    /// frame (`pc` if there were none).
    fn push_exited_calls(&mut self, jit: &mut dyn JitHooks, mut pc: usize) -> usize {
        for (tree, exit) in native_context::take_exited_calls() {
            let caller = self.frames.last_mut().expect("a caller");
            caller.pc = pc;
            // A native call's exit resumes right after its `Call`.
            let Instr::Call { dst, args, .. } = caller.code.instrs[pc - 1] else {
                unreachable!("a native call's exit resumes after its Call")
            };
            let base = caller.base + args.0 as usize;
            let action = jit.exit_taken(tree, exit, self.frames.len() + 1);
            let code = action.code.clone();
            pc = action.pc as usize;
            self.frames.push(Frame { code: CodeRef::new(&code), pc, base, return_to: dst, generator: false });
            // The trace read its literals as constants; the interpreter reads the registers.
            self.preload(&code, base);
            if let Some(frames) = &action.frames {
                self.push_inlined_frames(base, pc, frames);
            }
            self.recording = action.recording;
        }
        pc
    }

    /// An exit inside calls the trace had inlined: push their frames, as if the calls had been
    /// made by the interpreter (the innermost resumes at `pc`), with the callee locals not yet
    /// assigned unbound.
    #[cold]
    fn push_inlined_frames(&mut self, base: usize, pc: usize, exit: &InlinedFrames) {
        let mut resume_here = exit.frames[0].caller_resume as usize;
        for (i, inlined) in exit.frames.iter().enumerate() {
            self.frames.last_mut().expect("the trace's frame").pc = resume_here;
            self.frames.push(Frame {
                code: CodeRef::new(&inlined.code),
                pc,
                base: base + inlined.base as usize,
                return_to: inlined.return_to,
                generator: false,
            });
            resume_here = exit.frames.get(i + 1).map_or(0, |next| next.caller_resume as usize);
        }
        for &slot in &exit.unbound {
            store(&mut self.stack[base + slot as usize], Value::Unbound);
        }
        // The inlined calls' preloaded literals: the trace reads them as constants, so the
        // exit has not written them.
        for inlined in &exit.frames {
            self.preload(&inlined.code, base + inlined.base as usize);
        }
    }
}
