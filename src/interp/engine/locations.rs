//! Where in the source each instruction comes from, finer than its line: the byte span of the
//! expression (or statement) it computes, and for a binary operation or a subscript the
//! operator's part, which CPython 3.11 calls the anchor. From these the traceback draws
//! CPython's caret line under the failing expression ([`caret_line`]):
//!
//! ```text
//!     print(total / count)
//!           ~~~~~~^~~~~~~
//! ```
//!
//! Touches nothing: the compiler records a [`Location`] per instruction, the traceback renders.

use crate::parser::ast::Span;

/// The part of an expression CPython marks with `^` (the rest with `~`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Anchor {
    #[default]
    None,
    /// `left OP right`: the operator is the first non-blank text between the operands.
    BinOp { left_end: u32, right_start: u32 },
    /// `value[index]`: from the `[` after `value` to the end of the subscript.
    Subscript { value_end: u32 },
    /// `obj.name(args)`: no anchor, but an AttributeError (the lookup failed) marks `obj.name`
    /// alone, as CPython does (its lookup and call are two instructions).
    MethodCall { name_end: u32 },
}

/// An instruction's source: byte offsets into the program's text (`start == end`: unknown).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Location {
    pub start: u32,
    pub end: u32,
    pub anchor: Anchor,
}

impl Location {
    pub fn of(span: Span) -> Location {
        Location { start: span.start, end: span.end, anchor: Anchor::None }
    }

    /// What the traceback marks for an error raised here: `obj.name` alone when a method's
    /// lookup failed (`lookup_failed`: an AttributeError in the innermost frame).
    pub fn marked(self, lookup_failed: bool) -> Location {
        match self.anchor {
            Anchor::MethodCall { name_end } if lookup_failed => {
                Location { end: name_end, anchor: Anchor::None, ..self }
            }
            _ => self,
        }
    }
}

/// CPython 3.11's caret line for `location` under `line` (its text without the line break),
/// which starts at byte `line_start` of `source`; indented as the traceback prints that line
/// (4 spaces, the line's own indentation stripped). `None` where CPython prints none: the
/// expression is the whole line and has no anchor, or the location is not on this line.
pub fn caret_line(source: &str, line_start: usize, line: &str, location: &Location) -> Option<String> {
    let (start, end) = (location.start as usize, location.end as usize);
    let line_end = line_start + line.len();
    if start >= end || start < line_start || start > line_end || end > source.len() {
        return None;
    }
    let columns = |byte: usize| line[..byte.min(line.len())].chars().count();
    let indent = line.chars().take_while(|c| c.is_whitespace()).count();
    let stripped_len = line.trim().chars().count();
    let start_col = columns(start - line_start);
    // An expression over several lines: marked to the end of its first line's text.
    let end_col = if end > line_end { columns(line.trim_end().len()) } else { columns(end - line_start) };
    let anchors = if end > line_end { None } else { anchor_columns(source, location, &columns, line_start) };
    if end_col.saturating_sub(start_col) == stripped_len && anchors.is_none() {
        return None;
    }
    let mut text = " ".repeat(4 + start_col.saturating_sub(indent));
    for col in start_col..end_col {
        text.push(match anchors {
            Some((left, right)) if col < left || col >= right => '~',
            Some(_) => '^',
            None => '^',
        });
    }
    Some(text)
}

/// The anchor as columns of the line `[left, right)`, where the `^` go.
fn anchor_columns(
    source: &str,
    location: &Location,
    columns: &dyn Fn(usize) -> usize,
    line_start: usize,
) -> Option<(usize, usize)> {
    match location.anchor {
        Anchor::None | Anchor::MethodCall { .. } => None,
        Anchor::BinOp { left_end, right_start } => {
            // As CPython: the first non-blank byte after the left operand (past closing
            // parentheses), one byte more for a two-byte operator (`//`, `**`, `<<`).
            let (left_end, right_start) = (left_end as usize, right_start as usize);
            let between = source.get(left_end..right_start)?.as_bytes();
            let mut anchor = None;
            for (i, &byte) in between.iter().enumerate() {
                if byte.is_ascii_whitespace() {
                    continue;
                }
                let two_bytes = i + 1 < between.len() && !between[i + 1].is_ascii_whitespace();
                anchor = Some((left_end + i, left_end + i + 1 + usize::from(two_bytes)));
                if byte == b')' && i + 1 < between.len() {
                    continue;
                }
                break;
            }
            let (left, right) = anchor?;
            Some((columns(left - line_start), columns(right - line_start)))
        }
        Anchor::Subscript { value_end } => {
            // As CPython: from the `[` (past the parentheses closing around the value) to the
            // end of the subscript (past parentheses around the index).
            let value_end = value_end as usize;
            let bracket = source.get(value_end..location.end as usize)?.find('[')?;
            Some((columns(value_end + bracket - line_start), columns(location.end as usize - line_start)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn location(source: &str, expr: &str, anchor: Anchor) -> Location {
        let start = source.find(expr).unwrap() as u32;
        Location { start, end: start + expr.len() as u32, anchor }
    }

    /// The caret line under the first line of `source`.
    fn carets(source: &str, location: Location) -> Option<String> {
        caret_line(source, 0, source.lines().next().unwrap_or(""), &location)
    }

    #[test]
    fn a_whole_line_without_anchor_has_no_carets() {
        let source = "f(1)\n";
        assert_eq!(carets(source, location(source, "f(1)", Anchor::None)), None);
        let source = "    x = f(1)\n";
        assert_eq!(carets(source, location(source, "f(1)", Anchor::None)).as_deref(), Some("        ^^^^"));
    }

    #[test]
    fn binary_operators_and_subscripts_are_anchored() {
        let source = "x = a // b\n";
        let anchor = Anchor::BinOp { left_end: 5, right_start: 9 };
        assert_eq!(carets(source, location(source, "a // b", anchor)).as_deref(), Some("        ~~^^~~"));
        let source = "y = items[10]\n";
        let anchor = Anchor::Subscript { value_end: 9 };
        assert_eq!(carets(source, location(source, "items[10]", anchor)).as_deref(), Some("        ~~~~~^^^^"));
        let source = "y = (items)[(10)]\n";
        let anchor = Anchor::Subscript { value_end: 10 };
        assert_eq!(carets(source, location(source, "(items)[(10)]", anchor)).as_deref(), Some("        ~~~~~~~^^^^^^"));
    }

    #[test]
    fn a_failed_method_lookup_marks_the_attribute_alone() {
        let source = "n = text.strip_all()\n";
        let call = location(source, "text.strip_all()", Anchor::MethodCall { name_end: 18 });
        assert_eq!(carets(source, call).as_deref(), Some("        ^^^^^^^^^^^^^^^^"));
        assert_eq!(carets(source, call.marked(true)).as_deref(), Some("        ^^^^^^^^^^^^^^"));
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let source = "s = 'é' + f(2)\n";
        let loc = location(source, "f(2)", Anchor::None);
        assert_eq!(carets(source, loc).as_deref(), Some("              ^^^^"));
    }
}
