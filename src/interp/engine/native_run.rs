//! The VM's side of the JIT: what happens at a loop header or a function entry whose countdown
//! ran out, running machine code, and re-creating the frames an exit names (inlined calls, and
//! native calls whose callee exited). Part of [`Vm`]; everything it asks
//! or tells the JIT goes through `native::JitHooks` (see `native.rs` for the whole interface).
//!
//! Touches: the VM's stack, frames and loop countdowns; calls machine code the JIT made.

use std::rc::Rc;

use crate::interp::engine::bytecode::{CodeObject, Instr};
use crate::interp::engine::native::{
    EntryAction, InlinedFrames, JitHooks, LINK_TO_ROOT, LoopAction, LoopAt, NativeCall, RETURNED, RecordStep, Running,
    native_context,
};
use crate::interp::engine::slots::store;
use crate::interp::engine::vm::{Frame, Vm};
use crate::interp::objects::value::Value;

/// Slots the VM makes room for above a compiled tree's frame before calling it, for the frames of
/// the native calls it makes (a native call that would pass the room exits, and the interpreter
/// grows the stack).
const NATIVE_STACK_MARGIN: usize = 1 << 14;

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
        let code = &self.frames.last().expect("a frame is running").code.clone();
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
    /// inside calls the trace had inlined gets their frames pushed. An exit that lands on the
    /// header of another loop of this code whose countdown is over visits that header at once
    /// (a side trace linking to another compiled loop enters it without a trip through the
    /// dispatch loop). Kept out of the dispatch loop so that it stays small.
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
                native_context::native_starts();
                // SAFETY: the trace reads and writes only slots below `frame_extent` of this
                // frame, which are on the stack; nothing else borrows the stack. Native calls
                // inside it check `native_context` (recursion limit, stack end) first.
                let status = unsafe {
                    (call.entry)(self.stack.as_mut_ptr().add(base), self.globals.as_mut_ptr(), call.side_exits)
                };
                native_context::native_returned();
                if status != LINK_TO_ROOT {
                    break status;
                }
                if call.settling {
                    call = jit.tree_ran(call.tree);
                }
            };
            if let Some(started) = started {
                let elapsed = started.elapsed();
                self.native_time += elapsed;
                jit.native_ran(call.tree, elapsed);
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
            if action.recording || pc == header_pc || crate::interp::engine::interrupt::interrupt_pending() {
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
        if self.recording {
            return None;
        }
        let code = self.frames.last().expect("the callee's frame").code.clone();
        let entry = &code.jit_entry;
        if entry.native.get().is_none() || entry.rebinds.get() != self.rebinds {
            match jit.function_hot(&code, &self.running(&code, base)) {
                EntryAction::Wait(calls) => code.jit_entry.countdown.set(calls),
                EntryAction::Recording => self.recording = true,
            }
            return None;
        }
        let call = entry.call()?;
        let depth = self.frames.len();
        if depth + call.inline_depth >= self.frame_limit || !self.ensure_native_room(base + call.frame_extent.max(1)) {
            // The interpreter runs it (and raises the RecursionError where it is due).
            return None;
        }
        let started = self.measure_native_time.then(std::time::Instant::now);
        self.enter_native_context(depth);
        // SAFETY: as in `run_native`: the tree touches slots below `frame_extent` of this frame,
        // which are on the stack, and nothing else borrows the stack.
        native_context::native_starts();
        let status =
            unsafe { (call.entry)(self.stack.as_mut_ptr().add(base), self.globals.as_mut_ptr(), call.side_exits) };
        native_context::native_returned();
        if let Some(started) = started {
            self.native_time += started.elapsed();
        }
        if status == RETURNED {
            // What `Return` does: the result (in slot 0) goes to the caller's register.
            let value = std::mem::take(&mut self.stack[base]);
            let frame = self.pop_frame().expect("the callee's frame");
            let caller = self.frames.last().expect("a caller");
            let resume = caller.pc;
            store(&mut self.stack[caller.base + frame.return_to.0 as usize], value);
            return Some(resume);
        }
        let action = jit.exit_taken(call.tree, status, depth);
        let pc = action.pc as usize;
        if let Some(frames) = &action.frames {
            self.push_inlined_frames(base, pc, frames);
        }
        self.recording = action.recording;
        Some(self.push_exited_calls(jit, pc))
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
            self.frames.push(Frame { code: code.clone(), pc, base, return_to: dst, generator: false });
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
                code: inlined.code.clone(),
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
