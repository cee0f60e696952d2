//! The register bytecode: the instruction table, the compiled [`CodeObject`], its verifier and
//! its disassembler (`toyjit run --dump-bytecode`).
//!
//! Lua-style registers: a function's frame is a window of `nslots` values on the VM stack —
//! parameters first, then the other locals, then temporaries — and instructions name slots
//! (`Add dst a b`). A trace recorder can therefore map every slot to one SSA value.
//! Loops have explicit headers (`LoopHeader` for `while`, `ForIter` for `for`), where hot
//! counting and trace entry happen. Every instruction has a source line (`CodeObject::lines`).
//!
//! This file depends only on value types; the compiler writes code objects, the VM runs them.

use std::fmt::Write as _;
use std::rc::Rc;

use crate::interp::objects::value::Value;

/// A frame slot number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Reg(pub u16);

/// An instruction index inside the same code object (a jump target).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Label(pub u32);

/// An index into [`CodeObject::consts`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConstIdx(pub u32);

/// An index into [`CodeObject::names`] (attribute, method and variable names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NameIdx(pub u32);

/// An index into the VM's global variable table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GlobalIdx(pub u32);

/// An index into [`CodeObject::call_sites`] (calls with keyword arguments).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SiteIdx(pub u32);

/// A small count (arguments, elements).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Count(pub u16);

/// How operands print in the disassembly and which of them are registers (for the verifier).
pub trait Operand {
    fn render(&self, code: &CodeObject, globals: &[Rc<str>]) -> String;
    /// Registers this operand names, with how many consecutive slots from there.
    fn registers(&self) -> Option<(u16, u16)> {
        None
    }
    fn label(&self) -> Option<u32> {
        None
    }
}

impl Operand for Reg {
    fn render(&self, code: &CodeObject, _: &[Rc<str>]) -> String {
        match code.slot_names.get(self.0 as usize) {
            Some(name) if !name.is_empty() => format!("r{}({})", self.0, name),
            _ => format!("r{}", self.0),
        }
    }
    fn registers(&self) -> Option<(u16, u16)> {
        Some((self.0, 1))
    }
}

impl Operand for Label {
    fn render(&self, _: &CodeObject, _: &[Rc<str>]) -> String {
        format!("->{}", self.0)
    }
    fn label(&self) -> Option<u32> {
        Some(self.0)
    }
}

impl Operand for ConstIdx {
    fn render(&self, code: &CodeObject, _: &[Rc<str>]) -> String {
        match code.consts.get(self.0 as usize) {
            Some(Value::Function(f)) => format!("k{}(<code {}>)", self.0, f.code.name),
            Some(v) => {
                format!("k{}({})", self.0, crate::interp::objects::format::repr(v).unwrap_or_else(|_| "...".into()))
            }
            None => format!("k{}", self.0),
        }
    }
}

impl Operand for NameIdx {
    fn render(&self, code: &CodeObject, _: &[Rc<str>]) -> String {
        match code.names.get(self.0 as usize) {
            Some(name) => format!("'{}'", name),
            None => format!("n{}", self.0),
        }
    }
}

impl Operand for GlobalIdx {
    fn render(&self, _: &CodeObject, globals: &[Rc<str>]) -> String {
        match globals.get(self.0 as usize) {
            Some(name) => format!("g{}({})", self.0, name),
            None => format!("g{}", self.0),
        }
    }
}

impl Operand for SiteIdx {
    fn render(&self, code: &CodeObject, _: &[Rc<str>]) -> String {
        match code.call_sites.get(self.0 as usize) {
            Some(site) => {
                let method = site.method.map(|m| format!("{}", code.names[m.0 as usize]));
                format!(
                    "site{}({}args r{}..+{} kw={})",
                    self.0,
                    method.map(|m| format!(".{m} ")).unwrap_or_default(),
                    site.args.0,
                    site.argc + site.kwnames.len() as u16,
                    site.kwnames.join(",")
                )
            }
            None => format!("site{}", self.0),
        }
    }
}

impl Operand for Count {
    fn render(&self, _: &CodeObject, _: &[Rc<str>]) -> String {
        format!("#{}", self.0)
    }
}

impl Operand for bool {
    fn render(&self, _: &CodeObject, _: &[Rc<str>]) -> String {
        if *self { "True".into() } else { "False".into() }
    }
}

impl Operand for u8 {
    fn render(&self, _: &CodeObject, _: &[Rc<str>]) -> String {
        match *self {
            0 => "-".into(),
            c => format!("!{}", c as char),
        }
    }
}

/// Register ranges: an instruction that names `count` consecutive registers from `start`.
/// The verifier needs them; they are listed per opcode in [`Instr::register_ranges`].
macro_rules! instruction_table {
    ($( $(#[doc = $doc:literal])* $name:ident { $($field:ident : $ty:ty),* } ),* $(,)?) => {
        /// One bytecode instruction. Every row of this table is one opcode.
        #[derive(Clone, Copy, Debug, PartialEq)]
        pub enum Instr {
            $( $(#[doc = $doc])* $name { $($field: $ty),* } ),*
        }

        impl Instr {
            /// The opcode's name as the disassembler prints it.
            pub fn name(&self) -> &'static str {
                match self { $( Instr::$name { .. } => stringify!($name) ),* }
            }

            /// Operands as (field name, printable operand), in table order.
            pub fn operands(&self) -> Vec<(&'static str, &dyn Operand)> {
                match self {
                    $( Instr::$name { $($field),* } => vec![$((stringify!($field), $field as &dyn Operand)),*] ),*
                }
            }
        }
    };
}

instruction_table! {
    /// Does nothing (patched-out code).
    Nop {},
    /// `dst = src`
    Move { dst: Reg, src: Reg },
    /// `dst = src`, then `dst2 = src2`: two `Move`s of one source line fused by the compiler
    /// (argument lists and tuple items are mostly copies of locals; a quarter of all
    /// instructions run were `Move`s).
    Move2 { dst: Reg, src: Reg, dst2: Reg, src2: Reg },
    /// `dst = consts[constant]`
    LoadConst { dst: Reg, constant: ConstIdx },
    /// `dst = None`
    LoadNone { dst: Reg },
    /// `dst = True/False`
    LoadBool { dst: Reg, value: bool },
    /// `dst = globals[global]`, else the builtin of that name, else NameError.
    LoadGlobal { dst: Reg, global: GlobalIdx },
    /// `dst = globals[global]` (as `LoadGlobal`), then `dst2 = src`: a call's function and its
    /// one argument (`f(x)`), fused by the compiler.
    LoadGlobalMove { dst: Reg, global: GlobalIdx, dst2: Reg, src: Reg },
    /// `globals[global] = src`
    StoreGlobal { global: GlobalIdx, src: Reg },
    /// `del` a global (NameError if unbound).
    DeleteGlobal { global: GlobalIdx },
    /// UnboundLocalError unless local `slot` holds a value (emitted only where it might not).
    CheckBound { slot: Reg, name: NameIdx },
    /// `del` a local: UnboundLocalError if unbound, then unbind it.
    DeleteLocal { slot: Reg, name: NameIdx },
    /// AttributeError unless `obj` has the method `method`: `obj.m(args)` looks `m` up before
    /// its arguments run (emitted only where an argument might raise or have an effect).
    /// `receivers`: which of str, list, dict have it (`methods::receivers`), the fast check.
    CheckMethod { obj: Reg, method: NameIdx, receivers: u8 },
    /// `dst = a + b`
    Add { dst: Reg, a: Reg, b: Reg },
    /// `dst = a - b`
    Sub { dst: Reg, a: Reg, b: Reg },
    /// `dst = a * b`
    Mul { dst: Reg, a: Reg, b: Reg },
    /// `dst = a / b` (always a float for numbers)
    TrueDiv { dst: Reg, a: Reg, b: Reg },
    /// `dst = a // b` (floor division)
    FloorDiv { dst: Reg, a: Reg, b: Reg },
    /// `dst = a % b` (floor modulo)
    Mod { dst: Reg, a: Reg, b: Reg },
    /// `dst = a ** b`
    Pow { dst: Reg, a: Reg, b: Reg },
    /// `a += b`: like `Add`, but a list is extended in place (`dst = a` then).
    AddInPlace { dst: Reg, a: Reg, b: Reg },
    /// `a *= b`: like `Mul`, but a list is repeated in place.
    MulInPlace { dst: Reg, a: Reg, b: Reg },
    /// `dst = a << b`
    LShift { dst: Reg, a: Reg, b: Reg },
    /// `dst = a >> b`
    RShift { dst: Reg, a: Reg, b: Reg },
    /// `dst = a & b`
    BitAnd { dst: Reg, a: Reg, b: Reg },
    /// `dst = a | b`
    BitOr { dst: Reg, a: Reg, b: Reg },
    /// `dst = a ^ b`
    BitXor { dst: Reg, a: Reg, b: Reg },
    /// `dst = -src`
    Neg { dst: Reg, src: Reg },
    /// `dst = +src`
    Pos { dst: Reg, src: Reg },
    /// `dst = ~src`
    Invert { dst: Reg, src: Reg },
    /// `dst = not src`
    Not { dst: Reg, src: Reg },
    /// `dst = a < b`
    Lt { dst: Reg, a: Reg, b: Reg },
    /// `dst = a <= b`
    LtE { dst: Reg, a: Reg, b: Reg },
    /// `dst = a > b`
    Gt { dst: Reg, a: Reg, b: Reg },
    /// `dst = a >= b`
    GtE { dst: Reg, a: Reg, b: Reg },
    /// `dst = a == b`
    Eq { dst: Reg, a: Reg, b: Reg },
    /// `dst = a != b`
    NotEq { dst: Reg, a: Reg, b: Reg },
    /// `dst = a is b`
    Is { dst: Reg, a: Reg, b: Reg },
    /// `dst = a is not b`
    IsNot { dst: Reg, a: Reg, b: Reg },
    /// `dst = a in b`
    In { dst: Reg, a: Reg, b: Reg },
    /// `dst = a not in b`
    NotIn { dst: Reg, a: Reg, b: Reg },
    /// `goto target`
    Jump { target: Label },
    /// `if not cond: goto target`
    JumpIfFalse { cond: Reg, target: Label },
    /// `if cond: goto target`
    JumpIfTrue { cond: Reg, target: Label },
    /// `if a is None: goto target` (`x is None` in a condition: one dispatch, not three)
    JumpIfNone { a: Reg, target: Label },
    /// `if a is not None: goto target`
    JumpIfNotNone { a: Reg, target: Label },
    /// `if a < b: goto target` (the compare-and-branch forms keep conditions to one dispatch)
    JumpIfLt { a: Reg, b: Reg, target: Label },
    /// `if a <= b: goto target`
    JumpIfLtE { a: Reg, b: Reg, target: Label },
    /// `if a > b: goto target`
    JumpIfGt { a: Reg, b: Reg, target: Label },
    /// `if a >= b: goto target`
    JumpIfGtE { a: Reg, b: Reg, target: Label },
    /// `if a == b: goto target`
    JumpIfEq { a: Reg, b: Reg, target: Label },
    /// `if a != b: goto target` (for Toy's values `!=` is always the negation of `==`)
    JumpIfNotEq { a: Reg, b: Reg, target: Label },
    /// `if not a < b: goto target` (not the same as `a >= b` when a float is NaN)
    JumpIfNotLt { a: Reg, b: Reg, target: Label },
    /// `if not a <= b: goto target`
    JumpIfNotLtE { a: Reg, b: Reg, target: Label },
    /// `if not a > b: goto target`
    JumpIfNotGt { a: Reg, b: Reg, target: Label },
    /// `if not a >= b: goto target`
    JumpIfNotGtE { a: Reg, b: Reg, target: Label },
    /// The head of a `while` loop: hot counting and trace entry happen here.
    LoopHeader { loop_id: Count },
    /// Start iterating `src`: fills the three slots `iter..iter+3` with the loop state (an
    /// unboxed `range` keeps next/stop/step as ints there; anything else keeps an iterator).
    GetIter { iter: Reg, src: Reg },
    /// The head of a `for` loop: `target = next(iter)`, or `goto exit` when exhausted.
    ForIter { iter: Reg, target: Reg, exit: Label, loop_id: Count },
    /// `dst = func(args..args+argc)`
    Call { dst: Reg, func: Reg, args: Reg, argc: Count },
    /// `dst = obj.method(args..args+argc)`
    CallMethod { dst: Reg, obj: Reg, method: NameIdx, args: Reg, argc: Count },
    /// A call with keyword arguments: `dst = func(...)` or `dst = func.method(...)` as
    /// `call_sites[site]` describes (positional values, then keyword values, from `site.args`).
    CallKw { dst: Reg, func: Reg, site: SiteIdx },
    /// Return `src` to the caller.
    Return { src: Reg },
    /// `dst = [start..start+count]`
    BuildList { dst: Reg, start: Reg, count: Count },
    /// `dst = (start..start+count)`
    BuildTuple { dst: Reg, start: Reg, count: Count },
    /// `dst = (a, b)`: a pair from any two registers (no `Move`s into consecutive ones).
    BuildTuple2 { dst: Reg, a: Reg, b: Reg },
    /// `dst = (a, b, c)`: a triple from any three registers.
    BuildTuple3 { dst: Reg, a: Reg, b: Reg, c: Reg },
    /// `dst = {k0: v0, ...}` from `count` key/value pairs laid out from `start`.
    BuildDict { dst: Reg, start: Reg, count: Count },
    /// `dst = "".join(str pieces start..start+count)` (f-strings)
    BuildString { dst: Reg, start: Reg, count: Count },
    /// `list.append(value)` for comprehensions (list known to be a list)
    ListAppend { list: Reg, value: Reg },
    /// `dst = obj[index]`
    GetItem { dst: Reg, obj: Reg, index: Reg },
    /// `obj[index] = value`
    SetItem { obj: Reg, index: Reg, value: Reg },
    /// `del obj[index]`
    DelItem { obj: Reg, index: Reg },
    /// `dst = obj[lower:upper:step]` with the bounds in `bounds..bounds+3` (None if absent)
    GetSlice { dst: Reg, obj: Reg, bounds: Reg },
    /// `obj[lower:upper:step] = value`
    SetSlice { obj: Reg, bounds: Reg, value: Reg },
    /// `del obj[lower:upper:step]`
    DelSlice { obj: Reg, bounds: Reg },
    /// `dst = obj.name`
    GetAttr { dst: Reg, obj: Reg, name: NameIdx },
    /// Unpack the sequence `src` into `dst..dst+count` (ValueError on a length mismatch).
    Unpack { dst: Reg, src: Reg, count: Count },
    /// `dst = function(consts[code], defaults = start..start+count)`
    MakeFunction { dst: Reg, code: ConstIdx, defaults: Reg, count: Count },
    /// `dst =` a generator expression whose loop starts at `body`, in this frame's registers
    /// (its iterator already made); only ever the argument of a consuming builtin.
    MakeGen { dst: Reg, body: Label },
    /// In a generator expression's body: hand `src` to whoever asked for the next value.
    Yield { src: Reg },
    /// The end of a generator expression's body: it is exhausted.
    GenEnd {},
    /// `dst = format(src, consts[spec])` after the conversion (`!r`, `!s`, `!a`; 0 for none).
    /// `spec` is a str constant (empty for none).
    FormatValue { dst: Reg, src: Reg, spec: ConstIdx, conversion: u8 },
    /// Raise `src` (an exception instance or class); `raise` inside a handler re-raises.
    Raise { src: Reg },
    /// Re-raise the exception in `src` that a handler caught (its traceback continues).
    Reraise { src: Reg },
    /// At the start of an exception handler: `dst =` the exception being handled.
    LoadException { dst: Reg },
    /// `dst = isinstance(exc, class)` for `except class:` (class may be a tuple).
    ExceptionMatches { dst: Reg, exc: Reg, class: Reg },
    /// `raise AssertionError(msg)`, or with no argument when `has_message` is False.
    AssertFail { msg: Reg, has_message: bool },
    /// `dst = the module named names[name]` (`import math`).
    ImportModule { dst: Reg, name: NameIdx },
    /// The REPL's echo of an expression statement: print `repr(src)` unless it is None.
    DisplayValue { src: Reg },
    /// A list comprehension starts (after its first iterable): in CPython it is a call, so it
    /// counts toward the recursion limit (RecursionError if the limit is reached).
    EnterComprehension {},
    /// The comprehension that the last `EnterComprehension` started is done.
    LeaveComprehension {},
}

/// A call with keyword arguments (kept out of line to keep [`Instr`] small).
#[derive(Clone, Debug, PartialEq)]
pub struct CallSite {
    /// `Some(name)` for `obj.method(...)` (then `func` of the instruction is the object).
    pub method: Option<NameIdx>,
    /// Positional arguments start here, keyword values follow them in `kwnames` order.
    pub args: Reg,
    pub argc: u16,
    pub kwnames: Vec<Rc<str>>,
}

/// An exception handler's protected range: an exception raised by an instruction in
/// `start..end` jumps to `target`. Nested `try` blocks are searched by `depth`, deepest first.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Handler {
    pub start: u32,
    pub end: u32,
    pub target: u32,
    pub depth: u32,
}

/// A compiled function body, lambda, or module top level.
#[derive(Debug, Default)]
pub struct CodeObject {
    /// The function's name (`<module>` for the top level, `<lambda>` for lambdas).
    pub name: String,
    /// Parameter names, in order; parameters occupy slots `0..params.len()`.
    pub params: Vec<Rc<str>>,
    /// Frame size: parameters, locals, temporaries.
    pub nslots: u16,
    /// Slots `0..nlocals` are the parameters and named local variables, unbound until
    /// assigned; the slots above hold preloaded literals and temporaries, which the compiler
    /// always writes before it reads them (so a new frame need not clear them).
    pub nlocals: u16,
    pub instrs: Vec<Instr>,
    /// Source line of each instruction.
    pub lines: Vec<u32>,
    /// Source span of each instruction, for the traceback's carets (`engine::locations`).
    pub locations: Vec<crate::interp::engine::locations::Location>,
    pub consts: Vec<Value>,
    /// Number literals held in registers for the whole call: each `(register, value)` is
    /// written when the frame is pushed, and no instruction writes those registers (their
    /// slot names start with `=`). Ints and floats only, so writing one is a plain copy.
    pub preloaded: Vec<(Reg, Value)>,
    pub names: Vec<Rc<str>>,
    /// The method each entry of `names` denotes when called (`obj.append(x)`), resolved once.
    pub method_ids: Vec<crate::interp::objects::methods::MethodId>,
    /// Variable name of each local slot ("" for temporaries).
    pub slot_names: Vec<String>,
    pub handlers: Vec<Handler>,
    pub call_sites: Vec<CallSite>,
    /// Line of the `def` (or 1 for a module).
    pub first_line: u32,
    /// Number of loops (`LoopHeader`s and `ForIter`s; their `loop_id`s are `0..loop_count`).
    pub loop_count: u16,
    /// The JIT's state for each loop (hot counter, compiled trace), indexed by `loop_id`.
    pub jit_loops: Vec<crate::interp::engine::native::LoopSlot>,
    /// The JIT's state for the function's entry (call counter, compiled entry trace).
    pub jit_entry: crate::interp::engine::native::EntrySlot,
    /// Each comprehension's `EnterComprehension..LeaveComprehension` pcs (for the recursion
    /// depth after an exception leaves comprehensions without their `LeaveComprehension`).
    pub comprehensions: Vec<(u32, u32)>,
    /// The pcs, ascending, of the arithmetic of augmented assignments (`x -= y`): their
    /// "unsupported operand" errors name the operator `-=`, as CPython's do.
    pub in_place_ops: Vec<u32>,
    /// Which registers are live before each instruction: computed on first use
    /// (`Liveness::cached`, the JIT's exits ask it), then kept.
    pub liveness: std::cell::OnceCell<crate::interp::engine::live_bits::Liveness>,
}

impl CodeObject {
    /// How many comprehensions are running while the instruction at `pc` runs.
    pub fn comprehensions_open_at(&self, pc: usize) -> usize {
        self.comprehensions.iter().filter(|&&(enter, leave)| (enter as usize) < pc && pc <= leave as usize).count()
    }
}

impl Instr {
    /// The loop number of a loop header (`LoopHeader`, `ForIter`), where the JIT counts and
    /// enters traces.
    pub fn loop_id(&self) -> Option<usize> {
        match self {
            Instr::LoopHeader { loop_id } | Instr::ForIter { loop_id, .. } => Some(loop_id.0 as usize),
            _ => None,
        }
    }
}

impl CodeObject {
    /// The innermost handler whose range covers `pc`.
    pub fn handler_for(&self, pc: usize) -> Option<&Handler> {
        let pc = pc as u32;
        self.handlers.iter().filter(|h| h.start <= pc && pc < h.end).max_by_key(|h| h.depth)
    }

    /// Checks the invariants the VM relies on to index frames without bounds checks: every
    /// register operand (and register range) lies inside the frame, every jump target and
    /// handler target is an instruction, every constant/name/site index exists.
    pub fn verify(&self) -> Result<(), String> {
        let n = self.instrs.len() as u32;
        if self.lines.len() != self.instrs.len() {
            return Err(format!("{}: {} lines for {} instructions", self.name, self.lines.len(), n));
        }
        if !matches!(
            self.instrs.last(),
            Some(Instr::Return { .. })
                | Some(Instr::Raise { .. })
                | Some(Instr::Reraise { .. })
                | Some(Instr::Jump { .. })
        ) {
            return Err(format!("{}: code does not end in a return, raise or jump", self.name));
        }
        for (pc, instr) in self.instrs.iter().enumerate() {
            for (start, count) in register_ranges(instr) {
                if start as u32 + count as u32 > self.nslots as u32 {
                    return Err(format!(
                        "{}: pc {pc} {}: register r{start}+{count} outside frame of {}",
                        self.name,
                        instr.name(),
                        self.nslots
                    ));
                }
            }
            for (_, operand) in instr.operands() {
                if let Some(target) = operand.label()
                    && target >= n
                {
                    return Err(format!("{}: pc {pc}: jump to {target} outside code", self.name));
                }
            }
            let index_ok = match *instr {
                Instr::LoadConst { constant: c, .. }
                | Instr::MakeFunction { code: c, .. }
                | Instr::FormatValue { spec: c, .. } => (c.0 as usize) < self.consts.len(),
                Instr::CheckBound { name, .. }
                | Instr::DeleteLocal { name, .. }
                | Instr::CallMethod { method: name, .. }
                | Instr::CheckMethod { method: name, .. }
                | Instr::GetAttr { name, .. }
                | Instr::ImportModule { name, .. } => (name.0 as usize) < self.names.len(),
                Instr::CallKw { site, .. } => (site.0 as usize) < self.call_sites.len(),
                _ => true,
            };
            if !index_ok {
                return Err(format!("{}: pc {pc} {}: index out of range", self.name, instr.name()));
            }
        }
        if self.params.len() > self.nlocals as usize || self.nlocals > self.nslots {
            return Err(format!(
                "{}: {} locals for {} parameters and {} slots",
                self.name,
                self.nlocals,
                self.params.len(),
                self.nslots
            ));
        }
        for (reg, value) in &self.preloaded {
            if reg.0 >= self.nslots || !matches!(value, Value::Int(_) | Value::Float(_)) {
                return Err(format!("{}: preloaded r{} is outside the frame or not a number", self.name, reg.0));
            }
        }
        for site in &self.call_sites {
            if site.args.0 as u32 + site.argc as u32 + site.kwnames.len() as u32 > self.nslots as u32 {
                return Err(format!("{}: call site arguments outside frame", self.name));
            }
        }
        for h in &self.handlers {
            if h.target >= n || h.start > h.end || h.end > n {
                return Err(format!("{}: bad handler {:?}", self.name, h));
            }
        }
        Ok(())
    }

    /// The disassembly of this code object and, after it, of every function defined in it.
    pub fn disassemble(&self, globals: &[Rc<str>]) -> String {
        let mut out = String::new();
        let params = self.params.iter().map(|p| p.as_ref()).collect::<Vec<_>>().join(", ");
        let _ = writeln!(out, "== {}({}) line {}: {} slots ==", self.name, params, self.first_line, self.nslots);
        if !self.preloaded.is_empty() {
            let preloaded: Vec<String> = self
                .preloaded
                .iter()
                .map(|(reg, value)| {
                    format!("r{}={}", reg.0, crate::interp::objects::format::repr(value).unwrap_or_default())
                })
                .collect();
            let _ = writeln!(out, "   preloaded: {}", preloaded.join(" "));
        }
        let mut last_line = 0;
        for (pc, instr) in self.instrs.iter().enumerate() {
            let line = self.lines[pc];
            let line_text = if line != last_line { format!("{line:>4}") } else { "    ".into() };
            last_line = line;
            let operands: Vec<String> = instr
                .operands()
                .into_iter()
                .map(|(field, op)| format!("{field}={}", op.render(self, globals)))
                .collect();
            let _ = writeln!(out, "{line_text} {pc:>5}  {:<14} {}", instr.name(), operands.join(" "));
        }
        for h in &self.handlers {
            let _ = writeln!(out, "  handler: {}..{} -> {} (depth {})", h.start, h.end, h.target, h.depth);
        }
        for constant in &self.consts {
            if let Value::Function(f) = constant {
                out.push('\n');
                out.push_str(&f.code.disassemble(globals));
            }
        }
        out
    }
}

/// Every (first register, count) an instruction reads or writes.
pub fn register_ranges(instr: &Instr) -> Vec<(u16, u16)> {
    let mut ranges: Vec<(u16, u16)> = instr.operands().iter().filter_map(|(_, op)| op.registers()).collect();
    match *instr {
        Instr::GetIter { iter, .. } | Instr::ForIter { iter, .. } => ranges.push((iter.0, 3)),
        Instr::Call { args, argc, .. } | Instr::CallMethod { args, argc, .. } => ranges.push((args.0, argc.0)),
        Instr::BuildList { start, count, .. }
        | Instr::BuildTuple { start, count, .. }
        | Instr::BuildString { start, count, .. } => ranges.push((start.0, count.0)),
        Instr::BuildDict { start, count, .. } => ranges.push((start.0, count.0.saturating_mul(2))),
        Instr::GetSlice { bounds, .. } | Instr::SetSlice { bounds, .. } | Instr::DelSlice { bounds, .. } => {
            ranges.push((bounds.0, 3))
        }
        Instr::Unpack { dst, count, .. } => ranges.push((dst.0, count.0)),
        Instr::MakeFunction { defaults, count, .. } => ranges.push((defaults.0, count.0)),
        _ => {}
    }
    ranges
}
