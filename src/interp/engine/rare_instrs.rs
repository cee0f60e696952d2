//! The instructions a program runs rarely, or whose work dwarfs the dispatch: dict displays,
//! slice assignment, unpacking anything but a tuple of the right length, function and generator
//! objects, `del` of a global, `import`, and the REPL's display of a value. The dispatch loop
//! (`vm.rs`) keeps the hot instructions inline and calls these, so that it stays short enough to
//! read and its hot handlers stay close together.
//!
//! Each works on the running frame's registers, given the frame's `base` (registers are stack
//! slots `base + r`), and returns what the instruction writes or raises. Touches: the VM's
//! stack, globals and output.

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

use crate::interp::engine::bytecode::{CodeObject, ConstIdx, Count, GlobalIdx, NameIdx, Reg};
use crate::interp::engine::state::Vm;
use crate::interp::objects::error::{ExcKind, RtError, RtResult};
use crate::interp::objects::format;
use crate::interp::objects::iter;
use crate::interp::objects::ops;
use crate::interp::objects::value::{DictMap, FunctionObj, GenState, HashKey, IterObj, ModuleObj, Value};

impl Vm {
    /// `{k1: v1, ...}` from `count` key/value pairs in the registers from `start`.
    pub(super) fn build_dict(&self, base: usize, start: Reg, count: Count) -> RtResult<Value> {
        let from = base + start.0 as usize;
        let mut map = DictMap::with_capacity(count.0 as usize);
        for i in 0..count.0 as usize {
            let key = HashKey::new(self.stack[from + 2 * i].clone())?;
            map.insert(key, self.stack[from + 2 * i + 1].clone());
        }
        Ok(Value::Dict(Rc::new(RefCell::new(map))))
    }

    /// `obj[lo:hi:step] = value`, the three bounds in the registers from `bounds`.
    pub(super) fn set_slice(&mut self, base: usize, obj: Reg, bounds: Reg, value: Reg) -> RtResult<()> {
        let slot = |r: Reg| base + r.0 as usize;
        if let Value::Iterator(_) = &self.stack[slot(value)] {
            // Drained first (as CPython does), running what a lazy iterator calls.
            let source = self.stack[slot(value)].clone();
            let items = Value::list(iter::collect_with(&source, self)?);
            self.stack[slot(value)] = items;
        }
        let b = slot(bounds);
        ops::set_slice(
            &self.stack[slot(obj)],
            &self.stack[b],
            &self.stack[b + 1],
            &self.stack[b + 2],
            &self.stack[slot(value)],
        )
    }

    /// `a, b, ... = src` when `src` is not a tuple of exactly `count` items: iterates it (a
    /// list, a string, an iterator; ValueError when the count differs).
    pub(super) fn unpack_iterable(&mut self, base: usize, dst: Reg, src: Reg, count: Count) -> RtResult<()> {
        let value = self.stack[base + src.0 as usize].clone();
        let items = iter::unpack(&value, count.0 as usize, self)?;
        for (i, item) in items.into_iter().enumerate() {
            self.stack[base + dst.0 as usize + i] = item;
        }
        Ok(())
    }

    /// A `def` or `lambda` runs: a function object from the template constant, its defaults the
    /// `count` registers from `defaults`.
    pub(super) fn make_function(
        &mut self,
        code: &CodeObject,
        base: usize,
        template: ConstIdx,
        defaults: Reg,
        count: Count,
    ) -> Value {
        let Value::Function(template) = &code.consts[template.0 as usize] else {
            unreachable!("MakeFunction names a function constant")
        };
        let template: Rc<FunctionObj> = template.clone();
        let from = base + defaults.0 as usize;
        let defaults = self.stack[from..from + count.0 as usize].to_vec();
        self.new_function(&template, defaults)
    }

    /// A generator expression's iterator: the running frame's code from `body` on, run later
    /// by nested runs over the same frame.
    pub(super) fn make_generator(&self, base: usize, body: usize) -> Value {
        let depth = self.frames.len() - 1;
        let code = self.frames[depth].code.to_rc();
        let generator = GenState { code, base, depth, pc: body, done: false };
        iter::iter_value(IterObj::Generator(generator))
    }

    /// `del name` of a global: NameError when it is not bound.
    pub(super) fn delete_global(&mut self, global: GlobalIdx) -> RtResult<()> {
        let slot = &mut self.globals[global.0 as usize];
        // Traces assume the builtins and functions they call are still what they were.
        if matches!(slot, Value::Builtin(_) | Value::Function(_)) {
            self.rebinds += 1;
        }
        if matches!(slot, Value::Unbound) {
            let name = self.global_names.names[global.0 as usize].clone();
            return Err(RtError::new(ExcKind::NameError, format!("name '{name}' is not defined")));
        }
        *slot = Value::Unbound;
        Ok(())
    }

    /// `import name`: only `math` exists in Toy.
    pub(super) fn import_module(code: &CodeObject, name: NameIdx) -> RtResult<Value> {
        let name = &code.names[name.0 as usize];
        if &**name != "math" {
            return Err(RtError::new(ExcKind::RuntimeError, format!("import of '{name}' is not supported in Toy")));
        }
        Ok(Value::Module(Rc::new(ModuleObj { name: "math" })))
    }

    /// The REPL shows an expression statement's value: its repr, unless it is None.
    pub(super) fn display_value(&mut self, value: &Value) -> RtResult<()> {
        if !matches!(value, Value::None) {
            let text = format::repr(value)?;
            let _ = writeln!(self.out, "{text}");
        }
        Ok(())
    }
}
