//! An operation as a hashable key ([`OpKey`]): what CSE compares (`opt/cse.rs`), without
//! printing the operation. Two operations have equal keys exactly when they are the same opcode
//! with the same fields, a float field compared by its bits, every NaN alike: the rule of the
//! printed form (`{op:?}`) the key replaces (`0.0` and `-0.0` print differently, every NaN prints
//! `NaN`).
//!
//! Touches nothing: a pure function of an operation.

use super::helpers::Helper;
use super::values::{Cond, IrRef, SnapId, Type};

/// The most fields an opcode of the table has (each row is checked against it when compiled).
pub const KEY_WORDS: usize = 8;

/// An operation's opcode (its name) and fields, each field as one word (see the module doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OpKey {
    opcode: &'static str,
    words: [u64; KEY_WORDS],
}

impl OpKey {
    /// The key of opcode `opcode` whose fields' words are `words` (the rest zero).
    pub(super) fn new(opcode: &'static str, words: [u64; KEY_WORDS]) -> OpKey {
        OpKey { opcode, words }
    }

    /// The opcode's name.
    pub fn opcode(&self) -> &'static str {
        self.opcode
    }
}

/// A field's value as one word of an [`OpKey`].
pub(super) trait KeyWord {
    fn word(self) -> u64;
}

macro_rules! key_word_as {
    ($($ty:ty),*) => {$(
        impl KeyWord for $ty {
            fn word(self) -> u64 {
                self as u64
            }
        }
    )*};
}

key_word_as!(u8, u16, u32, i64, bool, Cond, Type, Helper);

impl KeyWord for IrRef {
    fn word(self) -> u64 {
        u64::from(self.0)
    }
}

impl KeyWord for Option<u16> {
    fn word(self) -> u64 {
        self.map_or(u64::MAX, u64::from)
    }
}

impl KeyWord for SnapId {
    fn word(self) -> u64 {
        u64::from(self.0)
    }
}

impl KeyWord for f64 {
    fn word(self) -> u64 {
        if self.is_nan() { f64::NAN.to_bits() } else { self.to_bits() }
    }
}

#[cfg(test)]
mod tests {
    use super::super::ops::Op;
    use super::super::values::{IrRef, SnapId};

    /// The key says "same" exactly when the printed operations are the same, for every
    /// opcode's example and pairs that differ in one field or one float's sign.
    #[test]
    fn keys_agree_with_the_printed_operation() {
        let mut ops = Op::examples();
        ops.extend([
            Op::ConstFloat { value: 0.0 },
            Op::ConstFloat { value: -0.0 },
            Op::ConstFloat { value: f64::NAN },
            Op::ConstFloat { value: -f64::NAN },
            Op::ConstFloat { value: 1.5 },
            Op::AddInt { a: IrRef(1), b: IrRef(2), snap: SnapId(3) },
            Op::AddInt { a: IrRef(2), b: IrRef(1), snap: SnapId(3) },
            Op::AddInt { a: IrRef(1), b: IrRef(2), snap: SnapId(4) },
            Op::SubInt { a: IrRef(1), b: IrRef(2), snap: SnapId(3) },
        ]);
        for a in &ops {
            for b in &ops {
                let printed_same = format!("{a:?}") == format!("{b:?}");
                assert_eq!(a.key() == b.key(), printed_same, "{a:?} against {b:?}");
            }
        }
    }
}
