//! The answer of the liveness analysis (`liveness.rs`): which registers of one code object may
//! still be read before each of its instructions, one bit per register.
//!
//! Kept apart from the analysis so that a code object can hold its own answer (computed once,
//! on first use: `CodeObject::liveness`) without the bytecode module importing the analysis,
//! which imports it. Imports nothing; touches nothing.

/// Live registers before each instruction of one code object: one bit per register.
#[derive(Debug, Default)]
pub struct Liveness {
    /// Words of bits per instruction (at least one).
    pub(crate) words_per_pc: usize,
    /// `words_per_pc` words for each instruction, in order.
    pub(crate) bits: Vec<u64>,
}

impl Liveness {
    /// May register `reg` be read, on some path, before it is written, from instruction `pc`
    /// on? (Out of range: yes.)
    pub fn is_live(&self, pc: usize, reg: u16) -> bool {
        let word = pc * self.words_per_pc + reg as usize / 64;
        match self.bits.get(word) {
            Some(bits) if (reg as usize / 64) < self.words_per_pc => bits & (1 << (reg % 64)) != 0,
            _ => true,
        }
    }
}
