//! The bytecode compiler: AST → [`CodeObject`]s (one per function, lambda and module).
//!
//! Input: a parsed [`Module`]. Output: the module's code object, whose constants hold the code of
//! the functions it defines. Every unit is checked by [`CodeObject::verify`] before it is
//! returned, so the VM may trust register numbers. The compiler also rejects the parts of
//! Python the parser lets through but Toy does not have (closures over enclosing locals,
//! attribute assignment) and the errors CPython finds at compile time ('return' outside
//! function, ...): nothing runs when compilation fails.
//!
//! Files: `scope.rs` (which names are locals), `builtin_names.rs` (which names are the
//! builtins; what of them Toy rejects), `stmt.rs` (statements, loops, try), `expr.rs`
//! (expressions, calls), `comprehension.rs` (list, dict, generator). This file holds the per-function builder:
//! registers, constants, labels, exception regions.

mod builtin_names;
mod comprehension;
mod expr;
mod large;
mod scope;
mod stmt;

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use crate::parser::LineIndex;
use crate::parser::ast::{Module, Span, Stmt};

use crate::interp::engine::bytecode::{CodeObject, ConstIdx, Count, Handler, Instr, Label, NameIdx, Reg};
use crate::interp::engine::locations::Location;
use crate::interp::objects::value::{FunctionObj, Value};

use scope::BodyNames;
pub use scope::GlobalTable;

/// Deepest expression/statement nesting the compiler follows (it recurses on the tree); the
/// parser's `MAX_DEPTH` (CPython's limit) is reached first, this is a backstop.
const MAX_NESTING: u32 = 3100;

/// Why compilation failed; rendered like a SyntaxError (file, line, caret).
#[derive(Debug, Clone, PartialEq)]
pub struct CompileError {
    /// The Python exception class to report (`SyntaxError`, or `RecursionError` for absurd
    /// nesting); "not supported" messages are SyntaxErrors that say so.
    pub class: &'static str,
    pub message: String,
    pub span: Span,
}

pub type CompileResult<T> = Result<T, CompileError>;

fn syntax_error(message: impl Into<String>, span: Span) -> CompileError {
    CompileError { class: "SyntaxError", message: message.into(), span }
}

/// Options for one compilation.
#[derive(Debug, Clone, Copy, Default)]
pub struct CompileOptions {
    /// REPL mode: top-level expression statements print their value's repr.
    pub echo_expressions: bool,
}

/// Compiles a whole module (or one REPL input). Globals it names are added to `globals`.
pub fn compile_module(
    module: &Module,
    source: &str,
    globals: &mut GlobalTable,
    options: CompileOptions,
) -> CompileResult<Rc<CodeObject>> {
    let lines = LineIndex::new(source);
    // A name an earlier REPL input bound is not the builtin any more.
    let builtin_names = builtin_names::BuiltinNames::of(&module.body, globals.bound.iter().cloned());
    globals.bound.extend(builtin_names.rebound().cloned());
    let mut unit = Compiler { lines: &lines, globals, options, enclosing_locals: Vec::new(), depth: 0, builtin_names };
    let mut builder = FnBuilder::new("<module>", 1, ScopeKind::Module, &[], &BodyNames::default());
    builder.hoist_constants(scope::loop_literals(&module.body));
    unit.block(&mut builder, &module.body)?;
    let none = builder.temp();
    builder.emit(Instr::LoadNone { dst: none });
    builder.emit(Instr::Return { src: none });
    builder.finish()
}

/// What is shared while compiling one module: the line table, globals, and the stack of
/// enclosing functions' local names (to reject closures).
struct Compiler<'a> {
    lines: &'a LineIndex,
    globals: &'a mut GlobalTable,
    options: CompileOptions,
    enclosing_locals: Vec<HashSet<String>>,
    depth: u32,
    /// Which names are the builtins (nothing in the program binds them).
    builtin_names: builtin_names::BuiltinNames,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ScopeKind {
    Module,
    Function,
}

/// Where a name lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Local(Reg),
    Global(crate::interp::engine::bytecode::GlobalIdx),
}

/// A loop being compiled: where `continue` goes, the `break` jumps to patch, and how many
/// exception regions were open when it started (a `break` leaves the ones opened since).
struct LoopContext {
    /// Where `continue` goes (`u32::MAX`: not known yet, see `continue_jumps`).
    continue_target: u32,
    break_jumps: Vec<usize>,
    continue_jumps: Vec<usize>,
    regions_at_entry: usize,
}

/// A protected range of code (a `try` body): its handler intervals and, for `try/finally`,
/// the finally body that `return`/`break`/`continue` leaving it must run first.
struct Region<'s> {
    finally_body: Option<&'s [Stmt]>,
    open_since: Option<u32>,
    intervals: Vec<usize>,
    depth: u32,
}

/// The source of an instruction: its line, and its span for the traceback's carets.
#[derive(Clone, Copy, Debug)]
struct SourceAt {
    line: u32,
    location: Location,
}

/// The code object being built for one function (or the module).
struct FnBuilder<'s> {
    code: CodeObject,
    kind: ScopeKind,
    locals: HashMap<String, Reg>,
    declared_globals: HashSet<String>,
    /// Registers of comprehension variables in scope, innermost last.
    comprehension_vars: Vec<(String, Reg)>,
    /// First free temporary register; temporaries are allocated like a stack.
    next_temp: u16,
    /// The source of the instructions emitted now (the expression or statement being compiled).
    at: SourceAt,
    loops: Vec<LoopContext>,
    regions: Vec<Region<'s>>,
    /// Registers holding the exception of each enclosing `except` body (for bare `raise`).
    handled_exceptions: Vec<Reg>,
    /// Locals certainly assigned at this point, one set per nested conditional block.
    definitely_assigned: Vec<HashSet<String>>,
    consts_index: HashMap<ConstKey, u32>,
    /// Registers holding hoisted loop constants (see [`FnBuilder::hoist_constants`]).
    constant_regs: HashMap<ConstKey, Reg>,
    names_index: HashMap<String, u32>,
    too_many_registers: bool,
    /// No instruction may be fused into the one before this pc: a jump or a handler range
    /// may start here (set whenever [`FnBuilder::pc`] hands out the current pc).
    fuse_barrier: u32,
}

/// Constants are deduplicated by value (floats by bit pattern).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum ConstKey {
    Int(i64),
    Float(u64),
    Str(String),
    Big(String),
}

fn const_key(value: &Value) -> Option<ConstKey> {
    match value {
        Value::Int(i) => Some(ConstKey::Int(*i)),
        Value::Float(f) => Some(ConstKey::Float(f.to_bits())),
        Value::Str(s) => Some(ConstKey::Str(s.to_string())),
        Value::BigInt(b) => Some(ConstKey::Big(b.to_string())),
        _ => None,
    }
}

impl<'s> FnBuilder<'s> {
    fn new(name: &str, first_line: u32, kind: ScopeKind, params: &[String], names: &BodyNames) -> FnBuilder<'s> {
        let mut code = CodeObject { name: name.to_string(), first_line, ..CodeObject::default() };
        let mut locals = HashMap::new();
        if kind == ScopeKind::Function {
            for name in params.iter().chain(names.assigned.iter()) {
                if !locals.contains_key(name) {
                    let reg = Reg(locals.len() as u16);
                    locals.insert(name.clone(), reg);
                    code.slot_names.push(name.clone());
                }
            }
            code.params = params.iter().map(|p| Rc::from(p.as_str())).collect();
        }
        // A frame has at most 65,535 slots: more locals than fit is reported by `finish`.
        let too_many_locals = locals.len() >= usize::from(u16::MAX - 4);
        let next_temp = if too_many_locals { 0 } else { locals.len() as u16 };
        code.nslots = next_temp;
        code.nlocals = next_temp;
        FnBuilder {
            code,
            kind,
            locals,
            declared_globals: names.globals.clone(),
            comprehension_vars: Vec::new(),
            next_temp,
            at: SourceAt { line: first_line, location: Location::default() },
            loops: Vec::new(),
            regions: Vec::new(),
            handled_exceptions: Vec::new(),
            definitely_assigned: vec![params.iter().cloned().collect()],
            consts_index: HashMap::new(),
            constant_regs: HashMap::new(),
            names_index: HashMap::new(),
            too_many_registers: too_many_locals,
            fuse_barrier: 0,
        }
    }

    /// Gives each of these number literals a register of its own, written when the frame is
    /// pushed (`CodeObject::preloaded`) and never changed: instructions read the literal from
    /// there instead of loading it with `LoadConst` each time.
    fn hoist_constants(&mut self, literals: Vec<Value>) {
        const MAX_HOISTED: usize = 32;
        for value in literals.into_iter().take(MAX_HOISTED) {
            let Some(key) = const_key(&value) else { continue };
            let label = format!("={}", crate::interp::objects::format::repr(&value).unwrap_or_default());
            let reg = self.temp();
            self.code.slot_names[reg.0 as usize] = label;
            self.code.preloaded.push((reg, value));
            self.constant_regs.insert(key, reg);
        }
        // Hoisted registers stay live for the whole body: temporaries start above them.
    }

    /// The register holding this literal for the whole body, if it was hoisted.
    fn constant_register(&self, value: &Value) -> Option<Reg> {
        const_key(value).and_then(|key| self.constant_regs.get(&key).copied())
    }

    /// A new loop number (for `LoopHeader`/`ForIter`).
    fn new_loop_id(&mut self) -> Count {
        let id = self.code.loop_count;
        self.code.loop_count = self.code.loop_count.saturating_add(1);
        Count(id)
    }

    /// The pc of the next instruction, as a jump target or a range bound.
    fn pc(&mut self) -> u32 {
        self.fuse_barrier = self.code.instrs.len() as u32;
        self.fuse_barrier
    }

    /// Emits the arithmetic of an augmented assignment (see `CodeObject::in_place_ops`).
    fn emit_in_place(&mut self, instr: Instr) -> usize {
        let pc = self.emit(instr);
        self.code.in_place_ops.push(pc as u32);
        pc
    }

    fn emit(&mut self, instr: Instr) -> usize {
        if let Some(fused) = self.fuse_with_last(instr) {
            *self.code.instrs.last_mut().expect("fused with the last instruction") = fused;
            return self.code.instrs.len() - 1;
        }
        self.code.instrs.push(instr);
        self.code.lines.push(self.at.line);
        self.code.locations.push(self.at.location);
        self.code.instrs.len() - 1
    }

    /// The one instruction doing what the last instruction and `next` do, if they can be
    /// fused: a `Move` after a `Move` or a `LoadGlobal` of the same line, when nothing jumps
    /// between them.
    fn fuse_with_last(&self, next: Instr) -> Option<Instr> {
        let here = self.code.instrs.len();
        if here as u32 == self.fuse_barrier || here == 0 || self.code.lines[here - 1] != self.at.line {
            return None;
        }
        match (self.code.instrs[here - 1], next) {
            (Instr::Move { dst, src }, Instr::Move { dst: dst2, src: src2 }) => {
                Some(Instr::Move2 { dst, src, dst2, src2 })
            }
            // (Never a move of the loaded global itself: the JIT records the two apart.)
            (Instr::LoadGlobal { dst, global }, Instr::Move { dst: dst2, src }) if src != dst && dst2 != dst => {
                Some(Instr::LoadGlobalMove { dst, global, dst2, src })
            }
            _ => None,
        }
    }

    /// Points the jump at `at` to `target`.
    fn patch(&mut self, at: usize, target: u32) {
        match &mut self.code.instrs[at] {
            Instr::Jump { target: t }
            | Instr::JumpIfFalse { target: t, .. }
            | Instr::JumpIfTrue { target: t, .. }
            | Instr::JumpIfNone { target: t, .. }
            | Instr::JumpIfNotNone { target: t, .. }
            | Instr::JumpIfLt { target: t, .. }
            | Instr::JumpIfLtE { target: t, .. }
            | Instr::JumpIfGt { target: t, .. }
            | Instr::JumpIfGtE { target: t, .. }
            | Instr::JumpIfEq { target: t, .. }
            | Instr::JumpIfNotEq { target: t, .. }
            | Instr::JumpIfNotLt { target: t, .. }
            | Instr::JumpIfNotLtE { target: t, .. }
            | Instr::JumpIfNotGt { target: t, .. }
            | Instr::JumpIfNotGtE { target: t, .. } => *t = Label(target),
            Instr::ForIter { exit, .. } => *exit = Label(target),
            _ => {}
        }
    }

    fn patch_here(&mut self, jumps: &[usize]) {
        let here = self.pc();
        for &at in jumps {
            self.patch(at, here);
        }
    }

    /// A fresh temporary register.
    fn temp(&mut self) -> Reg {
        self.temps(1)
    }

    /// `count` consecutive fresh temporaries; returns the first.
    fn temps(&mut self, count: u16) -> Reg {
        let first = self.next_temp;
        match self.next_temp.checked_add(count) {
            Some(next) if next < u16::MAX - 4 => self.next_temp = next,
            _ => {
                self.too_many_registers = true;
                return Reg(0);
            }
        }
        self.code.nslots = self.code.nslots.max(self.next_temp);
        for _ in self.code.slot_names.len()..self.code.nslots as usize {
            self.code.slot_names.push(String::new());
        }
        Reg(first)
    }

    /// Frees every temporary allocated since `mark` (a value of `next_temp`).
    fn free_to(&mut self, mark: u16) {
        self.next_temp = mark;
    }

    fn constant(&mut self, value: Value) -> ConstIdx {
        let key = const_key(&value);
        if let Some(key) = &key
            && let Some(&i) = self.consts_index.get(key)
        {
            return ConstIdx(i);
        }
        let i = self.code.consts.len() as u32;
        self.code.consts.push(value);
        if let Some(key) = key {
            self.consts_index.insert(key, i);
        }
        ConstIdx(i)
    }

    fn name(&mut self, name: &str) -> NameIdx {
        if let Some(&i) = self.names_index.get(name) {
            return NameIdx(i);
        }
        let i = self.code.names.len() as u32;
        self.code.names.push(Rc::from(name));
        self.names_index.insert(name.to_string(), i);
        NameIdx(i)
    }

    fn is_assigned(&self, name: &str) -> bool {
        self.definitely_assigned.iter().any(|set| set.contains(name))
    }

    fn mark_assigned(&mut self, name: &str) {
        if let Some(set) = self.definitely_assigned.last_mut() {
            set.insert(name.to_string());
        }
    }

    fn mark_unassigned(&mut self, name: &str) {
        for set in &mut self.definitely_assigned {
            set.remove(name);
        }
    }

    /// Enters a block that may not run (a branch, a loop body, a try body).
    fn enter_conditional(&mut self) {
        self.definitely_assigned.push(HashSet::new());
    }

    /// Leaves it; returns what it assigned, for `if`/`else` to intersect.
    fn leave_conditional(&mut self) -> HashSet<String> {
        self.definitely_assigned.pop().unwrap_or_default()
    }

    /// Opens a protected region (a `try` body).
    fn open_region(&mut self, finally_body: Option<&'s [Stmt]>) {
        let depth = self.regions.len() as u32;
        let start = self.pc();
        self.regions.push(Region { finally_body, open_since: Some(start), intervals: Vec::new(), depth });
    }

    fn close_interval(&mut self, region: &mut Region<'s>) {
        if let Some(start) = region.open_since.take() {
            let end = self.pc();
            if end > start {
                self.code.handlers.push(Handler { start, end, target: 0, depth: region.depth });
                region.intervals.push(self.code.handlers.len() - 1);
            }
        }
    }

    /// Closes the innermost region; its handler code starts at the current pc... once the
    /// caller has emitted the normal path: call [`FnBuilder::set_region_target`] then.
    fn close_region(&mut self) -> Region<'s> {
        let mut region = self.regions.pop().expect("a region is open");
        self.close_interval(&mut region);
        region
    }

    fn set_region_target(&mut self, region: &Region<'s>, target: u32) {
        for &i in &region.intervals {
            self.code.handlers[i].target = target;
        }
    }

    fn finish(mut self) -> CompileResult<Rc<CodeObject>> {
        if self.too_many_registers {
            return Err(syntax_error(
                "a function with more than 65,530 variables and temporaries is not supported in Toy",
                Span::default(),
            ));
        }
        self.code.slot_names.resize(self.code.nslots as usize, String::new());
        self.code.jit_loops = (0..self.code.loop_count).map(|_| Default::default()).collect();
        self.code.method_ids =
            self.code.names.iter().map(|n| crate::interp::objects::methods::MethodId::from_name(n)).collect();
        self.code.verify().map_err(|e| syntax_error(format!("internal compiler error: {e}"), Span::default()))?;
        Ok(Rc::new(self.code))
    }
}

impl<'a> Compiler<'a> {
    fn line_of(&self, span: Span) -> u32 {
        self.lines.line_of(span.start)
    }

    /// Where the instructions compiled for the syntax at `span` come from.
    fn at(&self, span: Span) -> SourceAt {
        SourceAt { line: self.line_of(span), location: Location::of(span) }
    }

    /// Guards the compiler's own recursion.
    fn enter(&mut self, span: Span) -> CompileResult<()> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(CompileError {
                class: "RecursionError",
                message: "maximum recursion depth exceeded during compilation".into(),
                span,
            });
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// Where `name` lives in the function being compiled. Rejects reads of an enclosing
    /// function's locals (closures are outside Toy).
    fn resolve(&mut self, builder: &FnBuilder, name: &str, span: Span) -> CompileResult<Place> {
        if let Some((_, reg)) = builder.comprehension_vars.iter().rev().find(|(n, _)| n == name) {
            return Ok(Place::Local(*reg));
        }
        if builder.kind == ScopeKind::Function && !builder.declared_globals.contains(name) {
            if let Some(&reg) = builder.locals.get(name) {
                return Ok(Place::Local(reg));
            }
            if self.enclosing_locals.iter().any(|locals| locals.contains(name)) {
                return Err(syntax_error(
                    format!(
                        "closures are not supported in Toy: '{name}' is a variable of an enclosing function (line {})",
                        self.line_of(span)
                    ),
                    span,
                ));
            }
        }
        self.builtin_names.check_name(name, span)?;
        Ok(Place::Global(self.globals.intern(name)))
    }

    /// Compiles a function or lambda body into a `Value::Function` template constant.
    fn function(
        &mut self,
        name: &str,
        params: &[String],
        body: FunctionBody<'_>,
        span: Span,
        enclosing: &FnBuilder,
    ) -> CompileResult<Value> {
        let names = match body {
            FunctionBody::Statements(stmts) => BodyNames::of(stmts),
            FunctionBody::Expression(_) => BodyNames::default(),
        };
        if enclosing.kind == ScopeKind::Function {
            let mut visible: HashSet<String> = enclosing.locals.keys().cloned().collect();
            visible.extend(enclosing.comprehension_vars.iter().map(|(n, _)| n.clone()));
            self.enclosing_locals.push(visible);
        }
        let mut builder = FnBuilder::new(name, self.line_of(span), ScopeKind::Function, params, &names);
        if let FunctionBody::Statements(stmts) = body {
            builder.hoist_constants(scope::body_literals(stmts));
        }
        let result = match body {
            FunctionBody::Statements(stmts) => self.block(&mut builder, stmts).map(|_| {
                let none = builder.temp();
                builder.emit(Instr::LoadNone { dst: none });
                builder.emit(Instr::Return { src: none });
            }),
            FunctionBody::Expression(e) => self.expr(&mut builder, e).map(|r| {
                builder.emit(Instr::Return { src: r });
            }),
        };
        if enclosing.kind == ScopeKind::Function {
            self.enclosing_locals.pop();
        }
        result?;
        let code = builder.finish()?;
        Ok(Value::Function(Rc::new(FunctionObj { code, defaults: Vec::new(), id: 0 })))
    }
}

#[derive(Clone, Copy)]
enum FunctionBody<'b> {
    Statements(&'b [Stmt]),
    Expression(&'b crate::parser::ast::Expr),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::parse;

    fn compile(src: &str) -> CompileResult<Rc<CodeObject>> {
        let module = parse(src).expect("parses");
        let mut globals = GlobalTable::default();
        compile_module(&module, src, &mut globals, CompileOptions::default())
    }

    fn listing(src: &str) -> String {
        let module = parse(src).expect("parses");
        let mut globals = GlobalTable::default();
        let code = compile_module(&module, src, &mut globals, CompileOptions::default()).expect("compiles");
        code.disassemble(&globals.names)
    }

    #[test]
    fn locals_are_registers_and_loops_have_headers() {
        let text = listing("def f(n):\n    i = 0\n    while i < n:\n        i += 1\n    return i\n");
        assert!(text.contains("LoopHeader"), "{text}");
        assert!(text.contains("AddInPlace     dst=r1(i) a=r1(i)"), "{text}");
        assert!(!text.contains("LoadGlobal     dst=r1"), "{text}");
    }

    #[test]
    fn moves_of_one_line_fuse_but_not_across_a_jump_target() {
        // The two argument copies of one line become one `Move2`; a global function and its
        // one argument fuse too.
        let text = listing("def f(x, y, g):\n    return g(y, x)\n");
        assert!(text.contains("Move2          dst=r4 src=r1(y) dst2=r5 src2=r0(x)"), "{text}");
        let text = listing("def f(x):\n    return len(x)\n");
        assert!(text.contains("LoadGlobalMove dst=r2 global=g0(len) dst2=r3 src=r0(x)"), "{text}");
        // `x = a if c else b`: the else branch's move is a jump target, so the move after the
        // conditional expression is not fused into it (here the result goes straight into `z`).
        let text = listing("def f(a, b, c):\n    z = a if c else b\n    return z\n");
        assert!(!text.contains("Move2"), "{text}");
        assert!(text.contains("Move           dst=r3(z) src=r0(a)"), "{text}");
        assert!(text.contains("Move           dst=r3(z) src=r1(b)"), "{text}");
        // Moves of different lines stay apart (each keeps its line for the dump).
        let text = listing("def f(a, b):\n    x = a\n    y = b\n    return x + y\n");
        assert!(!text.contains("Move2"), "{text}");
    }

    #[test]
    fn pairs_and_triples_are_built_from_registers_in_place() {
        let text = listing("def f(a, b):\n    return (a, b), (b, 1, a)\n");
        assert!(text.contains("BuildTuple2    dst="), "{text}");
        assert!(text.contains("BuildTuple3    dst="), "{text}");
        assert!(text.contains("a=r0(a) b=r1(b)"), "{text}");
        assert!(!text.contains("Move"), "{text}");
    }

    #[test]
    fn for_range_uses_for_iter() {
        let text = listing("for i in range(3):\n    print(i)\n");
        assert!(text.contains("GetIter") && text.contains("ForIter"), "{text}");
    }

    #[test]
    fn reading_a_maybe_unassigned_local_is_checked() {
        let text = listing("def f(c):\n    if c:\n        x = 1\n    return x\n");
        assert!(text.contains("CheckBound"), "{text}");
        let text = listing("def f(c):\n    x = 0\n    if c:\n        x = 1\n    return x\n");
        assert!(!text.contains("CheckBound"), "{text}");
    }

    #[test]
    fn closures_are_rejected() {
        let err = compile("def f():\n    x = 1\n    def g():\n        return x\n    return g\n").unwrap_err();
        assert!(err.message.contains("not supported"), "{err:?}");
    }

    #[test]
    fn compile_time_errors_match_cpython() {
        assert_eq!(compile("return 1\n").unwrap_err().message, "'return' outside function");
        assert_eq!(compile("break\n").unwrap_err().message, "'break' outside loop");
        assert_eq!(
            compile("while 1:\n    def f():\n        continue\n").unwrap_err().message,
            "'continue' not properly in loop"
        );
    }

    #[test]
    fn builtins_toy_lacks_are_rejected_before_running() {
        let refused = |src: &str| compile(src).expect_err(src).message;
        assert!(refused("print(1)\nprint(open('f'))\n").contains("'open' is not supported"));
        assert!(refused("x = [1]\ny = set(x)\n").contains("'set' is not supported"));
        assert!(refused("print(zip([1], strict=True))\n").contains("strict= of zip() is not supported"));
        assert!(refused("print(1, file=f)\n").contains("file= of print() is not supported"));
        assert!(refused("g = (x for x in y)\n").contains("generator expressions are not supported"));
        assert!(refused("print(enumerate(x for x in y))\n").contains("generator expressions are not supported"));
        // A name the program binds is not the builtin: rebinding `sum` makes `sum(genexp)` a
        // call of the program's own function, which Toy cannot give a generator.
        assert!(refused("def sum(g):\n    return 0\nprint(sum(x for x in [1]))\n").contains("generator"));
        for fine in [
            "def open(n):\n    return n\nprint(open(1))\n",
            "print(sum(x for x in [1]), ''.join(c for c in 'ab'), max((x for x in [1]), key=abs))\n",
            "print(1, file=None)\nprint({k: 1 for k in 'ab'})\n",
            "for set in [1]:\n    print(set)\n",
        ] {
            assert!(compile(fine).is_ok(), "{fine}");
        }
    }

    #[test]
    fn a_builtin_rebound_by_an_earlier_repl_input_is_not_the_builtin() {
        let mut globals = GlobalTable::default();
        let mut input =
            |src: &str| compile_module(&parse(src).expect("parses"), src, &mut globals, CompileOptions::default());
        assert!(input("print(sum([1]))\nprint(sum(x for x in [1]))\n").is_ok());
        assert!(input("def sum(g):\n    return 0\n").is_ok());
        assert!(input("print(sum(x for x in [1]))\n").unwrap_err().message.contains("generator"));
        assert!(input("def open():\n    return 1\n").is_ok());
        assert!(input("print(open())\n").is_ok());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        // The parser refuses absurd depths; what it accepts, the compiler compiles.
        let src = format!("x = {}1\n", "-".repeat(100_000));
        assert!(parse(&src).is_err());
        let src = format!("x = {}1\n", "-".repeat(900));
        assert!(compile(&src).is_ok());
    }

    #[test]
    fn every_code_object_verifies() {
        let code = compile("def f(a, b=2):\n    try:\n        return [x * b for x in a if x]\n    finally:\n        print(a)\nprint(f([1, 2]))\n").unwrap();
        assert!(code.verify().is_ok());
    }
}
