//! The VM's side of the JIT: what happens at a loop header whose countdown ran out, running
//! machine code, and re-creating the frames an exit names. Part of [`Vm`]; everything it asks
//! or tells the JIT goes through `native::JitHooks` (see `native.rs` for the whole interface).
//!
//! Touches: the VM's stack, frames and loop countdowns; calls machine code the JIT made.

use std::rc::Rc;

use crate::interp::engine::bytecode::CodeObject;
use crate::interp::engine::native::{
    InlinedFrames, JitHooks, LINK_TO_ROOT, LoopAction, LoopAt, NativeCall, RecordStep, Running,
};
use crate::interp::engine::slots::store;
use crate::interp::engine::vm::{Frame, Vm};
use crate::interp::objects::value::Value;

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
            if self.ensure_stack(base + call.frame_extent).is_err() {
                // No room for its inlined frames: the interpreter runs the loop (and raises
                // the RecursionError at the call that passes the limit).
                return (header_pc, true);
            }
            // A side trace that links back to its root returns LINK_TO_ROOT: run the root again
            // at once (it starts by reloading the frame).
            let exit = loop {
                // SAFETY: the trace reads and writes only slots below `frame_extent` of this
                // frame, which are on the stack; nothing else borrows the stack.
                let status = unsafe {
                    (call.entry)(self.stack.as_mut_ptr().add(base), self.globals.as_mut_ptr(), call.side_exits)
                };
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
                self.recording = action.recording;
                return (pc, false);
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
