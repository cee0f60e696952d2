//! Labels for the Cranelift IR and machine code listings, as LuaJIT's `-jdump` marks its
//! machine code: `->LOOP:` above the block the loop's back edge jumps to, `->exit N (line L):`
//! above the block that returns exit `N` to the interpreter. Unwind pseudo-instructions (which
//! emit no code) are dropped from the machine code.
//!
//! The blocks are found by their shape in the text Cranelift prints, the same for both
//! listings: the back edge is the unconditional jump to a block printed earlier that follows
//! the Ctrl-C poll (the one read of a symbol in a block that calls nothing); an exit block puts
//! its snapshot number into a register (`iconst.i32 N` / `movl $0xN, %eax`, or `xorl %eax,
//! %eax` for 0) and jumps to the shared dispatch block (which adds the trace's exit base). A
//! block whose shape is not recognised is left unlabelled.
//!
//! Pure: text in, text out.

/// The listing with `->LOOP` and `->exit N` labels; `exit_lines[n]` is exit `n`'s source line.
pub fn label_listing(text: &str, exit_lines: &[u32]) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim_start().starts_with("unwind ")).collect();
    // Each block: its name (`block7`) and the index of its header line.
    let blocks: Vec<(String, usize)> =
        lines.iter().enumerate().filter_map(|(i, line)| block_name(line).map(|name| (name, i))).collect();
    let mut labels: Vec<Option<String>> = vec![None; lines.len()];
    let mut looped = false;
    for (position, (_, start)) in blocks.iter().enumerate() {
        let end = blocks.get(position + 1).map_or(lines.len(), |b| b.1);
        let body = &lines[start + 1..end];
        // The back edge follows the Ctrl-C poll (the only read of the interrupt flag), in the
        // same block or the next one; other backward jumps are slow paths rejoining.
        let previous = position.checked_sub(1).map_or(&lines[0..0], |p| &lines[blocks[p].1..*start]);
        let polls =
            |block: &[&str]| block.iter().any(|l| reads_interrupt_flag(l)) && !block.iter().any(|l| l.contains("call"));
        let after_poll = !looped && (polls(body) || polls(previous));
        for line in body.iter().filter(|_| after_poll) {
            if let Some(target) = unconditional_target(line)
                && let Some(target_position) = blocks.iter().position(|(name, _)| *name == target)
                && target_position <= position
            {
                labels[blocks[target_position].1] = Some("->LOOP:".into());
                looped = true;
            }
        }
        if let Some(snapshot) = exit_number(body)
            && let Some(line) = exit_lines.get(snapshot as usize)
        {
            labels[*start] = Some(format!("->exit {snapshot} (line {line}):"));
        }
    }
    let mut out = String::new();
    for (line, label) in lines.iter().zip(&labels) {
        if let Some(label) = label {
            out.push_str(label);
            out.push('\n');
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Does this line load a symbol's address (`symbol_value` in Cranelift IR, `load_ext_name`
/// in machine code)? In a block that calls nothing, that symbol is the interrupt flag.
fn reads_interrupt_flag(line: &str) -> bool {
    line.contains("symbol_value") || line.contains("load_ext_name")
}

/// `block7` for a block's header line (`block7:`, `block4 cold:`, `block6(v12: i64):`).
fn block_name(line: &str) -> Option<String> {
    let trimmed = line.trim();
    if !trimmed.starts_with("block") || !trimmed.ends_with(':') {
        return None;
    }
    let digits: String = trimmed[5..].chars().take_while(char::is_ascii_digit).collect();
    (!digits.is_empty()).then(|| format!("block{digits}"))
}

/// The block an unconditional jump goes to: `jump block6(v13)` or `jmp label7` / `j label7`
/// (machine code names block N's label `labelN`).
fn unconditional_target(line: &str) -> Option<String> {
    for part in line.split(';') {
        let mut words = part.split_whitespace();
        let (Some(op), Some(target)) = (words.next(), words.next()) else { continue };
        let digits = |rest: &str| rest.chars().take_while(char::is_ascii_digit).collect::<String>();
        match op {
            "jump" if target.starts_with("block") => return Some(format!("block{}", digits(&target[5..]))),
            "jmp" | "j" if target.starts_with("label") => return Some(format!("block{}", digits(&target[5..]))),
            _ => {}
        }
    }
    None
}

/// The exit number an exit block returns, if the block has that shape.
fn exit_number(body: &[&str]) -> Option<u32> {
    let last = body.iter().rev().find(|l| !l.trim().is_empty())?.trim();
    if !(last.starts_with("jump block") || last.starts_with("jmp")) {
        return None;
    }
    let mut number = None;
    for line in body {
        let line = line.trim();
        if let Some(rest) = line.split("= iconst.i32 ").nth(1) {
            number = rest.split_whitespace().next().and_then(|n| n.parse().ok());
        } else if let Some(rest) = line.strip_prefix("movl $0x") {
            number = rest.strip_suffix(", %eax").and_then(|hex| u32::from_str_radix(hex, 16).ok());
        } else if line == "xorl %eax, %eax" {
            number = Some(0);
        }
    }
    number
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_back_edge_target_and_the_exit_blocks_are_labelled() {
        let asm = "block0:\n  jnz label1; j label2\nblock2:\n  jmp label3\nblock3:\n  subq $0x1, %r8\n  \
                   load_ext_name userextname0+0, %rcx\n  jnz label1; j label4\nblock4:\n  jmp label3\n\
                   block1:\n  movl $0x3, %eax\n  jmp label2\nblock9:\n  retq\n  unwind SaveReg\n";
        let labelled = label_listing(asm, &[10, 11, 12, 13]);
        assert!(labelled.contains("->LOOP:\nblock3:"), "{labelled}");
        assert!(labelled.contains("->exit 3 (line 13):\nblock1:"), "{labelled}");
        assert!(!labelled.contains("unwind"), "{labelled}");
        assert!(!labelled.contains("->exit 0"), "{labelled}");
        // A slow path jumping back (block1 to block2) is not the loop.
        assert_eq!(labelled.matches("->LOOP").count(), 1, "{labelled}");
    }
}
