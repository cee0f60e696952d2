//! Tab completion at the prompt (rustyline's `Completer`): the word before the cursor is
//! completed from Toy's keywords, the builtins and the session's defined globals, as python3's
//! prompt does. Tab with no word before the cursor indents (four spaces), as python3's inserts
//! a tab there. After a `.` (an attribute) nothing is offered.
//!
//! Touches nothing but the line being edited; the session hands it the globals' names before
//! each prompt ([`ReplHelper::set_globals`]).

use rustyline::Context;
use rustyline::completion::Completer;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;

use crate::interp::objects::builtins::BuiltinId;

/// Toy's keywords (the lexer's list; a test checks each is one).
pub const KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "break", "continue", "def", "del", "elif", "else", "except",
    "finally", "for", "global", "if", "import", "in", "is", "lambda", "not", "or", "pass", "raise", "return", "try",
    "while",
];

/// What Tab inserts when there is no word to complete.
const INDENT: &str = "    ";

/// The prompt's rustyline helper: completion only (no hints, colours or validation).
#[derive(Default)]
pub struct ReplHelper {
    /// The names defined in the session, refreshed before each prompt.
    globals: Vec<String>,
}

impl ReplHelper {
    pub fn set_globals(&mut self, names: Vec<String>) {
        self.globals = names;
    }

    /// The names starting with `prefix`, sorted, each once.
    fn candidates(&self, prefix: &str) -> Vec<String> {
        let fixed = KEYWORDS.iter().copied().chain(BuiltinId::global_names());
        let fixed = fixed.filter(|name| name.starts_with(prefix)).map(str::to_string);
        let defined = self.globals.iter().filter(|name| name.starts_with(prefix)).cloned();
        let mut names: Vec<String> = fixed.chain(defined).collect();
        names.sort();
        names.dedup();
        names
    }
}

/// The start of the identifier that ends at `pos` in `line`.
fn word_start(line: &str, pos: usize) -> usize {
    line[..pos]
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphanumeric() || *c == '_')
        .last()
        .map_or(pos, |(i, _)| i)
}

impl Completer for ReplHelper {
    type Candidate = String;

    fn complete(&self, line: &str, pos: usize, _context: &Context<'_>) -> rustyline::Result<(usize, Vec<String>)> {
        let start = word_start(line, pos);
        let prefix = &line[start..pos];
        if prefix.is_empty() {
            let only_blanks_before = line[..pos].chars().all(char::is_whitespace);
            return Ok((pos, if only_blanks_before { vec![INDENT.to_string()] } else { Vec::new() }));
        }
        if line[..start].ends_with('.') || prefix.starts_with(|c: char| c.is_ascii_digit()) {
            return Ok((pos, Vec::new()));
        }
        Ok((start, self.candidates(prefix)))
    }
}

impl Hinter for ReplHelper {
    type Hint = String;
}

impl Highlighter for ReplHelper {}

impl Validator for ReplHelper {}

impl rustyline::Helper for ReplHelper {}

#[cfg(test)]
mod tests {
    use super::*;
    use rustyline::history::DefaultHistory;

    fn complete(helper: &ReplHelper, line: &str) -> (usize, Vec<String>) {
        let history = DefaultHistory::new();
        let context = Context::new(&history);
        helper.complete(line, line.len(), &context).unwrap()
    }

    #[test]
    fn completes_keywords_builtins_and_defined_globals() {
        let mut helper = ReplHelper::default();
        helper.set_globals(vec!["total".into(), "tally_up".into()]);
        assert_eq!(complete(&helper, "x = ta"), (4, vec!["tally_up".to_string()]));
        assert_eq!(complete(&helper, "print(to"), (6, vec!["total".to_string()]));
        assert_eq!(complete(&helper, "whi"), (0, vec!["while".to_string()]));
        assert_eq!(complete(&helper, "is"), (0, vec!["is".to_string(), "isinstance".to_string()]));
        assert_eq!(complete(&helper, "ZeroDiv").1, ["ZeroDivisionError"]);
        // Hidden builtin types are not names a program can use.
        assert!(complete(&helper, "NoneT").1.is_empty());
    }

    #[test]
    fn tab_without_a_word_indents_and_attributes_get_nothing() {
        let helper = ReplHelper::default();
        assert_eq!(complete(&helper, ""), (0, vec![INDENT.to_string()]));
        assert_eq!(complete(&helper, "    "), (4, vec![INDENT.to_string()]));
        assert!(complete(&helper, "f(x, ").1.is_empty());
        assert!(complete(&helper, "math.sq").1.is_empty());
        assert!(complete(&helper, "x = 1e").1.is_empty());
    }

    #[test]
    fn every_listed_keyword_is_one() {
        for keyword in KEYWORDS {
            assert!(crate::parser::parse(&format!("{keyword} = 1\n")).is_err(), "{keyword} is not a keyword");
        }
        assert!(crate::parser::parse("total = 1\n").is_ok());
    }
}
