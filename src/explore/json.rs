//! A small JSON writer for the explorer's data (the page's script reads it with `JSON.parse`):
//! strings escaped so that the text can sit inside a `<script>` element, numbers, arrays and
//! objects built from already-written values.
//!
//! Pure: values in, text out.

/// A string as a JSON literal; `<` is escaped too, so `</script>` in a program's source cannot
/// end the script element that holds the data.
pub fn string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '<' => out.push_str("\\u003c"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A number with at most three decimals (times in milliseconds).
pub fn number(value: f64) -> String {
    if value.is_finite() { format!("{:.3}", value) } else { "0".into() }
}

/// An optional value: `null` when absent.
pub fn optional(value: Option<String>) -> String {
    value.unwrap_or_else(|| "null".into())
}

/// An array of written values.
pub fn array(items: impl IntoIterator<Item = String>) -> String {
    let items: Vec<String> = items.into_iter().collect();
    format!("[{}]", items.join(","))
}

/// An object of written values, fields in the order given.
pub fn object(fields: &[(&str, String)]) -> String {
    let fields: Vec<String> = fields.iter().map(|(name, value)| format!("{}:{value}", string(name))).collect();
    format!("{{{}}}", fields.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_cannot_close_the_script_element() {
        assert_eq!(string("a\"b\\c\n</script>"), "\"a\\\"b\\\\c\\n\\u003c/script>\"");
        assert_eq!(object(&[("n", number(1.5)), ("xs", array(["1".to_string()]))]), "{\"n\":1.500,\"xs\":[1]}");
    }
}
