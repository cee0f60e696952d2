//! What a programmer could change, in plain words, for each reason the JIT gives up on a loop
//! or an exit (the explorer shows it beside the grouped aborts).
//!
//! Pure: an abort message in, a sentence out. The reasons are matched by their words (they
//! come from `jit/recorder` and `jit/trace.rs`); a reason not listed gets the general advice.

/// Advice for an abort message (`[jit] aborted recording the loop at f.toy:3 in f: <reason>`).
pub fn for_abort(message: &str) -> &'static str {
    const ADVICE: &[(&[&str], &str)] = &[
        (
            &["reached an outer loop", "an inner loop starts inside the loop", "inner loop that has no trace"],
            "Nothing to change: the inner loop is compiled first, on its own, and side traces then \
             join the loops. These aborts stop once the inner loop has its trace.",
        ),
        (
            &["the loop ended while recording"],
            "Nothing to change: the loop finished during the recording (it ran too few more \
             iterations to be worth compiling).",
        ),
        (
            &["a call to the builtin", "a call to the method", "only list.append"],
            "This builtin or method is not traced yet: move the call out of the hot loop (compute \
             it once before the loop, or collect the values and print them after it).",
        ),
        (
            &["recursive call", "calls nested more than"],
            "Recursion and deep call chains are not traced: a loop (or an explicit stack) is \
             compiled, a recursive call is interpreted.",
        ),
        (
            &[
                "holds a str",
                "holds a tuple",
                "holds a dict",
                "something other than range or a list",
                "indexing",
                "testing the truth",
            ],
            "Only ints, floats, bools and lists of them are compiled: keep strings, tuples and \
             dicts out of the hot loop, or turn them into numbers or lists first.",
        ),
        (
            &[
                "changes in the loop",
                "slot types changed",
                "changes from a list to a number",
                "mixed operands",
                "comparing mixed",
            ],
            "Keep each variable one type through the loop: start a float accumulator at 0.0, not \
             0, and do not reuse a variable for a value of another type.",
        ),
        (
            &["beyond 64 bits", "overflowed"],
            "Numbers beyond 64 bits (Python's big ints) are interpreted: the trace handles ints \
             that fit in a machine word.",
        ),
        (
            &["longer than"],
            "The loop body is very long: split it into functions called from a shorter loop, or \
             move rarely run code out of it.",
        ),
        (
            &["division by zero", "raises while recording", "index out of range while recording", "an exception"],
            "The iteration being recorded raised or would raise an error: the loop is retried \
             later, with iterations that do not.",
        ),
        (
            &["global", "holds a function"],
            "Assigning functions (or first assigning globals) inside the hot loop stops it: assign \
             them before the loop.",
        ),
        (
            &["side traces already", "already has"],
            "This loop has many different paths (branches, types): each got a side trace up to the \
             limit; fewer shapes of data or simpler branches keep it in machine code.",
        ),
    ];
    ADVICE.iter().find(|(words, _)| words.iter().any(|w| message.contains(w))).map_or(
        "The JIT does not handle this yet; the loop stays in the interpreter, which is correct, only \
             slower. docs/JIT.md lists what is compiled.",
        |(_, advice)| advice,
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn inner_loop_aborts_need_no_change() {
        let advice =
            super::for_abort("[jit] aborted recording the loop at m.toy:6 in f: an inner loop starts inside the loop");
        assert!(advice.starts_with("Nothing to change"));
        assert!(super::for_abort("something new").contains("does not handle this yet"));
    }
}
