//! The code a frame runs, as a plain pointer: pushing and popping a frame costs no reference
//! count (an increment and a decrement of the same counter on every call were a chain of
//! dependent memory writes through the call path of recursive programs).
//!
//! Why a pointer is enough: every code object a frame can run is compiled from a module, and
//! the module's code owns it (a function's code is a constant of the code that defines it, down
//! from the module). `Vm::run_module` adds each module it runs to `Vm::code_roots`, which the
//! VM keeps until it is dropped; frames only exist while the VM runs. So a `CodeRef` made from
//! a code object the VM was given never outlives it. (The REPL keeps each input's code that
//! way: a function defined by one input is called by later ones.)
//!
//! Touches nothing: it only borrows.

use std::ptr::NonNull;
use std::rc::Rc;

use crate::interp::engine::bytecode::CodeObject;

/// A frame's code object, borrowed without a reference count (see the module doc).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CodeRef(NonNull<CodeObject>);

impl CodeRef {
    /// The code behind `code`, which must belong to a module the VM keeps (`Vm::code_roots`):
    /// a function's code, a generator's, a trace's (recorded from running frames), a module's
    /// after `run_module` rooted it.
    #[inline(always)]
    pub fn new(code: &Rc<CodeObject>) -> CodeRef {
        CodeRef(NonNull::from(&**code))
    }

    /// The code object, for as long as the caller uses it: the VM's roots keep it alive
    /// until the VM is dropped, which no frame outlives.
    #[inline(always)]
    pub fn get<'a>(self) -> &'a CodeObject {
        // SAFETY: see the module doc: the VM owns the code object through `code_roots` for
        // its whole life, and a `CodeRef` is only made for code the VM runs.
        unsafe { self.0.as_ref() }
    }

    /// A counted handle on the same code object (for the JIT, which keeps what it records).
    pub fn to_rc(self) -> Rc<CodeObject> {
        let raw = self.0.as_ptr() as *const CodeObject;
        // SAFETY: `raw` came from `Rc::as_ptr` of a live `Rc<CodeObject>` (`CodeRef::new`),
        // which the VM's roots still hold: taking one more count is sound, and `from_raw`
        // gives back exactly that count.
        unsafe {
            Rc::increment_strong_count(raw);
            Rc::from_raw(raw)
        }
    }

    /// Is this the code of `other`?
    pub fn is(self, other: &Rc<CodeObject>) -> bool {
        std::ptr::eq(self.0.as_ptr(), Rc::as_ptr(other))
    }
}

impl std::ops::Deref for CodeRef {
    type Target = CodeObject;
    #[inline(always)]
    fn deref(&self) -> &CodeObject {
        self.get()
    }
}

impl std::fmt::Debug for CodeRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<code {}>", self.get().name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_ref_reads_the_code_and_hands_out_counted_handles() {
        let code = Rc::new(CodeObject { name: "f".into(), nslots: 7, ..CodeObject::default() });
        let borrowed = CodeRef::new(&code);
        assert_eq!(borrowed.nslots, 7);
        assert!(borrowed.is(&code));
        let counted = borrowed.to_rc();
        assert_eq!(Rc::strong_count(&code), 2);
        assert!(Rc::ptr_eq(&counted, &code));
        drop(counted);
        assert_eq!(Rc::strong_count(&code), 1);
        assert_eq!(format!("{borrowed:?}"), "<code f>");
    }
}
