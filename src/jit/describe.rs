//! Plain words for trace IR, for the readable dump and the explorer: the source line of each
//! instruction, each value as the Python expression it holds (`zr2 + zi2 > 4.0`), what each
//! guard checks, and names for the registers a `for` loop keeps its state in.
//!
//! Pure: reads a trace and the bytecode it was recorded from (each instruction's origin, see
//! [`super::ir::Origins`]), returns strings.

use super::ir::{IrRef, NO_ORIGIN, Op, Trace, tag_name};
use super::recorder::RecordedInstr;

/// How deep an expression is spelled out before it is shown as its `%N`.
const MAX_EXPRESSION_DEPTH: usize = 6;

/// Words for one trace's instructions.
pub struct Describer<'a> {
    trace: &'a Trace,
    recorded: &'a [RecordedInstr],
    /// Per instruction: the variable the bytecode assigned its value to, if any.
    assigned: Vec<Option<String>>,
    /// Temporaries the trace reads at its start, with the expression they hold (a side trace's
    /// parent wrote them at its exit).
    entry_values: &'a [(u16, String)],
}

/// The variable named by `key=rN(name)` in a recorded instruction's text (`dst=r11(zr2)`), if
/// it is a variable (hoisted literals are named `=1.0`).
fn operand_name<'t>(text: &'t str, key: &str) -> Option<(&'t str, &'t str)> {
    let start = text.find(&format!(" {key}=r"))? + key.len() + 2;
    let rest = &text[start..];
    let end = rest.find(' ').unwrap_or(rest.len());
    let operand = &rest[..end];
    let open = operand.find('(')?;
    let name = operand[open + 1..].strip_suffix(')')?;
    (!name.starts_with('=') && !name.is_empty()).then_some((&operand[1..open], name))
}

impl<'a> Describer<'a> {
    pub fn new(trace: &'a Trace, recorded: &'a [RecordedInstr], entry_values: &'a [(u16, String)]) -> Describer<'a> {
        let mut assigned = vec![None; trace.insts.len()];
        // The last value an instruction that assigns a variable emits is the variable's value;
        // body copies share their original's origin, so the last in each part.
        let mut by_origin: std::collections::HashMap<u32, Vec<usize>> = std::collections::HashMap::new();
        for (i, inst) in trace.insts.iter().enumerate() {
            let origin = trace.origin(IrRef(i as u32));
            if origin != NO_ORIGIN && inst.ty != super::ir::Type::Void && !is_constant(&inst.op) {
                by_origin.entry(origin).or_default().push(i);
            }
        }
        let loop_at = trace.loop_start().unwrap_or(usize::MAX);
        for (origin, values) in by_origin {
            let Some(name) = recorded.get(origin as usize).and_then(|r| operand_name(&r.text, "dst")) else {
                continue;
            };
            // One in the preamble, one in the body: the last of each part.
            let last_before = values.iter().rev().find(|&&i| i < loop_at);
            let last_after = values.iter().rev().find(|&&i| i > loop_at);
            for &i in last_before.into_iter().chain(last_after) {
                assigned[i] = Some(name.1.to_string());
            }
        }
        // A `Move` into a variable emits nothing: its name goes to the value the moved
        // register got last (`i = i + 1` computes into a temporary, then moves).
        for (k, instr) in recorded.iter().enumerate() {
            let (Some((_, name)), Some(src)) = (operand_name(&instr.text, "dst"), register_of(&instr.text, "src"))
            else {
                continue;
            };
            if !instr.text.starts_with("Move ") {
                continue;
            }
            let writer =
                recorded[..k].iter().rposition(|r| r.depth == instr.depth && register_of(&r.text, "dst") == Some(src));
            let Some(writer) = writer else { continue };
            let values: Vec<usize> = (0..trace.insts.len())
                .filter(|&i| {
                    trace.origin(IrRef(i as u32)) == writer as u32 && trace.insts[i].ty != super::ir::Type::Void
                })
                .collect();
            let last_before = values.iter().rev().find(|&&i| i < loop_at);
            let last_after = values.iter().rev().find(|&&i| i > loop_at);
            for &i in last_before.into_iter().chain(last_after) {
                if assigned[i].is_none() {
                    assigned[i] = Some(name.to_string());
                }
            }
        }
        Describer { trace, recorded, assigned, entry_values }
    }

    /// The source line instruction `r` came from (0: none, e.g. `Loop` and `Phi`).
    pub fn line(&self, r: IrRef) -> u32 {
        let origin = self.trace.origin(r);
        self.recorded.get(origin as usize).map_or(0, |instr| instr.line)
    }

    /// A name without its register: `zr` for `r8(zr)`, `g0(n)` stays `n`.
    fn slot_name(&self, slot: u16) -> String {
        let label = self.trace.slot_label(slot);
        match (label.find('('), label.ends_with(')')) {
            (Some(open), true) => label[open + 1..label.len() - 1].to_string(),
            _ => label,
        }
    }

    /// Value `r` as a Python expression: a variable's name, a literal, or the operation on its
    /// operands' expressions (`zr * zr`), parenthesized as Python needs.
    pub fn expression(&self, r: IrRef) -> String {
        self.expression_at(r, 0).0
    }

    /// An operand's expression, in parentheses if it binds less tightly than `precedence`
    /// (or as tightly, on the right of a non-associative operator).
    fn operand(&self, r: IrRef, depth: usize, precedence: u8, right: bool) -> String {
        let (text, own) = self.expression_at(r, depth + 1);
        if own < precedence || (right && own == precedence) { format!("({text})") } else { text }
    }

    /// The expression of `r` and its precedence (Python's: comparisons 1 ... `**` 9, atoms 10).
    /// A Phi's name: its slot's, or `pair[1]` for an item of a tuple allocation removal split
    /// into one Phi per item.
    fn phi_name(&self, r: IrRef, slot: u16) -> String {
        let same_slot = |i: &super::ir::Inst| matches!(i.op, Op::Phi { slot: s, .. } if s == slot);
        let items = self.trace.insts.iter().filter(|i| same_slot(i)).count();
        if items < 2 {
            return self.slot_name(slot);
        }
        let item = self.trace.insts[..r.0 as usize].iter().filter(|i| same_slot(i)).count();
        format!("{}[{item}]", self.slot_name(slot))
    }

    fn expression_at(&self, r: IrRef, depth: usize) -> (String, u8) {
        const ATOM: u8 = 10;
        let inst = &self.trace.insts[r.0 as usize];
        if depth > 0
            && let Some(name) = &self.assigned[r.0 as usize]
        {
            return (name.clone(), ATOM);
        }
        if depth >= MAX_EXPRESSION_DEPTH {
            return (r.to_string(), ATOM);
        }
        let binary = |a: IrRef, symbol: &str, b: IrRef, precedence: u8| {
            let text = format!(
                "{} {symbol} {}",
                self.operand(a, depth, precedence, false),
                self.operand(b, depth, precedence, true)
            );
            (text, precedence)
        };
        let call = |name: &str, a: IrRef| (format!("{name}({})", self.expression_at(a, depth + 1).0), ATOM);
        match inst.op {
            Op::ConstInt { value } => (value.to_string(), ATOM),
            Op::ConstFloat { value } => (format!("{value:?}"), ATOM),
            Op::ConstBool { value } => (if value { "True" } else { "False" }.into(), ATOM),
            // A trace reads a slot from memory only before writing it: at entry.
            Op::SlotInt { slot }
            | Op::SlotFloat { slot }
            | Op::SlotBool { slot }
            | Op::SlotPtr { slot }
            | Op::SlotTuple { slot }
            | Op::SlotStr { slot }
            | Op::SlotDict { slot }
            | Op::SlotBig { slot } => match self.entry_values.iter().find(|(s, _)| *s == slot) {
                Some((_, expression)) => (expression.clone(), 1),
                None => (self.slot_name(slot), ATOM),
            },
            Op::Phi { slot, .. } => (self.phi_name(r, slot), ATOM),
            Op::TupleLen { tuple } => call("len", tuple),
            Op::TupleLoad { tuple, index, .. } => (
                format!("{}[{}]", self.operand(tuple, depth, ATOM, false), self.expression_at(index, depth + 1).0),
                ATOM,
            ),
            Op::NewTuple { len } => (format!("a new tuple of {len}"), ATOM),
            Op::AddInt { a, b, .. } | Op::AddIntUnchecked { a, b } | Op::AddFloat { a, b } => binary(a, "+", b, 6),
            Op::SubInt { a, b, .. } | Op::SubIntUnchecked { a, b } | Op::SubFloat { a, b } => binary(a, "-", b, 6),
            Op::MulInt { a, b, .. } | Op::MulFloat { a, b } => binary(a, "*", b, 7),
            Op::DivFloat { a, b, .. } => binary(a, "/", b, 7),
            Op::FloorDivInt { a, b, .. } | Op::FloorDivFloat { a, b, .. } => binary(a, "//", b, 7),
            Op::ModInt { a, b, .. } | Op::ModFloat { a, b, .. } => binary(a, "%", b, 7),
            // `**` groups to the right.
            Op::PowInt { a, b, .. } | Op::PowFloat { a, b, .. } => {
                (format!("{} ** {}", self.operand(a, depth, 10, false), self.operand(b, depth, 9, false)), 9)
            }
            Op::ShlInt { a, b, .. } => binary(a, "<<", b, 5),
            Op::ShrInt { a, b, .. } => binary(a, ">>", b, 5),
            Op::AndInt { a, b } => binary(a, "&", b, 4),
            Op::XorInt { a, b } => binary(a, "^", b, 3),
            Op::OrInt { a, b } => binary(a, "|", b, 2),
            Op::CmpInt { cond, a, b } | Op::CmpFloat { cond, a, b } => binary(a, cond.symbol(), b, 1),
            Op::NegInt { a, .. } | Op::NegFloat { a } => (format!("-{}", self.operand(a, depth, 8, false)), 8),
            Op::AbsFloat { a } => call("abs", a),
            Op::IntToFloat { a } => call("float", a),
            Op::FloatToInt { a, .. } | Op::BoolToInt { a } => call("int", a),
            Op::ListLen { list } => call("len", list),
            Op::ListIndex { index, .. } | Op::ListIndexInRange { index, .. } => self.expression_at(index, depth),
            Op::ListLoad { list, index, .. } => (
                format!("{}[{}]", self.operand(list, depth, ATOM, false), self.expression_at(index, depth + 1).0),
                ATOM,
            ),
            Op::Select { cond, a, b } => (
                format!(
                    "{} if {} else {}",
                    self.operand(a, depth, 1, false),
                    self.operand(cond, depth, 1, false),
                    self.operand(b, depth, 1, false)
                ),
                0,
            ),
            Op::StrLen { s } => call("len", s),
            Op::StrChrLatin1 { code } => call("chr", code),
            Op::StrByteAt { s, offset, .. } => (
                format!("{}.byte[{}]", self.operand(s, depth, ATOM, false), self.expression_at(offset, depth + 1).0),
                ATOM,
            ),
            Op::ConstObj { index } | Op::ConstStr { index } => {
                (self.trace.objects.get(index as usize).map_or("?".into(), |o| o.to_string()), ATOM)
            }
            _ => (r.to_string(), ATOM),
        }
    }

    /// The expression of an operand standing alone (no parentheses).
    fn plain(&self, r: IrRef) -> String {
        self.expression_at(r, 1).0
    }

    /// `i = i + 1` when the value is assigned to a variable, else its expression.
    fn assignment(&self, r: IrRef) -> String {
        match &self.assigned[r.0 as usize] {
            Some(name) => format!("{name} = {}", self.expression(r)),
            None => self.expression(r),
        }
    }

    /// What instruction `r` checks or does, in words, if it can exit or is worth a comment:
    /// `exits unless zr2 + zi2 > 4.0 is False`.
    pub fn words(&self, r: IrRef) -> Option<String> {
        let inst = &self.trace.insts[r.0 as usize];
        let text = match inst.op {
            Op::GuardTag { slot, tag, .. } => {
                format!("exits unless {} holds {}", self.slot_name(slot), article(tag_name(tag)))
            }
            Op::GuardObj { slot, index, .. } => {
                let object = self.trace.objects.get(index as usize).map_or("?".into(), |o| o.to_string());
                format!("exits unless {} is {object}", self.slot_name(slot))
            }
            Op::Guard { cond, expect, .. } => {
                format!("exits {} {}", if expect { "unless" } else { "if" }, self.expression(cond))
            }
            Op::AddInt { .. } | Op::SubInt { .. } | Op::MulInt { .. } | Op::NegInt { .. } => {
                format!("{}; exits if it overflows 64 bits", self.assignment(r))
            }
            Op::FloorDivInt { b, .. }
            | Op::ModInt { b, .. }
            | Op::DivFloat { b, .. }
            | Op::ModFloat { b, .. }
            | Op::FloorDivFloat { b, .. } => {
                format!("{}; exits if {} is zero", self.assignment(r), self.plain(b))
            }
            Op::ListIndex { list, index, .. } => {
                format!("exits unless {} is a valid index of {}", self.plain(index), self.plain(list))
            }
            Op::ListIndexInRange { list, index, .. } => {
                let index = self.plain(index);
                format!("exits unless 0 <= {index} < len({})", self.plain(list))
            }
            Op::ListLoad { ty, .. } | Op::TupleLoad { ty, .. } => {
                let noun = if ty == super::ir::Type::Ptr { "list" } else { ty.name() };
                format!("{}; exits unless it is {}", self.assignment(r), article(noun))
            }
            Op::TupleIndex { tuple, index, .. } => {
                format!("exits unless {} is a valid index of {}", self.plain(index), self.plain(tuple))
            }
            Op::TupleInit { tuple, index, value } => {
                format!("item {index} of {} is {}", self.plain(tuple), self.plain(value))
            }
            Op::ListStoreAny { list, index, value } => {
                format!("{}[{}] = {}", self.plain(list), self.plain(index), self.plain(value))
            }
            Op::FloatToInt { .. } => format!("{}; exits unless the float fits an int", self.assignment(r)),
            Op::GuardStrAscii { s, .. } => format!("exits unless {} is ASCII", self.plain(s)),
            Op::StrByteAt { offset, .. } => {
                format!("{}; exits unless 0 <= {} < its byte length", self.assignment(r), self.plain(offset))
            }
            Op::GuardExactFloat { a, .. } => {
                format!("exits unless float({}) is exact", self.plain(a))
            }
            Op::SlotInt { slot }
            | Op::SlotFloat { slot }
            | Op::SlotBool { slot }
            | Op::SlotPtr { slot }
            | Op::SlotTuple { slot }
            | Op::SlotStr { slot }
            | Op::SlotDict { slot }
            | Op::SlotBig { slot }
                if self.entry_values.iter().any(|(s, _)| *s == slot) =>
            {
                format!("{} holds {}, as the exit left it", self.trace.slot_label(slot), self.expression(r))
            }
            Op::CheckInterrupt { .. } => "exits if Ctrl-C was pressed".into(),
            Op::ComprehensionEnter { .. } => {
                "a comprehension starts: one frame fewer before the recursion limit; exits if none is left".into()
            }
            Op::ComprehensionLeave => "the comprehension ends: its frame is given back".into(),
            Op::Link { trace, .. } => format!("exits to go on in T{trace} (a link)"),
            Op::Leave { .. } => "returns to the interpreter, which goes on where the exit resumes".into(),
            Op::Phi { .. } => format!("{} when an iteration starts", self.expression(r)),
            Op::ListStore { list, index, value, .. } => {
                format!("{}[{}] = {}", self.plain(list), self.plain(index), self.plain(value))
            }
            Op::ListAppend { list, value, .. } => format!("{}.append({})", self.plain(list), self.plain(value)),
            Op::ListPop { list, .. } => format!("{}.pop(); exits if it is empty", self.plain(list)),
            Op::ListExtend { list, value, .. } => format!("{}.extend({})", self.plain(list), self.plain(value)),
            Op::ListReverse { list, .. } => format!("{}.reverse()", self.plain(list)),
            Op::ListInsert { list, index, value, .. } => {
                format!("{}.insert({}, {})", self.plain(list), self.plain(index), self.plain(value))
            }
            Op::CallInterp { callee, ty, .. } => {
                let object = self.trace.objects.get(callee as usize).map_or("?".into(), |o| o.to_string());
                let name = object.trim_start_matches("<function ").trim_end_matches('>').to_string();
                let exits = if ty == crate::jit::ir::Type::Void {
                    "exits if it raises (the result, of any type, stays in its register)"
                } else {
                    "exits if it raises or returns another type"
                };
                format!("calls {name} in the interpreter (its loops run their traces); {exits}")
            }
            _ => match &self.assigned[r.0 as usize] {
                Some(_) => self.assignment(r),
                None => return None,
            },
        };
        Some(text)
    }
}

fn is_constant(op: &Op) -> bool {
    matches!(
        op,
        Op::ConstInt { .. } | Op::ConstFloat { .. } | Op::ConstBool { .. } | Op::ConstObj { .. } | Op::ConstStr { .. }
    )
}

/// `a float`, `an int`.
fn article(noun: &str) -> String {
    if noun.starts_with(['a', 'e', 'i', 'o', 'u']) { format!("an {noun}") } else { format!("a {noun}") }
}

/// Names for the registers of `for` loops the trace runs (`range(x).next`, `iter(x).index`),
/// which the compiler leaves unnamed: added to `trace.slot_names` where it has none.
pub fn name_loop_state(trace: &mut Trace, recorded: &[RecordedInstr]) {
    for instr in recorded.iter().filter(|i| i.depth == 0 && i.text.starts_with("ForIter")) {
        let (Some(iter), Some((_, target))) = (register_of(&instr.text, "iter"), operand_name(&instr.text, "target"))
        else {
            continue;
        };
        let is_list = trace.insts.iter().any(|i| matches!(i.op, Op::SlotPtr { slot } if slot == iter));
        let is_dict = trace.insts.iter().any(|i| matches!(i.op, Op::SlotIter { slot } if slot == iter));
        let (names, kind): (&[&str], _) = match (is_list, is_dict) {
            (true, _) => (&["list", "index"], "iter"),
            (_, true) => (&["iterator"], "dict"),
            _ => (&["next", "stop", "step"], "range"),
        };
        for (k, part) in names.iter().enumerate() {
            let slot = iter as usize + k;
            if trace.slot_names.len() <= slot {
                trace.slot_names.resize(slot + 1, String::new());
            }
            if trace.slot_names[slot].is_empty() {
                trace.slot_names[slot] = format!("{kind}({target}).{part}");
            }
        }
    }
}

/// The register number of `key=rN` in a recorded instruction's text.
fn register_of(text: &str, key: &str) -> Option<u16> {
    let start = text.find(&format!(" {key}=r"))? + key.len() + 3;
    let digits: String = text[start..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operand_names_skip_literals_and_temporaries() {
        let text = "Mul            dst=r11(zr2) a=r8(zr) b=r13(=2.0)";
        assert_eq!(operand_name(text, "dst"), Some(("11", "zr2")));
        assert_eq!(operand_name(text, "b"), None);
        assert_eq!(operand_name("Add            dst=r28 a=r11(zr2)", "dst"), None);
        assert_eq!(register_of("ForIter        iter=r25 target=r6(x)", "iter"), Some(25));
    }
}
