//! Which registers of a code object may still be read, before each instruction.
//!
//! A register is *live* before instruction `pc` if some path from `pc` reads it before writing
//! it. The JIT asks this of every exit: a slot that is dead where the interpreter resumes need
//! not be written back (its stale value is overwritten before anyone reads it), which keeps
//! exits short and keeps them from storing functions and builtins a finished call left in its
//! temporaries.
//!
//! Classic backward dataflow over the bytecode, to a fixed point. It errs on the side of
//! "live": every register an instruction names counts as read (see [`register_ranges`]) except
//! the ones it certainly writes and does not read (a `dst`, `Unpack`'s targets, `GetIter`'s
//! loop state), a write kills liveness only on the normal path (an instruction that raises has
//! not written its `dst`, so everything live at the handler stays live), every instruction
//! with a jump target may also fall through, and every instruction inside a `try` may go to
//! each handler whose range covers it. Touches nothing: it reads the code object.

use crate::interp::engine::bytecode::{CodeObject, Instr, register_ranges};
pub use crate::interp::engine::live_bits::Liveness;

impl Liveness {
    /// `code`'s liveness, computed on the first call and kept in the code object (a code object
    /// never changes once built, and the JIT asks again at every recording that exits in it).
    pub fn cached(code: &CodeObject) -> &Liveness {
        code.liveness.get_or_init(|| Liveness::of(code))
    }

    /// Computes the liveness of every register of `code` before every instruction.
    pub fn of(code: &CodeObject) -> Liveness {
        let n = code.instrs.len();
        let words_per_pc = (code.nslots as usize).div_ceil(64).max(1);
        let effects: Vec<Effect> = code.instrs.iter().map(|i| Effect::of(i, code, words_per_pc)).collect();
        let successors: Vec<Vec<usize>> = (0..n).map(|pc| successors(code, pc)).collect();
        let handlers: Vec<Vec<usize>> = (0..n)
            .map(|pc| {
                let pc32 = pc as u32;
                code.handlers
                    .iter()
                    .filter(|h| h.start <= pc32 && pc32 < h.end && (h.target as usize) < n)
                    .map(|h| h.target as usize)
                    .collect()
            })
            .collect();
        let mut live = Liveness { words_per_pc, bits: vec![0; n * words_per_pc] };
        let mut scratch = vec![0u64; words_per_pc];
        let mut changed = true;
        while changed {
            changed = false;
            for pc in (0..n).rev() {
                // live_in = reads | (live_out(normal successors) - kills) | live_in(handlers)
                scratch.fill(0);
                for &next in &successors[pc] {
                    for (w, word) in scratch.iter_mut().enumerate() {
                        *word |= live.bits[next * words_per_pc + w];
                    }
                }
                let effect = &effects[pc];
                for (w, word) in scratch.iter_mut().enumerate() {
                    *word = (*word & !effect.kills[w]) | effect.reads[w];
                }
                for &target in &handlers[pc] {
                    for (w, word) in scratch.iter_mut().enumerate() {
                        *word |= live.bits[target * words_per_pc + w];
                    }
                }
                let here = &mut live.bits[pc * words_per_pc..(pc + 1) * words_per_pc];
                if here != scratch.as_slice() {
                    here.copy_from_slice(&scratch);
                    changed = true;
                }
            }
        }
        live
    }
}

/// The registers one instruction reads and certainly writes, as bit sets.
struct Effect {
    reads: Vec<u64>,
    kills: Vec<u64>,
}

impl Effect {
    fn of(instr: &Instr, code: &CodeObject, words: usize) -> Effect {
        let mut reads = vec![0u64; words];
        let mut kills = vec![0u64; words];
        // The operand the instruction certainly writes (on its normal path), and the registers.
        let (writer, written): (&str, Option<(u16, u16)>) = match *instr {
            Instr::Unpack { dst, count, .. } => ("dst", Some((dst.0, count.0))),
            Instr::GetIter { iter, .. } => ("iter", Some((iter.0, 3))),
            _ => ("dst", instr.operands().iter().find(|(name, _)| *name == "dst").and_then(|(_, op)| op.registers())),
        };
        let set = |bits: &mut [u64], (start, count): (u16, u16)| {
            for reg in start as usize..start as usize + count as usize {
                if let Some(word) = bits.get_mut(reg / 64) {
                    *word |= 1 << (reg % 64);
                }
            }
        };
        // Two moves in one: both destinations are written; a source is read unless it is the
        // first destination, which the second move reads after it was written.
        let moves = match *instr {
            Instr::Move2 { dst, src, dst2, src2 } => Some((dst, Some(src), dst2, src2)),
            Instr::LoadGlobalMove { dst, dst2, src, .. } => Some((dst, None, dst2, src)),
            _ => None,
        };
        if let Some((dst, first_src, dst2, src2)) = moves {
            if let Some(src) = first_src {
                set(&mut reads, (src.0, 1));
            }
            if src2 != dst {
                set(&mut reads, (src2.0, 1));
            }
            set(&mut kills, (dst.0, 1));
            set(&mut kills, (dst2.0, 1));
            return Effect { reads, kills };
        }
        let mut ranges = register_ranges(instr);
        if let Instr::CallKw { site, .. } = *instr
            && let Some(site) = code.call_sites.get(site.0 as usize)
        {
            ranges.push((site.args.0, site.argc.saturating_add(site.kwnames.len() as u16)));
        }
        for range in ranges {
            // Registers only written are not read; every other operand named inside the
            // written registers is read below.
            if !written.is_some_and(|w| contains(w, range)) {
                set(&mut reads, range);
            }
        }
        if let Some(range) = written {
            set(&mut kills, range);
            // Another operand naming a written register reads it first (`x = x + 1`).
            for (name, op) in instr.operands() {
                if name != writer
                    && let Some(other) = op.registers()
                    && overlaps(other, range)
                {
                    set(&mut reads, other);
                }
            }
        }
        Effect { reads, kills }
    }
}

/// Does register range `outer` contain all of `inner`?
fn contains((a, n): (u16, u16), (b, m): (u16, u16)) -> bool {
    a as u32 <= b as u32 && b as u32 + m as u32 <= a as u32 + n as u32
}

fn overlaps((a, n): (u16, u16), (b, m): (u16, u16)) -> bool {
    (a as u32) < b as u32 + m as u32 && (b as u32) < a as u32 + n as u32
}

/// Where control may go after instruction `pc` without an exception: its jump target (if it
/// has one) and the next instruction (unless it always jumps, returns or raises).
fn successors(code: &CodeObject, pc: usize) -> Vec<usize> {
    let instr = &code.instrs[pc];
    let mut next: Vec<usize> =
        instr.operands().iter().filter_map(|(_, op)| op.label()).map(|target| target as usize).collect();
    let ends = matches!(instr, Instr::Jump { .. } | Instr::Return { .. } | Instr::Raise { .. } | Instr::Reraise { .. });
    if !ends && pc + 1 < code.instrs.len() {
        next.push(pc + 1);
    }
    next.retain(|&t| t < code.instrs.len());
    next
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_of(source: &str, function: &str) -> std::rc::Rc<CodeObject> {
        use crate::interp::engine::compiler::{CompileOptions, GlobalTable, compile_module};
        let module = crate::parser::parse(source).expect("parses");
        let mut globals = GlobalTable::default();
        let code = compile_module(&module, source, &mut globals, CompileOptions::default()).expect("compiles");
        find(&code, function).unwrap_or_else(|| panic!("no function {function}"))
    }

    fn find(code: &std::rc::Rc<CodeObject>, name: &str) -> Option<std::rc::Rc<CodeObject>> {
        if code.name == name {
            return Some(code.clone());
        }
        code.consts.iter().find_map(|c| match c {
            crate::interp::objects::value::Value::Function(f) => find(&f.code, name),
            _ => None,
        })
    }

    fn slot(code: &CodeObject, name: &str) -> u16 {
        code.slot_names.iter().position(|n| n == name).unwrap_or_else(|| panic!("no local {name}")) as u16
    }

    #[test]
    fn a_variable_is_live_until_its_last_read_and_dead_before_it_is_assigned() {
        let code = code_of("def f(a):\n    b = a + 1\n    c = b * 2\n    a = 5\n    return a + c\n", "f");
        let live = Liveness::of(&code);
        let (a, b, c) = (slot(&code, "a"), slot(&code, "b"), slot(&code, "c"));
        assert!(live.is_live(0, a), "a is read first");
        assert!(!live.is_live(0, b) && !live.is_live(0, c), "b and c are assigned before they are read");
        let store_a = code.instrs.iter().position(|i| matches!(i, Instr::LoadConst { dst, .. } if dst.0 == a));
        let store_a = store_a.expect("a = 5 loads into a");
        assert!(!live.is_live(store_a, a), "a is dead where it is reassigned");
        assert!(live.is_live(store_a, c), "c is read at the return");
    }

    #[test]
    fn loop_variables_and_for_loop_state_are_live_at_the_loop_header() {
        let code = code_of(
            "def f(n):\n    t = 0\n    for i in range(n):\n        x = i * 2\n        t = t + x\n    return t\n",
            "f",
        );
        let live = Liveness::of(&code);
        let header = code.instrs.iter().position(|i| matches!(i, Instr::ForIter { .. })).expect("a for loop");
        let Instr::ForIter { iter, .. } = code.instrs[header] else { unreachable!() };
        assert!(live.is_live(header, slot(&code, "t")), "t is carried");
        for state in iter.0..iter.0 + 3 {
            assert!(live.is_live(header, state), "the range's state r{state} is read by ForIter");
        }
        assert!(!live.is_live(header, slot(&code, "x")), "x is assigned in each iteration before its use");
    }

    #[test]
    fn a_handler_keeps_alive_what_it_reads() {
        let code = code_of(
            "def f(a, b):\n    r = -1\n    try:\n        r = a // b\n    except ZeroDivisionError:\n        return r\n    return r\n",
            "f",
        );
        let live = Liveness::of(&code);
        let r = slot(&code, "r");
        let division = code.instrs.iter().position(|i| matches!(i, Instr::FloorDiv { .. })).expect("a division");
        assert!(live.is_live(division, r), "the handler reads r if the division raises");
    }

    #[test]
    fn fused_moves_write_both_destinations() {
        // `g(b, a)` copies both arguments with one Move2 and `h(a)` loads h and copies a with
        // one LoadGlobalMove: the destinations are dead before them, the sources live.
        let code = code_of("def h(x):\n    return x\ndef f(a, b, g):\n    return g(b, a) + h(a)\n", "f");
        let live = Liveness::of(&code);
        let (a, b) = (slot(&code, "a"), slot(&code, "b"));
        let pair = code.instrs.iter().position(|i| matches!(i, Instr::Move2 { .. })).expect("a Move2");
        let Instr::Move2 { dst, dst2, .. } = code.instrs[pair] else { unreachable!() };
        assert!(live.is_live(pair, a) && live.is_live(pair, b), "the sources are read");
        assert!(!live.is_live(pair, dst.0) && !live.is_live(pair, dst2.0), "both destinations are written");
        let load =
            code.instrs.iter().position(|i| matches!(i, Instr::LoadGlobalMove { .. })).expect("a LoadGlobalMove");
        let Instr::LoadGlobalMove { dst, dst2, .. } = code.instrs[load] else { unreachable!() };
        assert!(live.is_live(load, a), "the moved argument is read");
        assert!(!live.is_live(load, dst.0) && !live.is_live(load, dst2.0), "both destinations are written");
    }

    #[test]
    fn keyword_call_arguments_are_read() {
        let code = code_of("def g(x, y=0):\n    return x + y\ndef f(a):\n    return g(a, y=a + 1)\n", "f");
        let live = Liveness::of(&code);
        let call = code.instrs.iter().position(|i| matches!(i, Instr::CallKw { .. })).expect("a keyword call");
        let Instr::CallKw { site, .. } = code.instrs[call] else { unreachable!() };
        let site = &code.call_sites[site.0 as usize];
        for reg in site.args.0..site.args.0 + site.argc + site.kwnames.len() as u16 {
            assert!(live.is_live(call, reg), "argument r{reg} is read by the call");
        }
    }
}
