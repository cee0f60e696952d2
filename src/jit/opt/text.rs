//! The trace IR's text form, both ways: [`print_trace`] (what the dump shows, without line
//! numbers) and [`parse_trace`], which reads it back — so an optimizer test is a string in and
//! a string out. Used by tests; the dump uses `Display for Trace`.

use super::super::ir::{Cond, GLOBAL_SLOTS, IrRef, Op, SnapId, Snapshot, Trace, Type};

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

fn parse_ref(token: &str) -> Result<IrRef, String> {
    let digits = token.trim_matches(|c: char| c == ',' || c == '[' || c == ']').trim_start_matches('%');
    digits.parse::<u32>().map(IrRef).map_err(|_| format!("bad value reference '{token}'"))
}

fn parse_snap(token: &str) -> Result<SnapId, String> {
    token.trim_start_matches("snap").parse::<u32>().map(SnapId).map_err(|_| format!("bad snapshot '{token}'"))
}

fn parse_type(token: &str) -> Option<Type> {
    match token {
        "int" => Some(Type::Int),
        "float" => Some(Type::Float),
        "bool" => Some(Type::Bool),
        "ptr" => Some(Type::Ptr),
        "obj" => Some(Type::Obj),
        _ => None,
    }
}

fn parse_cond(token: &str) -> Result<Cond, String> {
    Ok(match token {
        "<" => Cond::Lt,
        "<=" => Cond::Le,
        ">" => Cond::Gt,
        ">=" => Cond::Ge,
        "==" => Cond::Eq,
        "!=" => Cond::Ne,
        _ => return Err(format!("bad condition '{token}'")),
    })
}

fn parse_tag(token: &str) -> Result<u8, String> {
    use crate::interp::value::tag;
    Ok(match token {
        "int" => tag::INT,
        "float" => tag::FLOAT,
        "bool" => tag::BOOL,
        "None" => tag::NONE,
        "list" => super::super::recorder::list_tag(),
        _ => return Err(format!("bad tag '{token}'")),
    })
}

/// The slot names read so far: frame slots by number, globals by slot.
#[derive(Default)]
struct Names {
    slots: Vec<String>,
    globals: std::collections::BTreeMap<u16, String>,
}

/// `r3(total)` → 3, `g1(n)` → `GLOBAL_SLOTS + 1`, remembering the name.
fn parse_slot(token: &str, names: &mut Names) -> Result<u16, String> {
    let (global, body) = match token.strip_prefix('g') {
        Some(body) => (true, body),
        None => (false, token.trim_start_matches('r')),
    };
    let (number, name) = match body.split_once('(') {
        Some((n, rest)) => (n, rest.trim_end_matches(')')),
        None => (body, ""),
    };
    let number: u16 = number.parse().map_err(|_| format!("bad slot '{token}'"))?;
    if global {
        let slot = number.checked_add(GLOBAL_SLOTS).ok_or_else(|| format!("bad global '{token}'"))?;
        if !name.is_empty() {
            names.globals.insert(slot, name.to_string());
        }
        return Ok(slot);
    }
    let slot = number;
    if names.slots.len() <= slot as usize {
        names.slots.resize(slot as usize + 1, String::new());
    }
    if !name.is_empty() {
        names.slots[slot as usize] = name.to_string();
    }
    Ok(slot)
}

/// Reads the text form back into a trace.
pub fn parse_trace(text: &str) -> Result<Trace, String> {
    let mut trace = Trace::default();
    let mut names = Names::default();
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
            continue;
        }
        if let Some(rest) = line.strip_prefix("snap") {
            let (_, after_pc) = rest.split_once("@pc").ok_or("snapshot without @pc")?;
            let (pc, slots) = after_pc.split_once(':').ok_or("snapshot without ':'")?;
            let pc: u32 = pc.trim().parse().map_err(|_| "bad snapshot pc")?;
            let mut entries = Vec::new();
            for entry in slots.split_whitespace() {
                let (slot, value) = entry.split_once('=').ok_or("bad snapshot entry")?;
                entries.push((parse_slot(slot, &mut names)?, parse_ref(value)?));
            }
            trace.snapshots.push(Snapshot { pc, slots: entries, ..Snapshot::default() });
            continue;
        }
        let mut tokens: Vec<&str> = line.split_whitespace().collect();
        let ty = match tokens.first().and_then(|t| parse_type(t)) {
            Some(ty) => {
                tokens.remove(0);
                ty
            }
            None => Type::Void,
        };
        if tokens.len() >= 2 && tokens[0].starts_with('%') && tokens[1] == "=" {
            tokens.drain(0..2);
        }
        let (&name, args) = tokens.split_first().ok_or_else(|| format!("empty instruction: {raw}"))?;
        let arg = |i: usize| args.get(i).copied().ok_or_else(|| format!("missing operand {i} in: {raw}"));
        let op = match name {
            "ConstInt" => Op::ConstInt { value: arg(0)?.parse().map_err(|_| "bad int")? },
            "ConstFloat" => Op::ConstFloat { value: arg(0)?.parse().map_err(|_| "bad float")? },
            "ConstBool" => Op::ConstBool { value: arg(0)? == "True" },
            "GuardTag" => Op::GuardTag {
                slot: parse_slot(arg(0)?, &mut names)?,
                tag: parse_tag(arg(2)?)?,
                snap: parse_snap(arg(3)?)?,
            },
            "ClearSlot" => Op::ClearSlot { slot: parse_slot(arg(0)?, &mut names)? },
            "ListAppend" => Op::ListAppend {
                list: parse_ref(arg(0)?)?,
                value: parse_ref(arg(1)?)?,
                result: parse_slot(arg(2)?, &mut names)?,
            },
            "SlotInt" => Op::SlotInt { slot: parse_slot(arg(0)?, &mut names)? },
            "SlotFloat" => Op::SlotFloat { slot: parse_slot(arg(0)?, &mut names)? },
            "SlotBool" => Op::SlotBool { slot: parse_slot(arg(0)?, &mut names)? },
            "SlotPtr" => Op::SlotPtr { slot: parse_slot(arg(0)?, &mut names)? },
            "CmpInt" => Op::CmpInt { cond: parse_cond(arg(1)?)?, a: parse_ref(arg(0)?)?, b: parse_ref(arg(2)?)? },
            "CmpFloat" => Op::CmpFloat { cond: parse_cond(arg(1)?)?, a: parse_ref(arg(0)?)?, b: parse_ref(arg(2)?)? },
            "Guard" => Op::Guard { cond: parse_ref(arg(0)?)?, expect: arg(2)? == "True", snap: parse_snap(arg(3)?)? },
            "ListLoad" => {
                let (list, index) = arg(0)?.split_once('[').ok_or("bad ListLoad")?;
                let ty = parse_type(arg(2)?).ok_or("bad ListLoad type")?;
                Op::ListLoad { list: parse_ref(list)?, index: parse_ref(index)?, ty, snap: parse_snap(arg(3)?)? }
            }
            "Link" => Op::Link {
                trace: arg(1)?.trim_start_matches('T').parse().map_err(|_| format!("bad trace in: {raw}"))?,
                snap: parse_snap(arg(2)?)?,
            },
            "Phi" => Op::Phi {
                slot: parse_slot(arg(0)?, &mut names)?,
                ty,
                entry: parse_ref(arg(1)?)?,
                back: parse_ref(arg(2)?)?,
            },
            _ => {
                let refs: Vec<IrRef> =
                    args.iter().filter(|t| t.starts_with('%')).map(|t| parse_ref(t)).collect::<Result<_, _>>()?;
                let snap = args.iter().find(|t| t.starts_with("snap")).map(|t| parse_snap(t)).transpose()?;
                let r = |i: usize| refs.get(i).copied().ok_or_else(|| format!("missing operand in: {raw}"));
                let s = || snap.ok_or_else(|| format!("missing snapshot in: {raw}"));
                match name {
                    "AddInt" => Op::AddInt { a: r(0)?, b: r(1)?, snap: s()? },
                    "SubInt" => Op::SubInt { a: r(0)?, b: r(1)?, snap: s()? },
                    "MulInt" => Op::MulInt { a: r(0)?, b: r(1)?, snap: s()? },
                    "NegInt" => Op::NegInt { a: r(0)?, snap: s()? },
                    "FloorDivInt" => Op::FloorDivInt { a: r(0)?, b: r(1)?, snap: s()? },
                    "ModInt" => Op::ModInt { a: r(0)?, b: r(1)?, snap: s()? },
                    "AndInt" => Op::AndInt { a: r(0)?, b: r(1)? },
                    "ShlInt" => Op::ShlInt { a: r(0)?, b: r(1)?, snap: s()? },
                    "ShrInt" => Op::ShrInt { a: r(0)?, b: r(1)?, snap: s()? },
                    "PowInt" => Op::PowInt { a: r(0)?, b: r(1)?, snap: s()? },
                    "PowFloat" => Op::PowFloat { a: r(0)?, b: r(1)?, snap: s()? },
                    "OrInt" => Op::OrInt { a: r(0)?, b: r(1)? },
                    "XorInt" => Op::XorInt { a: r(0)?, b: r(1)? },
                    "AddFloat" => Op::AddFloat { a: r(0)?, b: r(1)? },
                    "SubFloat" => Op::SubFloat { a: r(0)?, b: r(1)? },
                    "MulFloat" => Op::MulFloat { a: r(0)?, b: r(1)? },
                    "DivFloat" => Op::DivFloat { a: r(0)?, b: r(1)?, snap: s()? },
                    "ModFloat" => Op::ModFloat { a: r(0)?, b: r(1)?, snap: s()? },
                    "FloorDivFloat" => Op::FloorDivFloat { a: r(0)?, b: r(1)?, snap: s()? },
                    "NegFloat" => Op::NegFloat { a: r(0)? },
                    "IntToFloat" => Op::IntToFloat { a: r(0)? },
                    "BoolToInt" => Op::BoolToInt { a: r(0)? },
                    "AbsFloat" => Op::AbsFloat { a: r(0)? },
                    "FloatToInt" => Op::FloatToInt { a: r(0)?, snap: s()? },
                    "GuardExactFloat" => Op::GuardExactFloat { a: r(0)?, snap: s()? },
                    "ListLen" => Op::ListLen { list: r(0)? },
                    "Select" => Op::Select { cond: r(0)?, a: r(1)?, b: r(2)? },
                    "ListIndex" => Op::ListIndex { list: r(0)?, index: r(1)?, snap: s()? },
                    "CheckInterrupt" => Op::CheckInterrupt { snap: s()? },
                    "ListStore" => Op::ListStore { list: r(0)?, index: r(1)?, value: r(2)?, snap: s()? },
                    other => return Err(format!("unknown opcode '{other}'")),
                }
            }
        };
        trace.push(op, ty);
    }
    trace.slot_names = names.slots;
    trace.global_names = names.globals;
    Ok(trace)
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

    #[test]
    fn globals_and_obj_values_round_trip() {
        let text = "      GuardTag g1(total) is int  snap0
int   %1 = SlotInt g1(total)
ptr   %2 = SlotPtr r0(xs)
int   %3 = ConstInt 0
obj   %4 = ListLoad %2[%3] as obj  snap0
  snap0 @pc 3: g1(total)=%1
";
        let trace = parse_trace(text).expect("parses");
        assert_eq!(trace.insts[1].op, Op::SlotInt { slot: GLOBAL_SLOTS + 1 });
        assert_eq!(trace.insts[4].ty, Type::Obj);
        assert_eq!(print_trace(&trace), text);
    }
}
