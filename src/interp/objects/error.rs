//! Runtime exceptions: the exception classes Toy knows, their hierarchy, and [`RtError`], the
//! error every fallible runtime operation returns.
//!
//! An `RtError` is just an exception instance ([`ExcObj`]) in a box; the VM adds the traceback
//! while it unwinds. Messages are CPython 3.11's, word for word.

use std::fmt;

use crate::interp::objects::builtins::BuiltinId;
use crate::interp::objects::value::{ExcObj, Value};

/// Every exception class Toy has, with its CPython name and base class. One table: the enum,
/// `name` and `base` all come from it.
macro_rules! exception_table {
    ($( $kind:ident => $base:ident ),* $(,)?) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ExcKind { $( $kind ),* }

        impl ExcKind {
            pub const ALL: &'static [ExcKind] = &[ $( ExcKind::$kind ),* ];

            pub fn name(self) -> &'static str {
                match self { $( ExcKind::$kind => stringify!($kind) ),* }
            }

            /// The direct base class (`BaseException` is its own base).
            pub fn base(self) -> ExcKind {
                match self { $( ExcKind::$kind => ExcKind::$base ),* }
            }
        }
    };
}

exception_table! {
    BaseException => BaseException,
    KeyboardInterrupt => BaseException,
    SystemExit => BaseException,
    Exception => BaseException,
    ArithmeticError => Exception,
    ZeroDivisionError => ArithmeticError,
    OverflowError => ArithmeticError,
    LookupError => Exception,
    IndexError => LookupError,
    KeyError => LookupError,
    TypeError => Exception,
    ValueError => Exception,
    NameError => Exception,
    UnboundLocalError => NameError,
    RuntimeError => Exception,
    RecursionError => RuntimeError,
    NotImplementedError => RuntimeError,
    AssertionError => Exception,
    AttributeError => Exception,
    MemoryError => Exception,
    StopIteration => Exception,
    OSError => Exception,
    ConnectionError => OSError,
    BrokenPipeError => ConnectionError,
}

impl ExcKind {
    /// `except other:` catches `self`?
    pub fn is_subclass_of(self, other: ExcKind) -> bool {
        let mut kind = self;
        loop {
            if kind == other {
                return true;
            }
            if kind == ExcKind::BaseException {
                return false;
            }
            kind = kind.base();
        }
    }

    pub fn from_name(name: &str) -> Option<ExcKind> {
        ExcKind::ALL.iter().copied().find(|k| k.name() == name)
    }
}

/// A raised exception on its way up. Boxed so `Result<Value, RtError>` stays 16 bytes.
#[derive(Debug, Clone)]
pub struct RtError(pub Box<ExcObj>);

pub type RtResult<T> = Result<T, RtError>;

impl RtError {
    /// `kind` with one string argument, the way builtins raise: `TypeError("...")`.
    pub fn new(kind: ExcKind, message: impl Into<String>) -> RtError {
        RtError(Box::new(ExcObj { kind, args: vec![Value::str(message.into())] }))
    }

    /// `kind` with the given arguments (`KeyError(key)`, `ValueError()`).
    pub fn with_args(kind: ExcKind, args: Vec<Value>) -> RtError {
        RtError(Box::new(ExcObj { kind, args }))
    }

    pub fn kind(&self) -> ExcKind {
        self.0.kind
    }
}

pub fn type_error(message: impl Into<String>) -> RtError {
    RtError::new(ExcKind::TypeError, message)
}

pub fn value_error(message: impl Into<String>) -> RtError {
    RtError::new(ExcKind::ValueError, message)
}

pub fn index_error(message: impl Into<String>) -> RtError {
    RtError::new(ExcKind::IndexError, message)
}

pub fn zero_division(message: impl Into<String>) -> RtError {
    RtError::new(ExcKind::ZeroDivisionError, message)
}

pub fn overflow_error(message: impl Into<String>) -> RtError {
    RtError::new(ExcKind::OverflowError, message)
}

pub fn memory_error() -> RtError {
    RtError::with_args(ExcKind::MemoryError, vec![])
}

impl fmt::Display for ExcKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `UnboundLocalError` for reading local `name` before it is assigned.
pub fn unbound_local(name: &str) -> RtError {
    RtError::new(
        ExcKind::UnboundLocalError,
        format!("cannot access local variable '{name}' where it is not associated with a value"),
    )
}

/// The exception `raise value` raises.
pub fn exception_from(value: &Value) -> RtError {
    match value {
        Value::Exception(exc) => RtError(Box::new((**exc).clone())),
        Value::Builtin(BuiltinId::Exception(kind)) => RtError::with_args(*kind, vec![]),
        _ => type_error("exceptions must derive from BaseException"),
    }
}
