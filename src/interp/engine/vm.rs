//! The virtual machine: the dispatch loop over register bytecode, calls and frames on one
//! value stack, exception unwinding with tracebacks, and the recursion limit.
//!
//! Input: a verified module [`CodeObject`]. Output: the program's effects (printing through
//! `Output`) and, for an uncaught exception, an [`Uncaught`] with its traceback.
//! Toy-to-Toy calls never recurse on the Rust stack: a call pushes a [`Frame`], so no Toy
//! program can overflow the process stack. At loop headers it counts down towards hot loops;
//! when a countdown is over, `native_run.rs` asks the JIT what to do (through
//! `native::JitHooks`, its whole view of the JIT, lent by the caller of [`Vm::run_module`]) and
//! runs machine code; while the JIT records, each instruction is shown to it first. Calls,
//! frames and unwinding live in `calls.rs`, rarely run instructions in `rare_instrs.rs`, the
//! operators' slow paths in `ops.rs`, builtins in
//! `builtins.rs`, methods in `methods.rs`; this file owns the dispatch loop and the int/float
//! fast paths.
//!
//! Touches: the VM's stack, frames and globals, the output, the interrupt flag.

use std::cell::RefCell;
use std::rc::Rc;

use crate::parser::ast::{BinOp, CmpOp, UnaryOp};

use crate::interp::engine::bytecode::{CodeObject, Instr, Reg};
use crate::interp::engine::calls::{self, KeywordCall};
use crate::interp::engine::code_ref::CodeRef;
use crate::interp::engine::native::JitHooks;
use crate::interp::engine::slots::{fast_clone, frame_code, store};
use crate::interp::objects::builtins;
use crate::interp::objects::error::{self, ExcKind, RtError};
use crate::interp::objects::format;
use crate::interp::objects::iter;
use crate::interp::objects::methods::{self, MethodId};
use crate::interp::objects::ops;
use crate::interp::objects::text;
use crate::interp::objects::value::{FunctionObj, Tuple, Value};

pub use crate::interp::engine::calls::{Frame, RECURSION_LIMIT, TracebackEntry, Uncaught};
pub use crate::interp::engine::state::Vm;

impl Vm {
    /// Runs a module's code to completion, with the JIT if one is lent (`--no-jit`: none).
    pub fn run_module(&mut self, code: Rc<CodeObject>, jit: Option<&mut dyn JitHooks>) -> Result<(), Uncaught> {
        self.sync_globals();
        self.frames.clear();
        self.stack.clear();
        if let Err(error) = self.ensure_stack(code.nslots as usize) {
            let traceback = vec![TracebackEntry {
                function: code.name.clone(),
                line: code.first_line,
                location: Default::default(),
            }];
            return Err(Uncaught { exception: *error.0, traceback });
        }
        self.preload(&code, 0);
        self.frames.push(Frame { code: CodeRef::new(&code), pc: 0, base: 0, return_to: Reg(0), generator: false });
        self.code_roots.push(code);
        let result = self.execute(jit);
        self.frames.clear();
        self.stack.clear();
        result.map(|_| ())
    }

    /// Runs until the frame that was on top when it started returns.
    ///
    /// The dispatch loop exists twice: while the JIT records, every instruction is shown to
    /// the recorder before it runs; otherwise nothing is checked between instructions, so each
    /// handler can end in its own jump to the next one (threaded dispatch: see
    /// docs/PERFORMANCE.md and .cargo/config.toml). The loop that runs leaves for the other
    /// whenever recording starts or stops; the frames hold everything needed to go on.
    pub(super) fn execute(&mut self, jit: Option<&mut dyn JitHooks>) -> Result<Value, Uncaught> {
        self.execute_until(jit, self.frames.len() - 1)
    }

    /// Runs until the frame at `stop_depth` returns (frames above it run first).
    pub(super) fn execute_until(
        &mut self,
        mut jit: Option<&mut dyn JitHooks>,
        stop_depth: usize,
    ) -> Result<Value, Uncaught> {
        let mut skip_native = false;
        loop {
            let flow = if self.recording && jit.is_some() {
                self.dispatch::<true>(&mut jit, stop_depth, skip_native)
            } else {
                self.dispatch::<false>(&mut jit, stop_depth, skip_native)
            };
            match flow {
                Flow::Done(result) => return result,
                Flow::SwitchMode { skip_native: skip } => skip_native = skip,
            }
        }
    }

    /// The dispatch loop, recording each instruction when `RECORDING`: runs the top frame
    /// (and the frames it calls) until the frame at `stop_depth` returns, or until recording
    /// starts (`!RECORDING`) or stops (`RECORDING`), with the top frame's pc saved.
    fn dispatch<const RECORDING: bool>(
        &mut self,
        jit: &mut Option<&mut dyn JitHooks>,
        stop_depth: usize,
        mut skip_native: bool,
    ) -> Flow {
        // The running frame's code (kept alive by the VM's roots, `code_ref.rs`): re-read with
        // `frame_code` whenever the top frame changes.
        let top = self.frames.last().expect("a frame to run");
        let mut code: &CodeObject = frame_code(&top.code);
        // `code.instrs`' buffer, kept beside `code` so that fetching an instruction is one load
        // less on the path every dispatch waits for (the jump's target).
        let mut instrs: *const Instr = code.instrs.as_ptr();
        // The running frame's code changes: `code` and `instrs`, always together.
        macro_rules! set_code {
            ($code:expr) => {{
                code = $code;
                instrs = code.instrs.as_ptr();
            }};
        }
        let mut pc = top.pc;
        let mut base = top.base;
        // The running frame's registers: the stack never moves (`calls::STACK_SLOTS`), so this
        // stays valid until `base` changes, which `set_base!` does together with it. Reading a register
        // is then one load from here rather than a chain through `self.stack`.
        let mut regs: *mut Value = unsafe { self.stack.as_mut_ptr().add(base) };
        // The running frame changes: its base and its registers' pointer, always together.
        macro_rules! set_base {
            ($base:expr) => {{
                base = $base;
                // SAFETY: `base` is the start of a frame pushed on the stack (within its length).
                regs = unsafe { self.stack.as_mut_ptr().add(base) };
            }};
        }

        // SAFETY (for `reg!`/`set!`): `CodeObject::verify` has checked that every register
        // operand is below `code.nslots`, and a frame is only entered after the stack has been
        // grown to `base + nslots`; the stack is never shrunk below the running frame's window.
        macro_rules! reg {
            ($r:expr) => {{
                debug_assert!(base + ($r.0 as usize) < self.stack.len(), "register outside the stack");
                unsafe { &*regs.add($r.0 as usize) }
            }};
        }
        macro_rules! set {
            ($r:expr, $v:expr) => {{
                let value = $v;
                debug_assert!(base + ($r.0 as usize) < self.stack.len(), "register outside the stack");
                store(unsafe { &mut *regs.add($r.0 as usize) }, value);
            }};
        }
        // Raises the error of a failed operation: jump to a handler or leave the VM.
        macro_rules! throw {
            ($err:expr) => {{
                let mut error = $err;
                // An augmented assignment's arithmetic runs no Toy code (a generator is never its
                // operand), so what it raised is its own error.
                if code.in_place_ops.binary_search(&(pc.saturating_sub(1) as u32)).is_ok() {
                    error = ops::name_in_place_operator(error);
                }
                self.frames.last_mut().expect("a frame is running").pc = pc;
                match self.unwind(error, jit.as_deref_mut()) {
                    Ok(()) => {
                        let frame = self.frames.last().expect("handler frame");
                        set_code!(frame_code(&frame.code));
                        pc = frame.pc;
                        set_base!(frame.base);
                        continue;
                    }
                    Err(uncaught) => return Flow::Done(Err(uncaught)),
                }
            }};
        }
        macro_rules! attempt {
            ($e:expr) => {
                match $e {
                    Ok(v) => v,
                    Err(err) => throw!(err),
                }
            };
        }
        // Extra `pattern => value` arms (the string cases of `+`) go after the number fast paths.
        macro_rules! binary {
            ($dst:expr, $a:expr, $b:expr, $op:expr, $int:expr, $float:expr $(, $extra:pat $(if $guard:expr)? => $arm:expr)*) => {{
                let result = match (reg!($a), reg!($b)) {
                    (Value::Int(x), Value::Int(y)) => match $int(*x, *y) {
                        Some(v) => Value::Int(v),
                        None => attempt!(ops::binary($op, reg!($a), reg!($b))),
                    },
                    (Value::Float(x), Value::Float(y)) => Value::Float($float(*x, *y)),
                    (Value::Float(x), Value::Int(y)) => Value::Float($float(*x, *y as f64)),
                    (Value::Int(x), Value::Float(y)) => Value::Float($float(*x as f64, *y)),
                    $($extra $(if $guard)? => $arm,)*
                    (x, y) => attempt!(ops::binary($op, x, y)),
                };
                set!($dst, result);
            }};
        }
        macro_rules! compare {
            ($dst:expr, $a:expr, $b:expr, $op:expr, $cmp:tt) => {{
                let result = match (reg!($a), reg!($b)) {
                    (Value::Int(x), Value::Int(y)) => x $cmp y,
                    (Value::Float(x), Value::Float(y)) => x $cmp y,
                    (x, y) => attempt!(ops::compare($op, x, y)),
                };
                set!($dst, Value::Bool(result));
            }};
        }
        macro_rules! jump_if_compare {
            ($a:expr, $b:expr, $target:expr, $op:expr, $cmp:tt, $when:expr) => {{
                let result = match (reg!($a), reg!($b)) {
                    (Value::Int(x), Value::Int(y)) => x $cmp y,
                    (Value::Float(x), Value::Float(y)) => x $cmp y,
                    (x, y) => attempt!(ops::compare($op, x, y)),
                };
                if result == $when {
                    pc = $target.0 as usize;
                }
            }};
        }
        // `a + b` with the string cases: `s = s + t` appends in place when the register holds
        // the only reference to `s` (`text::append`; `t` is cloned first, so `s = s + s`
        // never sees itself as unique).
        macro_rules! add {
            ($dst:expr, $a:expr, $b:expr) => {
                binary!($dst, $a, $b, BinOp::Add, i64::checked_add, |x: f64, y: f64| x + y,
                    (Value::Str(_), Value::Str(right)) if $dst == $a => {
                        let right = right.clone();
                        // SAFETY: `$a` is a verified register of this frame (see `reg!`).
                        let left = unsafe { &mut *regs.add($a.0 as usize) };
                        attempt!(text::append(left, &right));
                        continue;
                    },
                    (Value::Str(x), Value::Str(y)) => attempt!(text::concat(x, y)))
            };
        }
        // `dst = globals[global]`, NameError if it is unbound.
        macro_rules! load_global {
            ($dst:expr, $global:expr) => {{
                let value = &self.globals[$global.0 as usize];
                if matches!(value, Value::Unbound) {
                    let name = self.global_names.names[$global.0 as usize].clone();
                    throw!(RtError::new(ExcKind::NameError, format!("name '{name}' is not defined")));
                }
                // A call's function register usually holds that function already (the same
                // global loaded there by the previous call at this stack position): then its
                // count stands, and the increment and the old value's decrement are skipped.
                // SAFETY: `$dst` is a verified register of this frame (see `reg!`).
                let same = match (unsafe { &*regs.add($dst.0 as usize) }, value) {
                    (Value::Function(held), Value::Function(global)) => Rc::ptr_eq(held, global),
                    _ => false,
                };
                if !same {
                    set!($dst, fast_clone(value));
                }
            }};
        }
        // `&`, `|`, `^`: two ints at once; anything else (bools, big ints, and the TypeError of
        // a float) through `ops::binary`.
        macro_rules! bitwise {
            ($dst:expr, $a:expr, $b:expr, $op:expr, $bits:tt) => {{
                let result = match (reg!($a), reg!($b)) {
                    (Value::Int(x), Value::Int(y)) => Value::Int(x $bits y),
                    (x, y) => attempt!(ops::binary($op, x, y)),
                };
                set!($dst, result);
            }};
        }
        macro_rules! slow_binary {
            ($dst:expr, $a:expr, $b:expr, $op:expr) => {{
                let result = attempt!(ops::binary($op, reg!($a), reg!($b)));
                set!($dst, result);
            }};
        }

        // After a trace exits at its own loop header, that header runs once in the interpreter
        // (re-entering at once would fail the same guard forever): `skip_native`, a parameter.

        // Leaves for the other dispatch loop, at `pc` of the top frame.
        macro_rules! switch_mode {
            () => {{
                self.frames.last_mut().expect("a frame is running").pc = pc;
                return Flow::SwitchMode { skip_native };
            }};
        }

        // The JIT's entry points, used by the loop-header instructions. True when a recording
        // has just started: the header instruction finishes, then the recording loop takes over
        // (the recording starts after the header, as the recorder expects).
        macro_rules! loop_header {
            ($loop_id:expr) => {{
                // Ctrl-C, or an exception a callee run in the interpreter by the loop's trace
                // raised (`interp_call.rs`): one `throw!` for both keeps the dispatch loop's code
                // as it was (a second one here cost the interpreter 1.3% more instructions).
                let mut raised = crate::interp::engine::interrupt::take_interrupt()
                    .then(|| RtError::with_args(ExcKind::KeyboardInterrupt, vec![]));
                let mut recording_started = false;
                if raised.is_some() {
                } else if let Some(jit) = jit.as_deref_mut() {
                    if skip_native {
                        skip_native = false;
                    } else {
                        // A loop that is not yet hot only counts down; everything else is the slow
                        // path's business.
                        let slot = &code.jit_loops[$loop_id.0 as usize];
                        let left = slot.countdown.get();
                        if left > 0 {
                            slot.countdown.set(left - 1);
                        } else {
                            let depth = self.frames.len();
                            if let Some((resume, skip)) = self.loop_header_slow(jit, $loop_id.0 as usize, base, pc - 1)
                            {
                                (pc, skip_native) = (resume, skip);
                                if self.frames.len() != depth {
                                    // The trace exited inside a call it had inlined.
                                    let top = self.frames.last().expect("the re-created frame");
                                    set_code!(frame_code(&top.code));
                                    set_base!(top.base);
                                }
                                raised = self.pending_error.take();
                                if raised.is_none() {
                                    if !RECORDING && self.recording {
                                        // A side trace records from the exit on.
                                        switch_mode!();
                                    }
                                    continue;
                                }
                            } else {
                                recording_started = !RECORDING && self.recording;
                            }
                        }
                    }
                }
                if let Some(error) = raised {
                    throw!(error);
                }
                recording_started
            }};
        }

        loop {
            if RECORDING {
                let Some(jit) = jit.as_deref_mut() else { unreachable!("recording without a JIT") };
                if !self.recording {
                    self.frames.last_mut().expect("a frame is running").pc = pc;
                    return Flow::SwitchMode { skip_native };
                }
                let running = self.frames.last().expect("a frame is running").code.to_rc();
                let step = jit.record_step(&running, pc, &self.running(code, base));
                self.recording_step(step);
            }
            // SAFETY: verify() checked that every code object ends in a return, raise or jump
            // and every jump target is in range, so pc stays inside `instrs`.
            let instr: &Instr = unsafe { &*instrs.add(pc) };
            pc += 1;
            match *instr {
                Instr::Nop {} => {}
                Instr::Move { dst, src } => set!(dst, fast_clone(reg!(src))),
                Instr::Move2 { dst, src, dst2, src2 } => {
                    set!(dst, fast_clone(reg!(src)));
                    set!(dst2, fast_clone(reg!(src2)));
                }
                Instr::LoadConst { dst, constant } => set!(dst, fast_clone(&code.consts[constant.0 as usize])),
                Instr::LoadNone { dst } => set!(dst, Value::None),
                Instr::LoadBool { dst, value } => set!(dst, Value::Bool(value)),
                Instr::LoadGlobal { dst, global } => load_global!(dst, global),
                Instr::LoadGlobalMove { dst, global, dst2, src } => {
                    load_global!(dst, global);
                    set!(dst2, fast_clone(reg!(src)));
                }
                Instr::StoreGlobal { global, src } => {
                    let slot = &mut self.globals[global.0 as usize];
                    // Traces assume the builtins they call are still what they were.
                    if matches!(slot, Value::Builtin(_) | Value::Function(_)) {
                        self.rebinds += 1;
                    }
                    *slot = reg!(src).clone();
                }
                Instr::DeleteGlobal { global } => attempt!(self.delete_global(global)),
                Instr::CheckBound { slot, name } => {
                    if matches!(reg!(slot), Value::Unbound) {
                        throw!(error::unbound_local(&code.names[name.0 as usize]));
                    }
                }
                Instr::CheckMethod { obj, method, receivers } => {
                    let receiver = match reg!(obj) {
                        Value::Str(_) => methods::RECEIVER_STR,
                        Value::List(_) => methods::RECEIVER_LIST,
                        Value::Dict(_) => methods::RECEIVER_DICT,
                        _ => 0,
                    };
                    if receiver & receivers == 0 {
                        let (id, name) = (code.method_ids[method.0 as usize], &code.names[method.0 as usize]);
                        if let Some(error) = methods::method_lookup_error(reg!(obj), id, name) {
                            throw!(error);
                        }
                    }
                }
                Instr::DeleteLocal { slot, name } => {
                    if matches!(reg!(slot), Value::Unbound) {
                        throw!(error::unbound_local(&code.names[name.0 as usize]));
                    }
                    set!(slot, Value::Unbound);
                }
                Instr::Add { dst, a, b } => add!(dst, a, b),
                Instr::Sub { dst, a, b } => binary!(dst, a, b, BinOp::Sub, i64::checked_sub, |x: f64, y: f64| x - y),
                Instr::Mul { dst, a, b } => binary!(dst, a, b, BinOp::Mul, i64::checked_mul, |x: f64, y: f64| x * y),
                Instr::TrueDiv { dst, a, b } => {
                    let result = match (reg!(a), reg!(b)) {
                        (Value::Float(x), Value::Float(y)) if *y != 0.0 => Value::Float(x / y),
                        (Value::Float(x), Value::Int(y)) if *y != 0 && y.unsigned_abs() < (1 << 53) => {
                            Value::Float(x / *y as f64)
                        }
                        (Value::Int(x), Value::Float(y)) if *y != 0.0 && x.unsigned_abs() < (1 << 53) => {
                            Value::Float(*x as f64 / y)
                        }
                        (x, y) => attempt!(ops::binary(BinOp::TrueDiv, x, y)),
                    };
                    set!(dst, result);
                }
                Instr::FloorDiv { dst, a, b } => {
                    let result = match (reg!(a), reg!(b)) {
                        (Value::Int(x), Value::Int(y)) if *y > 0 => Value::Int(x.div_euclid(*y)),
                        (x, y) => attempt!(ops::binary(BinOp::FloorDiv, x, y)),
                    };
                    set!(dst, result);
                }
                Instr::Mod { dst, a, b } => {
                    let result = match (reg!(a), reg!(b)) {
                        (Value::Int(x), Value::Int(y)) if *y > 0 => Value::Int(x.rem_euclid(*y)),
                        (x, y) => attempt!(ops::binary(BinOp::Mod, x, y)),
                    };
                    set!(dst, result);
                }
                Instr::Pow { dst, a, b } => slow_binary!(dst, a, b, BinOp::Pow),
                Instr::AddInPlace { dst, a, b } => {
                    if let Value::List(list) = reg!(a) {
                        let (list, source) = (list.clone(), reg!(b).clone());
                        let extra = attempt!(iter::collect_with(&source, self));
                        list.borrow_mut().extend(extra);
                        set!(dst, reg!(a).clone());
                    } else {
                        add!(dst, a, b)
                    }
                }
                Instr::MulInPlace { dst, a, b } => {
                    if let Value::List(list) = reg!(a) {
                        let list = list.clone();
                        let repeated = attempt!(ops::binary(BinOp::Mul, reg!(a), reg!(b)));
                        if let Value::List(result) = repeated {
                            let items = std::mem::take(&mut *result.borrow_mut());
                            *list.borrow_mut() = items;
                        }
                        set!(dst, Value::List(list));
                    } else {
                        binary!(dst, a, b, BinOp::Mul, i64::checked_mul, |x: f64, y: f64| x * y)
                    }
                }
                Instr::LShift { dst, a, b } => slow_binary!(dst, a, b, BinOp::LShift),
                Instr::RShift { dst, a, b } => slow_binary!(dst, a, b, BinOp::RShift),
                Instr::BitAnd { dst, a, b } => bitwise!(dst, a, b, BinOp::BitAnd, &),
                Instr::BitOr { dst, a, b } => bitwise!(dst, a, b, BinOp::BitOr, |),
                Instr::BitXor { dst, a, b } => bitwise!(dst, a, b, BinOp::BitXor, ^),
                Instr::Neg { dst, src } => {
                    let result = match reg!(src) {
                        Value::Int(x) if *x != i64::MIN => Value::Int(-x),
                        Value::Float(x) => Value::Float(-x),
                        x => attempt!(ops::unary(UnaryOp::Neg, x)),
                    };
                    set!(dst, result);
                }
                Instr::Pos { dst, src } => {
                    let result = attempt!(ops::unary(UnaryOp::Pos, reg!(src)));
                    set!(dst, result);
                }
                Instr::Invert { dst, src } => {
                    let result = attempt!(ops::unary(UnaryOp::Invert, reg!(src)));
                    set!(dst, result);
                }
                Instr::Not { dst, src } => {
                    let result = !ops::truthy(reg!(src));
                    set!(dst, Value::Bool(result));
                }
                Instr::Lt { dst, a, b } => compare!(dst, a, b, CmpOp::Lt, <),
                Instr::LtE { dst, a, b } => compare!(dst, a, b, CmpOp::LtE, <=),
                Instr::Gt { dst, a, b } => compare!(dst, a, b, CmpOp::Gt, >),
                Instr::GtE { dst, a, b } => compare!(dst, a, b, CmpOp::GtE, >=),
                Instr::Eq { dst, a, b } => compare!(dst, a, b, CmpOp::Eq, ==),
                Instr::NotEq { dst, a, b } => compare!(dst, a, b, CmpOp::NotEq, !=),
                Instr::Is { dst, a, b } => set!(dst, Value::Bool(ops::is_same(reg!(a), reg!(b)))),
                Instr::IsNot { dst, a, b } => set!(dst, Value::Bool(!ops::is_same(reg!(a), reg!(b)))),
                Instr::In { dst, a, b } => {
                    let result = match reg!(b) {
                        Value::Dict(d) => attempt!(ops::dict_contains(d, reg!(a))),
                        Value::Iterator(_) => attempt!(self.iterator_contains(reg!(a).clone(), reg!(b).clone())),
                        container => attempt!(ops::compare(CmpOp::In, reg!(a), container)),
                    };
                    set!(dst, Value::Bool(result));
                }
                Instr::NotIn { dst, a, b } => {
                    let result = match reg!(b) {
                        Value::Iterator(_) => !attempt!(self.iterator_contains(reg!(a).clone(), reg!(b).clone())),
                        container => attempt!(ops::compare(CmpOp::NotIn, reg!(a), container)),
                    };
                    set!(dst, Value::Bool(result));
                }
                Instr::Jump { target } => pc = target.0 as usize,
                Instr::JumpIfFalse { cond, target } => {
                    let truth = match reg!(cond) {
                        Value::Bool(b) => *b,
                        other => ops::truthy(other),
                    };
                    if !truth {
                        pc = target.0 as usize;
                    }
                }
                Instr::JumpIfNone { a, target } => {
                    if matches!(reg!(a), Value::None) {
                        pc = target.0 as usize;
                    }
                }
                Instr::JumpIfNotNone { a, target } => {
                    if !matches!(reg!(a), Value::None) {
                        pc = target.0 as usize;
                    }
                }
                Instr::JumpIfTrue { cond, target } => {
                    let truth = match reg!(cond) {
                        Value::Bool(b) => *b,
                        other => ops::truthy(other),
                    };
                    if truth {
                        pc = target.0 as usize;
                    }
                }
                Instr::JumpIfLt { a, b, target } => jump_if_compare!(a, b, target, CmpOp::Lt, <, true),
                Instr::JumpIfLtE { a, b, target } => jump_if_compare!(a, b, target, CmpOp::LtE, <=, true),
                Instr::JumpIfGt { a, b, target } => jump_if_compare!(a, b, target, CmpOp::Gt, >, true),
                Instr::JumpIfGtE { a, b, target } => jump_if_compare!(a, b, target, CmpOp::GtE, >=, true),
                Instr::JumpIfEq { a, b, target } => jump_if_compare!(a, b, target, CmpOp::Eq, ==, true),
                Instr::JumpIfNotEq { a, b, target } => jump_if_compare!(a, b, target, CmpOp::Eq, ==, false),
                Instr::JumpIfNotLt { a, b, target } => jump_if_compare!(a, b, target, CmpOp::Lt, <, false),
                Instr::JumpIfNotLtE { a, b, target } => jump_if_compare!(a, b, target, CmpOp::LtE, <=, false),
                Instr::JumpIfNotGt { a, b, target } => jump_if_compare!(a, b, target, CmpOp::Gt, >, false),
                Instr::JumpIfNotGtE { a, b, target } => jump_if_compare!(a, b, target, CmpOp::GtE, >=, false),
                Instr::LoopHeader { loop_id } => {
                    if loop_header!(loop_id) {
                        switch_mode!();
                    }
                }
                Instr::GetIter { iter, src } => match reg!(src) {
                    Value::Range(range) => {
                        let range = **range;
                        set!(iter, Value::Int(range.start));
                        set!(Reg(iter.0 + 1), Value::Int(range.stop));
                        set!(Reg(iter.0 + 2), Value::Int(range.step));
                    }
                    // A list is iterated by position, as CPython's list iterator does (it sees
                    // items appended during the loop): the list, then the next index.
                    Value::List(list) => {
                        let list = Value::List(list.clone());
                        set!(iter, list);
                        set!(Reg(iter.0 + 1), Value::Int(0));
                    }
                    // A string likewise: the string, then the byte offset of the next char (no
                    // iterator object to borrow per char).
                    Value::Str(text) => {
                        let text = Value::Str(text.clone());
                        set!(iter, text);
                        set!(Reg(iter.0 + 1), Value::Int(0));
                    }
                    other => {
                        let state = attempt!(iter::make_iter(other));
                        set!(iter, Value::Iterator(Rc::new(RefCell::new(state))));
                    }
                },
                Instr::ForIter { iter, target, exit, loop_id } => {
                    let recording_started = loop_header!(loop_id);
                    match reg!(iter) {
                        Value::Int(next) => {
                            let next = *next;
                            let (Value::Int(stop), Value::Int(step)) = (reg!(Reg(iter.0 + 1)), reg!(Reg(iter.0 + 2)))
                            else {
                                unreachable!("GetIter writes int range state")
                            };
                            let (stop, step) = (*stop, *step);
                            if (step > 0 && next < stop) || (step < 0 && next > stop) {
                                set!(iter, Value::Int(next.checked_add(step).unwrap_or(stop)));
                                set!(target, Value::Int(next));
                            } else {
                                pc = exit.0 as usize;
                            }
                        }
                        Value::List(list) => {
                            let Value::Int(index) = reg!(Reg(iter.0 + 1)) else {
                                unreachable!("GetIter writes a list's index")
                            };
                            let index = *index;
                            let item = usize::try_from(index).ok().and_then(|i| list.borrow().get(i).cloned());
                            match item {
                                Some(value) => {
                                    set!(Reg(iter.0 + 1), Value::Int(index + 1));
                                    set!(target, value);
                                }
                                None => pc = exit.0 as usize,
                            }
                        }
                        Value::Str(text) => {
                            let Value::Int(offset) = reg!(Reg(iter.0 + 1)) else {
                                unreachable!("GetIter writes a string's byte offset")
                            };
                            match iter::str_char_at(text, *offset as usize) {
                                Some((ch, next)) => {
                                    set!(Reg(iter.0 + 1), Value::Int(next as i64));
                                    set!(target, ch);
                                }
                                None => pc = exit.0 as usize,
                            }
                        }
                        Value::Iterator(state) => {
                            let state = state.clone();
                            let next = match state.try_borrow_mut() {
                                Ok(mut state) => state.next_with(self),
                                Err(_) => Err(RtError::new(ExcKind::RuntimeError, "iterator already executing")),
                            };
                            match attempt!(next) {
                                Some(value) => set!(target, value),
                                None => pc = exit.0 as usize,
                            }
                        }
                        _ => unreachable!("ForIter over a slot GetIter did not fill"),
                    }
                    if recording_started {
                        switch_mode!();
                    }
                }
                Instr::Call { dst, func, args, argc } => {
                    let args_base = base + args.0 as usize;
                    let argc = argc.0 as usize;
                    match reg!(func) {
                        Value::Function(function) => {
                            if crate::interp::engine::interrupt::take_interrupt() {
                                throw!(RtError::with_args(ExcKind::KeyboardInterrupt, vec![]));
                            }
                            // No reference count of its own: the register `func` keeps the
                            // function alive, as `push_call` writes only from `args_base` up
                            // (the compiler puts the callee below its arguments; otherwise,
                            // a count is taken).
                            let keep_alive = (func.0 >= args.0).then(|| function.clone());
                            let function: *const FunctionObj = Rc::as_ptr(function);
                            // SAFETY: a frame is running (this one).
                            unsafe { self.frames.last_mut().unwrap_unchecked() }.pc = pc;
                            // SAFETY: see above.
                            attempt!(self.push_call(unsafe { &*function }, args_base, argc, dst));
                            // SAFETY: the VM's roots hold the code (see `frame_code`). Taken
                            // from the function, not read back from the frame just pushed:
                            // that load waited on the push's stores (measured: calls.toy 20%).
                            set_code!(unsafe { &*Rc::as_ptr(&(*function).code) });
                            drop(keep_alive);
                            pc = 0;
                            set_base!(args_base);
                            // The JIT's entry counter: one decrement unless the function is hot.
                            if let Some(jit) = jit.as_deref_mut() {
                                let entry = &code.jit_entry;
                                let left = entry.countdown.get();
                                if left > 0 {
                                    entry.countdown.set(left - 1);
                                } else {
                                    if let Some(resume) = self.function_entry_slow(jit, args_base) {
                                        // Its entry trace ran: it returned, or exited somewhere
                                        // (maybe with an exception a callee run in the
                                        // interpreter raised, to raise there).
                                        pc = resume;
                                        let top = self.frames.last().expect("a frame is running");
                                        set_code!(frame_code(&top.code));
                                        set_base!(top.base);
                                        if let Some(error) = self.pending_error.take() {
                                            throw!(error);
                                        }
                                    }
                                    if !RECORDING && self.recording {
                                        // The function's recording starts at its first
                                        // instruction, a side trace's where the exit left.
                                        switch_mode!();
                                    }
                                }
                            }
                        }
                        Value::Builtin(id) => {
                            let id = *id;
                            let result = self.call_builtin_at(id, args_base, argc, &[]);
                            set!(dst, attempt!(result));
                        }
                        other => throw!(calls::not_callable(other)),
                    }
                }
                Instr::CallMethod { dst, obj, method, args, argc } => {
                    let args_base = base + args.0 as usize;
                    let argc = argc.0 as usize;
                    let method_id = code.method_ids[method.0 as usize];
                    if let (Value::List(list), MethodId::Append, 1) = (reg!(obj), method_id, argc) {
                        crate::interp::objects::list_growth::append(
                            &mut list.borrow_mut(),
                            self.stack[args_base].clone(),
                        );
                        set!(dst, Value::None);
                    } else {
                        let name = &code.names[method.0 as usize];
                        let result =
                            self.call_method_at(base + obj.0 as usize, method_id, name, (args_base, argc), &[]);
                        set!(dst, attempt!(result));
                    }
                }
                Instr::CallKw { dst, func, site } => {
                    self.frames.last_mut().expect("running").pc = pc;
                    match attempt!(self.call_with_keywords(code, base, func, site, dst)) {
                        KeywordCall::Returned(value) => set!(dst, value),
                        KeywordCall::Entered(function) => {
                            // SAFETY: the VM's roots hold the code (see `frame_code`).
                            set_code!(unsafe { &*Rc::as_ptr(&function.code) });
                            pc = 0;
                            set_base!(self.frames.last().expect("the callee's frame").base);
                        }
                    }
                }
                Instr::Return { src } => {
                    let value = std::mem::take(unsafe { &mut *regs.add(src.0 as usize) });
                    let depth = self.frames.len();
                    if depth - 1 == stop_depth {
                        return Flow::Done(Ok(value));
                    }
                    // What `pop_frame` does, for the frame that runs (`code` at `base`): its
                    // parameters and named locals released, the frame dropped (plain data).
                    for r in 0..code.nlocals {
                        set!(Reg(r), Value::Unbound);
                    }
                    // SAFETY: `depth - 1 > stop_depth >= 0`, so this frame and its caller exist.
                    let (return_to, caller) = unsafe {
                        let return_to = self.frames.get_unchecked(depth - 1).return_to;
                        self.frames.set_len(depth - 1);
                        (return_to, *self.frames.get_unchecked(depth - 2))
                    };
                    set_code!(frame_code(&caller.code));
                    pc = caller.pc;
                    set_base!(caller.base);
                    set!(return_to, value);
                }
                Instr::BuildList { dst, start, count } => {
                    let from = base + start.0 as usize;
                    let items = self.stack[from..from + count.0 as usize].to_vec();
                    set!(dst, Value::list(items));
                }
                Instr::BuildTuple { dst, start, count } => {
                    let from = base + start.0 as usize;
                    let items = &self.stack[from..from + count.0 as usize];
                    set!(dst, Value::Tuple(Tuple::from_fn(items.len(), |i| fast_clone(&items[i]))));
                }
                Instr::BuildTuple2 { dst, a, b } => {
                    set!(dst, Value::Tuple(Tuple::from_fn(2, |i| fast_clone(reg!([a, b][i])))));
                }
                Instr::BuildTuple3 { dst, a, b, c } => {
                    set!(dst, Value::Tuple(Tuple::from_fn(3, |i| fast_clone(reg!([a, b, c][i])))));
                }
                Instr::BuildDict { dst, start, count } => set!(dst, attempt!(self.build_dict(base, start, count))),
                Instr::BuildString { dst, start, count } => {
                    let from = base + start.0 as usize;
                    set!(dst, text::concat_all(&self.stack[from..from + count.0 as usize]));
                }
                Instr::ListAppend { list, value } => {
                    if let Value::List(items) = reg!(list) {
                        items.borrow_mut().push(reg!(value).clone());
                    }
                }
                Instr::GetItem { dst, obj, index } => {
                    let result = match (reg!(obj), reg!(index)) {
                        (Value::List(items), Value::Int(i)) => {
                            let items = items.borrow();
                            let len = items.len() as i64;
                            let i = if *i < 0 { *i + len } else { *i };
                            if i >= 0 && i < len {
                                fast_clone(&items[i as usize])
                            } else {
                                drop(items);
                                throw!(RtError::new(ExcKind::IndexError, "list index out of range"))
                            }
                        }
                        (Value::Tuple(items), Value::Int(i))
                            if (*i >= 0 && (*i as usize) < items.len())
                                || (*i < 0 && i.unsigned_abs() as usize <= items.len()) =>
                        {
                            let i = if *i < 0 { items.len() as i64 + *i } else { *i };
                            fast_clone(&items[i as usize])
                        }
                        (Value::Dict(d), key) => attempt!(ops::dict_get(d, key)),
                        (container, index) => attempt!(ops::get_item(container, index)),
                    };
                    set!(dst, result);
                }
                Instr::SetItem { obj, index, value } => {
                    if let (Value::List(items), Value::Int(i)) = (reg!(obj), reg!(index)) {
                        let mut items = items.borrow_mut();
                        let len = items.len() as i64;
                        let i = if *i < 0 { *i + len } else { *i };
                        if i >= 0 && i < len {
                            items[i as usize] = reg!(value).clone();
                            continue;
                        }
                    }
                    attempt!(ops::set_item(reg!(obj), reg!(index), reg!(value).clone()));
                }
                Instr::DelItem { obj, index } => attempt!(ops::del_item(reg!(obj), reg!(index))),
                Instr::GetSlice { dst, obj, bounds } => {
                    let result = attempt!(ops::get_slice(
                        reg!(obj),
                        reg!(bounds),
                        reg!(Reg(bounds.0 + 1)),
                        reg!(Reg(bounds.0 + 2))
                    ));
                    set!(dst, result);
                }
                Instr::SetSlice { obj, bounds, value } => attempt!(self.set_slice(base, obj, bounds, value)),
                Instr::DelSlice { obj, bounds } => {
                    attempt!(ops::del_slice(reg!(obj), reg!(bounds), reg!(Reg(bounds.0 + 1)), reg!(Reg(bounds.0 + 2))));
                }
                Instr::GetAttr { dst, obj, name } => {
                    let result = attempt!(methods::get_attr(reg!(obj), &code.names[name.0 as usize]));
                    set!(dst, result);
                }
                Instr::Unpack { dst, src, count } => {
                    let n = count.0 as usize;
                    // Tuples and lists unpack straight into the registers, without a copy.
                    let source = match reg!(src) {
                        Value::Tuple(items) if items.len() == n => Some(items),
                        _ => None,
                    };
                    if let Some(items) = source {
                        // Writing the targets could release the tuple only if `src` is one of
                        // them; otherwise the register keeps it alive and it is read in place.
                        let keep_alive = (src.0 >= dst.0 && src.0 < dst.0 + count.0).then(|| items.clone());
                        let items: *const Tuple = items;
                        // SAFETY: see above: `src` or `keep_alive` holds the tuple until the end.
                        for (i, item) in unsafe { &*items }.iter().enumerate() {
                            set!(Reg(dst.0 + i as u16), fast_clone(item));
                        }
                        drop(keep_alive);
                    } else {
                        attempt!(self.unpack_iterable(base, dst, src, count));
                    }
                }
                Instr::MakeFunction { dst, code: template, defaults, count } => {
                    let function = self.make_function(code, base, template, defaults, count);
                    set!(dst, function);
                }
                Instr::FormatValue { dst, src, spec, conversion } => {
                    let value = reg!(src);
                    let converted = match conversion {
                        0 => None,
                        c => Some(Value::str(attempt!(format::conversion(value, c as char)))),
                    };
                    let value = converted.as_ref().unwrap_or(value);
                    let Value::Str(spec) = &code.consts[spec.0 as usize] else {
                        unreachable!("format spec is a str constant")
                    };
                    let text = attempt!(format::format_spec(value, spec.as_str()));
                    set!(dst, Value::str(text));
                }
                Instr::Raise { src } => throw!(error::exception_from(reg!(src))),
                Instr::MakeGen { dst, body } => set!(dst, self.make_generator(base, body.0 as usize)),
                Instr::Yield { src } => {
                    // Only a generator's own nested run (`reentry.rs`) reaches a Yield. A copy:
                    // `src` may be a loop variable the next step reads again.
                    let value = fast_clone(reg!(src));
                    self.frames.last_mut().expect("the generator's frame").pc = pc;
                    return Flow::Done(Ok(value));
                }
                Instr::GenEnd {} => return Flow::Done(Ok(Value::Unbound)),
                Instr::Reraise { src } => match reg!(src) {
                    Value::Exception(exc) => throw!(RtError(Box::new((**exc).clone()))),
                    _ => throw!(RtError::new(ExcKind::RuntimeError, "No active exception to reraise")),
                },
                Instr::LoadException { dst } => {
                    let error = self.caught.take().expect("a handler runs after an exception");
                    set!(dst, Value::Exception(Rc::new(*error.0)));
                }
                Instr::ExceptionMatches { dst, exc, class } => {
                    let Value::Exception(exc) = reg!(exc) else { unreachable!("LoadException wrote an exception") };
                    let matched = attempt!(builtins::exception_matches(exc.kind, reg!(class)));
                    set!(dst, Value::Bool(matched));
                }
                Instr::AssertFail { msg, has_message } => {
                    let args = if has_message { vec![reg!(msg).clone()] } else { vec![] };
                    throw!(RtError::with_args(ExcKind::AssertionError, args));
                }
                Instr::ImportModule { dst, name } => set!(dst, attempt!(Vm::import_module(code, name))),
                Instr::EnterComprehension {} => attempt!(self.enter_comprehension()),
                Instr::LeaveComprehension {} => self.leave_comprehension(),
                Instr::DisplayValue { src } => {
                    let value = reg!(src).clone();
                    attempt!(self.display_value(&value));
                }
            }
        }
    }
}

/// How a dispatch loop ended.
enum Flow {
    /// The frame it was started for returned (or yielded), or an exception left it.
    Done(Result<Value, Uncaught>),
    /// Recording started or stopped: go on in the other loop (`skip_native` carried over).
    SwitchMode { skip_native: bool },
}
