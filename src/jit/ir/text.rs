//! The trace IR's text form, both ways: [`print_trace`] (what the dump shows, without line
//! numbers) and [`parse_trace`], which reads back everything the printer prints — every opcode,
//! slot and global names, `ConstObj` objects, snapshots with their inlined calls and unbound
//! slots — so an optimizer or lowering test is a string in and a string out.
//!
//! The parser knows no opcode by itself: it splits a line into type column, `%N =`, name and
//! arguments, matches the arguments against the opcode's text form from the table
//! ([`super::ops`]) and lets each field's kind parse its text ([`super::kinds::Kind::parse`]).
//! What only has a name in the text (a function, an inlined call) becomes a stand-in with that
//! name: enough for the optimizer and the printer, not for running the calls.
//!
//! Touches nothing: text in, trace out.

use std::collections::BTreeMap;
use std::rc::Rc;

use super::kinds::Names;
use super::ops::{Piece, pieces};
use super::{GLOBAL_SLOTS, InlinedCall, IrRef, Op, Snapshot, Trace, TraceObject, Type};
use crate::interp::engine::bytecode::CodeObject;
use crate::interp::objects::builtins::BuiltinId;
use crate::interp::objects::value::FunctionObj;

/// The trace as text: one instruction per line, then the snapshots.
pub fn print_trace(trace: &Trace) -> String {
    let mut out = String::new();
    for i in 0..trace.insts.len() {
        out.push_str(&trace.format_inst(IrRef(i as u32)));
        out.push('\n');
    }
    for s in 0..trace.snapshots.len() {
        out.push_str("  ");
        out.push_str(trace.format_snapshot(s).trim_end());
        out.push('\n');
    }
    out
}

/// What the parser learns beside the instructions: names of slots and globals, objects,
/// inlined calls.
#[derive(Default)]
pub struct ParseContext {
    slot_names: Vec<String>,
    global_names: BTreeMap<u16, String>,
    objects: Vec<TraceObject>,
    calls: Vec<InlinedCall>,
}

impl Names for ParseContext {
    /// `r3(total)` → slot 3, `g0(n)` → slot `GLOBAL_SLOTS + 0`, remembering the names.
    fn slot(&mut self, text: &str) -> Result<u16, String> {
        let bad = || format!("bad slot '{text}'");
        let (global, body) = match text.split_at_checked(1) {
            Some(("r", body)) => (false, body),
            Some(("g", body)) => (true, body),
            _ => return Err(bad()),
        };
        let (number, name) = match body.split_once('(') {
            Some((n, rest)) => (n, rest.strip_suffix(')').ok_or_else(bad)?),
            None => (body, ""),
        };
        let number: u16 = number.parse().map_err(|_| bad())?;
        if global {
            let slot = GLOBAL_SLOTS.checked_add(number).ok_or_else(bad)?;
            if !name.is_empty() {
                self.global_names.insert(slot, name.to_string());
            }
            return Ok(slot);
        }
        if number >= GLOBAL_SLOTS {
            return Err(bad());
        }
        if self.slot_names.len() <= number as usize {
            self.slot_names.resize(number as usize + 1, String::new());
        }
        if !name.is_empty() {
            self.slot_names[number as usize] = name.to_string();
        }
        Ok(number)
    }

    /// `<builtin range>` or `<function f>` → its index in the trace's objects.
    fn object(&mut self, text: &str) -> Result<u32, String> {
        let object = if let Some(name) = text.strip_prefix("<builtin ").and_then(|t| t.strip_suffix('>')) {
            let id = BuiltinId::from_global_name(name).or_else(|| BuiltinId::from_math_name(name));
            TraceObject::Builtin(id.ok_or_else(|| format!("no builtin named '{name}'"))?)
        } else if let Some(name) = text.strip_prefix("<function ").and_then(|t| t.strip_suffix('>')) {
            if let Some(i) = self.objects.iter().position(|o| o.to_string() == text) {
                return Ok(i as u32);
            }
            let id = u32::MAX - self.objects.len() as u32;
            TraceObject::Function(Rc::new(FunctionObj { code: stand_in_code(name), defaults: Vec::new(), id }))
        } else if let Some(body) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
            TraceObject::Str(crate::interp::objects::value::Str::new(&unescape(body)))
        } else {
            return Err(format!("bad object '{text}'"));
        };
        let index = self.objects.iter().position(|o| *o == object).unwrap_or_else(|| {
            self.objects.push(object);
            self.objects.len() - 1
        });
        Ok(index as u32)
    }
}

impl ParseContext {
    /// `in g < f` (innermost first) → the index of the innermost call, made from `f`.
    fn call_chain(&mut self, names: &str) -> Option<u32> {
        let mut parent = None;
        for name in names.split('<').map(str::trim).rev() {
            let known = self.calls.iter().position(|c| c.code.name == name && c.parent == parent);
            let index = known.unwrap_or_else(|| {
                let code = stand_in_code(name);
                self.calls.push(InlinedCall { code, base: 0, return_to: 0, caller_resume: 0, parent });
                self.calls.len() - 1
            });
            parent = Some(index as u32);
        }
        parent
    }
}

/// A code object that has only a name (what the text form knows of a function).
fn stand_in_code(name: &str) -> Rc<CodeObject> {
    Rc::new(CodeObject { name: name.to_string(), ..CodeObject::default() })
}

/// Reads the text form back into a trace. Accepts the dump's numbered lines (`0003  int ...`)
/// as well as [`print_trace`]'s.
pub fn parse_trace(text: &str) -> Result<Trace, String> {
    let mut trace = Trace::default();
    let mut cx = ParseContext::default();
    for raw in text.lines() {
        let mut line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if let Some((first, rest)) = line.split_once(char::is_whitespace)
            && first.len() == 4
            && first.chars().all(|c| c.is_ascii_digit())
        {
            line = rest.trim_start();
        }
        if line.starts_with("---") {
            trace.push(Op::Loop, Type::Void);
        } else if line.starts_with("snap") && line.contains("@pc") {
            let snapshot = parse_snapshot(line, &mut cx).map_err(|e| format!("{e} in: {raw}"))?;
            trace.snapshots.push(snapshot);
        } else {
            let (op, ty) = parse_inst(line, &mut cx).map_err(|e| format!("{e} in: {raw}"))?;
            trace.push(op, ty);
        }
    }
    trace.slot_names = cx.slot_names;
    trace.global_names = cx.global_names;
    trace.objects = cx.objects;
    trace.calls = cx.calls;
    Ok(trace)
}

/// `snap3 @pc 27 in g < f: r10(i)=%14 r8(zr)=%20  unbound: r17(g.t)`
fn parse_snapshot(line: &str, cx: &mut ParseContext) -> Result<Snapshot, String> {
    let (_, after_pc) = line.split_once("@pc").ok_or("snapshot without @pc")?;
    let (place, rest) = after_pc.split_once(':').ok_or("snapshot without ':'")?;
    let (pc, call) = match place.split_once(" in ") {
        Some((pc, chain)) => (pc, cx.call_chain(chain)),
        None => (place, None),
    };
    let pc: u32 = pc.trim().parse().map_err(|_| "bad snapshot pc")?;
    let (slots, unbound) = rest.split_once("unbound:").unwrap_or((rest, ""));
    let mut snapshot = Snapshot { pc, call, ..Snapshot::default() };
    for entry in slots.split_whitespace() {
        let (slot, value) = entry.split_once('=').ok_or_else(|| format!("bad snapshot entry '{entry}'"))?;
        let value =
            value.strip_prefix('%').and_then(|v| v.parse().ok()).ok_or_else(|| format!("bad value '{value}'"))?;
        snapshot.slots.push((cx.slot(slot)?, IrRef(value)));
    }
    for slot in unbound.split_whitespace() {
        snapshot.unbound.push(cx.slot(slot)?);
    }
    Ok(snapshot)
}

/// `int   %3 = AddInt %1, %2  snap0`: the type column (absent: no value), `%N =` (ignored:
/// instructions are numbered by position), the name, and the arguments in the opcode's text form.
fn parse_inst(line: &str, cx: &mut ParseContext) -> Result<(Op, Type), String> {
    let mut words: Vec<&str> = line.split_whitespace().collect();
    let ty = match words.first().and_then(|w| Type::named(w)) {
        Some(ty) => {
            words.remove(0);
            ty
        }
        None => Type::Void,
    };
    if words.len() >= 2 && words[0].starts_with('%') && words[1] == "=" {
        words.drain(0..2);
    }
    let (&name, args) = words.split_first().ok_or("an empty instruction")?;
    // The snapshot, if any, is the last word.
    let (args, snap) = match args.split_last() {
        Some((last, rest)) if is_snapshot(last) => (rest, Some(*last)),
        _ => (args, None),
    };
    let args = args.join(" ");
    let (_, _, form) =
        super::OPCODES.iter().find(|(n, ..)| *n == name).ok_or_else(|| format!("unknown opcode '{name}'"))?;
    let fields = match_text_form(form, &args)?;
    let field = |f: &str| if f == "snap" { snap } else { fields.iter().find(|(n, _)| *n == f).map(|(_, t)| *t) };
    let op = Op::parse_fields(name, ty, field, cx)?.ok_or_else(|| format!("unknown opcode '{name}'"))?;
    Ok((op, ty))
}

/// The text of a string constant as `{:?}` printed it (the common escapes; `\u{..}` too).
fn unescape(body: &str) -> String {
    let mut out = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some('u') => {
                let code: String = chars.by_ref().skip(1).take_while(|&c| c != '}').collect();
                out.extend(u32::from_str_radix(&code, 16).ok().and_then(char::from_u32));
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

fn is_snapshot(word: &str) -> bool {
    word.strip_prefix("snap").is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

/// Matches `args` against a text form: each field's text runs up to the literal text that
/// follows it in the form (or to the end).
fn match_text_form<'a, 'f>(form: &'f str, args: &'a str) -> Result<Vec<(&'f str, &'a str)>, String> {
    let pieces = pieces(form);
    let mut fields = Vec::new();
    let mut rest = args;
    for (i, piece) in pieces.iter().enumerate() {
        match *piece {
            Piece::Literal(text) => {
                rest = rest.strip_prefix(text).ok_or_else(|| format!("expected '{text}' at '{rest}'"))?;
            }
            Piece::Field(name) => {
                let end = match pieces.get(i + 1) {
                    Some(Piece::Literal(next)) => {
                        rest.find(next).ok_or_else(|| format!("expected '{next}' in '{rest}'"))?
                    }
                    _ => rest.len(),
                };
                fields.push((name, rest[..end].trim()));
                rest = &rest[end..];
            }
        }
    }
    if !rest.trim().is_empty() {
        return Err(format!("unexpected '{rest}' (the form is \"{form}\")"));
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips() {
        let text = "\
      GuardTag r2(i) is int  snap0
int   %1 = SlotInt r2(i)
int   %2 = ConstInt 1
int   %3 = AddInt %1, %2  snap0
float %4 = IntToFloat %3
bool  %5 = CmpFloat %4 <= %4
      Guard %5 is True  snap1
------------------------------ loop
int   %8 = Phi r2(i) [%3, %9]
int   %9 = AddInt %8, %2  snap1
  snap0 @pc 3:
  snap1 @pc 7: r2(i)=%3
";
        let trace = parse_trace(text).expect("parses");
        let printed = print_trace(&trace);
        assert_eq!(print_trace(&parse_trace(&printed).expect("reparses")), printed);
        assert!(printed.contains("int   %3 = AddInt %1, %2  snap0"), "{printed}");
        assert!(printed.contains("Phi r2(i) [%3, %9]"), "{printed}");
    }

    /// Every opcode of the table, printed and read back: the same instruction, the same text.
    #[test]
    fn every_opcode_round_trips() {
        let mut trace = Trace::default();
        trace.objects.push(TraceObject::Builtin(BuiltinId::Abs));
        trace.slot_names = vec!["".into(), "".into(), "x".into(), "".into(), "total".into()];
        for op in Op::examples() {
            let ty = op.result_rule().result(Type::Int, op.type_field()).expect("a result type");
            trace.push(op, ty);
        }
        let printed = print_trace(&trace);
        let parsed = parse_trace(&printed).unwrap_or_else(|e| panic!("{e}\n{printed}"));
        assert_eq!(parsed.insts, trace.insts, "{printed}");
        assert_eq!(print_trace(&parsed), printed);
        // The dump's numbered form reads back too.
        assert_eq!(parse_trace(&trace.to_string()).expect("parses the dump").insts, trace.insts);
    }

    #[test]
    fn globals_objects_calls_and_unbound_slots_round_trip() {
        let text = "\
obj   %0 = ConstObj <builtin range>
obj   %1 = ConstObj <function scale>
      GuardTag g3(total) is float  snap0
float %3 = SlotFloat g3(total)
float %4 = ConstFloat -0.0
float %5 = ConstFloat inf
      Link to T1  snap1
  snap0 @pc 4: r1(f)=%1 r5=%0
  snap1 @pc 0 in inner < scale: g3(total)=%3 r9(scale.k)=%4  unbound: r10(inner.t) r11
";
        let trace = parse_trace(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(trace.snapshots[1].slots[0].0, GLOBAL_SLOTS + 3);
        assert_eq!(trace.calls.len(), 2);
        assert_eq!(
            trace.call_chain(&trace.snapshots[1]).iter().map(|c| c.code.name.as_str()).collect::<Vec<_>>(),
            ["scale", "inner"]
        );
        assert_eq!(print_trace(&trace), text);
    }

    #[test]
    fn bad_text_is_an_error_that_names_the_line() {
        for bad in ["int   %0 = Frobnicate %1", "int   %0 = AddInt %1 snap0", "      Guard %1 is Maybe  snap0"] {
            let error = parse_trace(bad).expect_err(bad);
            assert!(error.contains(bad.trim()), "{error}");
        }
    }
}
