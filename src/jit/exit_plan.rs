//! Exits that write their snapshot with one runtime call: the plan of what to write, and the
//! runtime function that carries it out.
//!
//! An exit writes each slot of its snapshot back into the frame. Numbers are two stores; but
//! a list, a tuple, a function, `None` over a heap value or a virtual tuple (allocation
//! removal) each take one or more runtime calls, and an exit of a tuple-heavy loop made 15 of
//! them. Each call site costs the register allocator dearly (every value live across it, every
//! caller-saved register clobbered): the exits were most of a trace's machine code, compile
//! time and compile memory (about 170 bytes of Cranelift working memory per byte of code).
//! So an exit that needs enough runtime calls stores the values it writes into a buffer on the
//! stack and makes one call, [`write_exit`], with an [`ExitPlan`] built at compile time: the
//! same writes, in the same order, done by the same runtime functions. (An exit leaving for the
//! VM makes that call from its trace's one restore block: `lower.rs`.)
//!
//! Touches: at compile time nothing (the plan is data, owned by the compiled trace); at run
//! time, the frame's and the globals' slots the plan names, through the runtime functions
//! of `runtime.rs` and `runtime_tuples.rs` (whose safety contracts it inherits).

use crate::interp::objects::value::{Value, tag};
use crate::jit::ir::{IrRef, SnapValue, Snapshot, Trace, Type};
use crate::jit::layout::{PAYLOAD_OFFSET, TAG_OFFSET};

/// Where a written slot lives: the frame (`slot_offset`) or the module's globals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlotPlace {
    pub global: bool,
    /// Bytes from the frame's (or the globals') start.
    pub offset: i32,
}

/// An item of a virtual tuple: a word of the value buffer with its `Value` tag, or a virtual
/// tuple built before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemSource {
    Word { value_tag: u8, index: u32 },
    Virtual(u32),
}

/// What one slot gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotWrite {
    /// Virtual tuple `n` of the plan.
    Virtual(u32),
    /// The list, tuple, str, dict, big int or function whose pointer is word `index` of the
    /// buffer.
    List(u32),
    Tuple(u32),
    Str(u32),
    Dict(u32),
    Big(u32),
    Object(u32),
    /// `None` (a heap value the slot held is dropped once no trace value reaches it).
    NoneValue,
    /// A number: its tag and the word `index` of the buffer as its payload.
    Number {
        value_tag: u8,
        index: u32,
    },
}

/// Everything one exit writes, in order: virtual tuples to build, then slot writes (the
/// virtual slots first, as the inline code did).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ExitPlan {
    pub virtuals: Vec<Vec<ItemSource>>,
    pub writes: Vec<(SlotPlace, SlotWrite)>,
    /// The IR values whose words the exit stores into the buffer, by buffer index.
    pub words: Vec<IrRef>,
}

/// How many runtime calls the inline code makes to write a slot holding `ty`: a list or
/// tuple is counted, then stored; a function is cloned in; `None` may drop a heap value.
fn inline_calls(ty: Type) -> usize {
    match ty {
        Type::Ptr | Type::Tuple | Type::Str | Type::Dict | Type::Big => 2,
        Type::Obj | Type::NoneType => 1,
        _ => 0,
    }
}

/// From how many inline runtime calls on an exit writes through one call instead. Fewer stay
/// inline: exits can be hot (an exit running on into its side trace, a recursive function's
/// entry trace leaving at its base case), and carrying out a plan costs about 130 instructions
/// more than the same writes inline (callgrind, bench/trees.toy: from 3 calls on, 12% more
/// instructions in all; bench/poly.toy, from 1 call on, 20%). From 8 calls on, the
/// difference is under the calls' own cost, and the code much smaller: a tuple loop's exits
/// of 15 calls each were most of its machine code and compile memory.
pub const MIN_CALLS_IN_PLACE: usize = 8;

/// The same for an exit leaving for the VM: its machine code then only stores the plan's words
/// and jumps to its trace's one restore block, which makes the call (`lower.rs`). Such an exit is
/// cold until a side trace is attached to it through the side-exit table (then its writes run
/// each time the side trace does). From 1 call on, compiles were 10-20% cheaper on the tuple,
/// string and sorting benchmarks, but bench/sorting.toy ran 1.1% and bench/trees.toy 0.6% more
/// instructions in all (a hot exit writing two strings, 4 calls); from 5 on, none ran more.
pub const MIN_CALLS_TO_VM: usize = 5;

impl ExitPlan {
    /// The plan for writing the slots of `snapshot` that `wanted` picks, if the exit needs a
    /// runtime call at all and every value is of a type the plan knows; `None` means "write it
    /// inline". `place` locates a slot.
    pub fn for_snapshot(
        trace: &Trace,
        snapshot: &Snapshot,
        wanted: impl Fn(u16) -> bool,
        place: impl Fn(u16) -> SlotPlace,
        min_calls: usize,
    ) -> Option<ExitPlan> {
        let slots: Vec<(u16, IrRef)> = snapshot.slots.iter().copied().filter(|&(slot, _)| wanted(slot)).collect();
        let virtual_slots: Vec<(u16, u32)> =
            snapshot.virtual_slots.iter().copied().filter(|&(slot, _)| wanted(slot)).collect();
        // Building the virtual tuples: one call per tuple and per item, then each is counted
        // and stored.
        let virtual_calls = if virtual_slots.is_empty() {
            0
        } else {
            snapshot.virtuals.iter().map(|t| 1 + t.items.len()).sum::<usize>() + 2 * virtual_slots.len()
        };
        let slot_calls: usize = slots.iter().map(|&(_, r)| inline_calls(trace.ty(r))).sum();
        if virtual_calls + slot_calls < min_calls {
            return None;
        }
        let mut plan = ExitPlan::default();
        // As the inline code did: all of the snapshot's virtual tuples are built as soon as
        // one virtual slot is written (a virtual may be an item of another).
        if !virtual_slots.is_empty() {
            for tuple in &snapshot.virtuals {
                let mut items = Vec::with_capacity(tuple.items.len());
                for item in &tuple.items {
                    items.push(match *item {
                        SnapValue::Value(r) => {
                            let ty = trace.ty(r);
                            let value_tag = ty.heap_tag().or(ty.value_tag())?;
                            ItemSource::Word { value_tag, index: plan.word(r) }
                        }
                        SnapValue::Virtual(inner) => ItemSource::Virtual(inner),
                    });
                }
                plan.virtuals.push(items);
            }
        }
        for &(slot, v) in &virtual_slots {
            plan.writes.push((place(slot), SlotWrite::Virtual(v)));
        }
        for &(slot, r) in &slots {
            let write = match trace.ty(r) {
                Type::Ptr => SlotWrite::List(plan.word(r)),
                Type::Tuple => SlotWrite::Tuple(plan.word(r)),
                Type::Str => SlotWrite::Str(plan.word(r)),
                Type::Dict => SlotWrite::Dict(plan.word(r)),
                Type::Big => SlotWrite::Big(plan.word(r)),
                Type::Obj => SlotWrite::Object(plan.word(r)),
                Type::NoneType => SlotWrite::NoneValue,
                ty @ (Type::Int | Type::Float | Type::Bool) => {
                    SlotWrite::Number { value_tag: ty.value_tag()?, index: plan.word(r) }
                }
                _ => return None,
            };
            plan.writes.push((place(slot), write));
        }
        Some(plan)
    }

    /// The buffer index of IR value `r`'s word (each value stored once).
    fn word(&mut self, r: IrRef) -> u32 {
        match self.words.iter().position(|&w| w == r) {
            Some(index) => index as u32,
            None => {
                self.words.push(r);
                (self.words.len() - 1) as u32
            }
        }
    }
}

/// The runtime function's symbol.
pub const WRITE_EXIT: &str = "toyjit_write_exit";

/// Carries out `plan` for an exit of the trace running on `frame` (with the module's
/// `globals`); `words` is the buffer the exit filled, one word per `plan.words` entry.
///
/// The order is the inline code's: build the virtual tuples (counting their items while every
/// slot still holds what keeps them alive), count a reference for every list and tuple about
/// to be stored, then store the slots (each store drops what the slot held).
pub extern "C" fn write_exit(frame: *mut u8, globals: *mut u8, plan: *const ExitPlan, words: *const u64) {
    use crate::jit::runtime_tuples as rtt;
    // SAFETY: `plan` is owned by the compiled trace whose code calls this (alive while its code
    // runs); `words` is that code's stack buffer of `plan.words.len()` words, just filled.
    let (plan, words) = unsafe { (&*plan, std::slice::from_raw_parts(words, (*plan).words.len())) };
    if plan.virtuals.is_empty() {
        // The usual exit, and the one that may be hot: no tuple to build.
        return write_slots(frame, globals, plan, words, &[]);
    }
    // The built tuples' addresses: on the stack for the usual few (exits can be hot).
    let mut few = [0usize; 8];
    let mut many = Vec::new();
    let built: &mut [usize] = if plan.virtuals.len() <= few.len() {
        &mut few[..plan.virtuals.len()]
    } else {
        many.resize(plan.virtuals.len(), 0);
        &mut many
    };
    for (n, items) in plan.virtuals.iter().enumerate() {
        let tuple = rtt::tuple_new(items.len() as i64);
        for (index, item) in items.iter().enumerate() {
            let (value_tag, payload) = match *item {
                ItemSource::Word { value_tag, index } => (value_tag, words[index as usize]),
                ItemSource::Virtual(inner) => (tag::TUPLE, built[inner as usize] as u64),
            };
            rtt::tuple_init(tuple, index as i64, u32::from(value_tag), payload);
        }
        built[n] = tuple;
    }
    write_slots(frame, globals, plan, words, built)
}

/// Counts a reference for every object `plan` stores, then stores its slots (`built`: the
/// virtual tuples' addresses).
#[inline(always)]
fn write_slots(frame: *mut u8, globals: *mut u8, plan: &ExitPlan, words: &[u64], built: &[usize]) {
    use crate::jit::runtime as rt;
    use crate::jit::runtime_bigints as rtb;
    use crate::jit::runtime_strings as rts;
    use crate::jit::runtime_tuples as rtt;
    for &(_, write) in &plan.writes {
        match write {
            SlotWrite::List(index) => rt::retain_list(words[index as usize] as usize),
            SlotWrite::Tuple(index) => rtt::retain_tuple(words[index as usize] as usize),
            SlotWrite::Str(index) => rts::retain_str(words[index as usize] as usize),
            SlotWrite::Dict(index) => rts::retain_dict(words[index as usize] as usize),
            SlotWrite::Big(index) => rtb::retain_big(words[index as usize] as usize),
            SlotWrite::Virtual(v) => rtt::retain_tuple(built[v as usize]),
            _ => {}
        }
    }
    for &(place, write) in &plan.writes {
        let base = if place.global { globals } else { frame };
        // SAFETY: the plan's places are slots of the frame the trace runs on or of its
        // module's globals (as the inline stores were), each a whole `Value`.
        let slot = unsafe { base.offset(place.offset as isize) };
        let value_slot = slot.cast::<Value>();
        match write {
            SlotWrite::Virtual(v) => rtt::set_tuple(value_slot, built[v as usize]),
            SlotWrite::List(index) => rt::set_list(value_slot, words[index as usize] as usize),
            SlotWrite::Tuple(index) => rtt::set_tuple(value_slot, words[index as usize] as usize),
            SlotWrite::Str(index) => rts::set_str(value_slot, words[index as usize] as usize),
            SlotWrite::Dict(index) => rts::set_dict(value_slot, words[index as usize] as usize),
            SlotWrite::Big(index) => rtb::set_big(value_slot, words[index as usize] as usize),
            SlotWrite::Object(index) => rt::set_value(value_slot, words[index as usize] as *const Value),
            SlotWrite::NoneValue => {
                // SAFETY (both): `slot` is a whole `Value`; a tag above FLOAT is a heap value,
                // which `clear_slot` takes out (leaving None); storing the tag alone then
                // makes `None` of any number (a None's payload is never read).
                unsafe {
                    if *slot.add(TAG_OFFSET as usize) > tag::FLOAT {
                        rt::clear_slot(value_slot);
                    }
                    *slot.add(TAG_OFFSET as usize) = tag::NONE;
                }
            }
            SlotWrite::Number { value_tag, index } => {
                // SAFETY: as above; a number's `Value` is its tag byte and payload word, and
                // the slot holds no heap value here (the trace cleared it, as for the inline
                // stores this replaces).
                unsafe {
                    *slot.add(TAG_OFFSET as usize) = value_tag;
                    slot.add(PAYLOAD_OFFSET as usize).cast::<u64>().write_unaligned(words[index as usize]);
                }
            }
        }
    }
}

/// Bytes of the value buffer the largest plan of `trace`'s snapshots needs (an upper bound:
/// every slot and every virtual item a word).
pub fn buffer_bytes(trace: &Trace) -> u32 {
    let words = |s: &Snapshot| s.slots.len() + s.virtuals.iter().map(|t| t.items.len()).sum::<usize>();
    trace.snapshots.iter().map(words).max().unwrap_or(0) as u32 * 8
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jit::ir::text::parse_trace;

    /// A str, a dict, a big int and an int, read from the frame; snap1 writes all four back
    /// (the str twice), snap2 only the int.
    const TRACE: &str = "\
      GuardTag r0 is str  snap0
str   %1 = SlotStr r0
      GuardTag r1 is dict  snap0
dict  %3 = SlotDict r1
      GuardTag r2 is int  snap0
int   %5 = SlotInt r2
  snap0 @pc 0:
  snap1 @pc 1: r4=%1 r5=%3 r6=%5 r7=%1
  snap2 @pc 2: r6=%5
";

    fn place(slot: u16) -> SlotPlace {
        SlotPlace { global: false, offset: i32::from(slot) * 16 }
    }

    #[test]
    fn a_plan_writes_strs_and_dicts_counting_each_once_per_slot() {
        let trace = parse_trace(TRACE).expect("parses");
        let plan = ExitPlan::for_snapshot(&trace, &trace.snapshots[1], |_| true, place, MIN_CALLS_TO_VM)
            .expect("three heap slots are six inline calls");
        // One word per value, however many slots get it.
        assert_eq!(plan.words, vec![IrRef(1), IrRef(3), IrRef(5)]);
        assert_eq!(
            plan.writes,
            vec![
                (place(4), SlotWrite::Str(0)),
                (place(5), SlotWrite::Dict(1)),
                (place(6), SlotWrite::Number { value_tag: tag::INT, index: 2 }),
                (place(7), SlotWrite::Str(0)),
            ]
        );
        // Over the threshold for exits running on into a side trace: inline.
        assert_eq!(ExitPlan::for_snapshot(&trace, &trace.snapshots[1], |_| true, place, MIN_CALLS_IN_PLACE), None);
        // Numbers only: no runtime call, so no plan.
        assert_eq!(ExitPlan::for_snapshot(&trace, &trace.snapshots[2], |_| true, place, 1), None);
    }
}
