//! The fuzzer's mutator: turns seed programs (Toy source) into new inputs, mostly near-valid
//! programs so that the parser, the compiler, the interpreter and the JIT all see them, and
//! sometimes raw byte damage. Pure: a deterministic PRNG in, bytes out; runs nothing.
//!
//! Mutations (one to four per input): a byte inserted, replaced or deleted; a line duplicated,
//! deleted, moved, re-indented or taken from another seed; a number literal replaced by an
//! edge value (±2**63, nan, -0.0, a 5000-digit int, ...); a name replaced by another of the
//! program; an operator swapped; a statement (`break`, `return`, `raise`, ...) inserted; an
//! expression wrapped in deep nesting; the text truncated.

/// xorshift64*: small, fast, reproducible from its seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const EDGE_NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "255",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "2 ** 63",
    "2 ** 64",
    "10 ** 30",
    "0.0",
    "-0.0",
    "0.1",
    "1e308",
    "1e-320",
    "1e400",
    "float('nan')",
    "float('inf')",
    "-float('inf')",
    "True",
    "None",
    "''",
    "'é'",
    "[]",
    "()",
    "(1,)",
    "[1, 2.5, 'a']",
    "{}",
    "{1: 2}",
    "1000000",
    "-7",
    "3.5",
];

const OPERATORS: &[&str] = &[
    "+", "-", "*", "/", "//", "%", "**", "<<", ">>", "&", "|", "^", "<", "<=", ">", ">=", "==", "!=", " in ",
    " not in ", " is ", " and ", " or ",
];

const STATEMENTS: &[&str] = &[
    "break",
    "continue",
    "return",
    "return 0",
    "pass",
    "raise ValueError('fuzz')",
    "x = 1",
    "global x",
    "del x",
    "print(x)",
    "assert False",
    "while True:\n    break",
    "for _ in range(3):\n    pass",
    "try:\n    pass\nexcept Exception:\n    pass",
    "def f(a, b=1):\n    return a",
    "import math",
    "lambda: 0",
    "yield 1",
    "class C: pass",
    "1 / 0",
    "[k for k in range(3)]",
    "f(f(f(1)))",
];

const BYTES: &[u8] = b"()[]{}:;,.=+-*/%<>!&|^~#'\"\\\n \t0123456789abcdefxyz_eEjJ\0\x7f\xc3\xa9\xff";

/// The identifiers of `text` (ASCII words that do not start with a digit).
fn identifiers(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_'))
        .collect()
}

/// Byte ranges of the maximal runs of `pred` characters in `text`.
fn runs(text: &[u8], pred: impl Fn(u8) -> bool) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        if pred(text[i]) {
            let start = i;
            while i < text.len() && pred(text[i]) {
                i += 1;
            }
            out.push((start, i));
        } else {
            i += 1;
        }
    }
    out
}

fn splice(text: &mut Vec<u8>, range: (usize, usize), with: &[u8]) {
    text.splice(range.0..range.1, with.iter().copied());
}

fn lines(text: &[u8]) -> Vec<Vec<u8>> {
    text.split(|&b| b == b'\n').map(|l| l.to_vec()).collect()
}

fn indent_of(line: &[u8]) -> usize {
    line.iter().take_while(|&&b| b == b' ').count()
}

/// One mutation of `text` (`others`: the other seeds, for splicing lines).
fn mutate_once(rng: &mut Rng, text: &mut Vec<u8>, others: &[Vec<u8>]) {
    let len = text.len();
    match rng.below(14) {
        0 if len > 0 => {
            let at = rng.below(len);
            text[at] = *rng.pick(BYTES);
        }
        1 => {
            let at = rng.below(len + 1);
            text.insert(at, *rng.pick(BYTES));
        }
        2 if len > 0 => {
            let at = rng.below(len);
            let n = 1 + rng.below(8.min(len - at));
            text.drain(at..at + n);
        }
        3 | 4 => {
            let numbers = runs(text, |b| b.is_ascii_digit());
            if !numbers.is_empty() {
                let range = *rng.pick(&numbers);
                let with =
                    if rng.chance(5) { "7".repeat(4301 + rng.below(800)) } else { rng.pick(EDGE_NUMBERS).to_string() };
                splice(text, range, with.as_bytes());
            }
        }
        5 if std::str::from_utf8(text).is_ok() => {
            let source = String::from_utf8(text.clone()).unwrap_or_default();
            let names = identifiers(&source);
            if names.len() >= 2 {
                let from = *rng.pick(&names);
                let to = *rng.pick(&names);
                let mut start = rng.below(source.len());
                while !source.is_char_boundary(start) {
                    start -= 1;
                }
                if let Some(pos) = source[start..].find(from) {
                    let pos = start + pos;
                    splice(text, (pos, pos + from.len()), to.as_bytes());
                }
            }
        }
        6 => {
            let ops = runs(text, |b| b"+-*/%<>=!&|^".contains(&b));
            if !ops.is_empty() {
                let range = *rng.pick(&ops);
                splice(text, range, rng.pick(OPERATORS).as_bytes());
            }
        }
        7 | 8 => {
            let mut ls = lines(text);
            let i = rng.below(ls.len());
            let indent = indent_of(&ls[i]);
            let stmt = rng.pick(STATEMENTS);
            let block: Vec<Vec<u8>> = stmt.lines().map(|l| format!("{}{l}", " ".repeat(indent)).into_bytes()).collect();
            ls.splice(i..i, block);
            *text = ls.join(&b'\n');
        }
        9 => {
            let mut ls = lines(text);
            let (i, j) = (rng.below(ls.len()), rng.below(ls.len()));
            match rng.below(4) {
                0 => ls.insert(j, ls[i].clone()),
                1 => {
                    ls.remove(i);
                }
                2 => ls.swap(i, j),
                _ => {
                    let line = std::mem::take(&mut ls[i]);
                    let indent = indent_of(&line);
                    let new = (indent as isize + [-4isize, 4, 1, -1][rng.below(4)]).max(0) as usize;
                    ls[i] = [" ".repeat(new).into_bytes(), line[indent..].to_vec()].concat();
                }
            }
            *text = ls.join(&b'\n');
        }
        10 if !others.is_empty() => {
            let other_seed: &Vec<u8> = rng.pick(others);
            let other = lines(other_seed);
            let mut ls = lines(text);
            let start = rng.below(other.len());
            let count = 1 + rng.below(6);
            let at = rng.below(ls.len() + 1);
            let taken: Vec<Vec<u8>> = other[start..(start + count).min(other.len())].to_vec();
            ls.splice(at..at, taken);
            *text = ls.join(&b'\n');
        }
        11 => {
            // Deep nesting: around a number, or a long flat chain.
            let numbers = runs(text, |b| b.is_ascii_digit());
            if let Some(&range) = numbers.get(rng.below(numbers.len().max(1))) {
                let depth = [10, 100, 1000, 5000][rng.below(4)];
                let (open, close) = *rng.pick(&[("(", ")"), ("[", "]"), ("-", ""), ("not ", ""), ("(1, ", ")")]);
                let number = String::from_utf8_lossy(&text[range.0..range.1]).into_owned();
                let with = if rng.chance(30) {
                    format!("{number}{}", " + 1".repeat(depth))
                } else {
                    format!("{}{number}{}", open.repeat(depth), close.repeat(depth))
                };
                splice(text, range, with.as_bytes());
            }
        }
        12 if len > 0 => {
            let keep = rng.below(len);
            text.truncate(keep);
        }
        _ => {
            // A raw byte anywhere (including invalid UTF-8 and NUL).
            let at = rng.below(len + 1);
            text.insert(at, (rng.next() & 0xff) as u8);
        }
    }
}

/// A new input from `seed` (1 to 4 mutations).
pub fn mutate(rng: &mut Rng, seed: &[u8], others: &[Vec<u8>]) -> Vec<u8> {
    let mut text = seed.to_vec();
    let count = 1 + rng.below(4);
    for _ in 0..count {
        mutate_once(rng, &mut text, others);
    }
    text
}
