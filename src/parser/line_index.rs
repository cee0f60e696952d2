//! Byte offset → line/column conversion for error messages and tracebacks.
//!
//! A [`LineIndex`] is built once per source text. Line breaks are `\n`, `\r\n` and a lone `\r`
//! (the same set the lexer uses). Lines are 1-based; columns are 1-based and count characters,
//! not bytes, as CPython's `SyntaxError.offset` does.

/// The start offsets of every line of one source text.
#[derive(Clone, Debug)]
pub struct LineIndex {
    /// Byte offset where each line starts; `starts[0] == 0`.
    starts: Vec<u32>,
    /// Length of the source in bytes.
    len: u32,
    /// Byte offset of every multi-byte character and the sum of the extra bytes (beyond one) of
    /// all multi-byte characters up to and including it; lets `line_col` count characters.
    wide: Vec<(u32, u32)>,
}

impl LineIndex {
    pub fn new(source: &str) -> LineIndex {
        let bytes = source.as_bytes();
        let mut wide = Vec::new();
        let mut extra = 0u32;
        for (i, c) in source.char_indices() {
            if c.len_utf8() > 1 {
                extra += c.len_utf8() as u32 - 1;
                wide.push((i as u32, extra));
            }
        }
        let mut starts = vec![0u32];
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => starts.push(i as u32 + 1),
                b'\r' => {
                    if bytes.get(i + 1) == Some(&b'\n') {
                        i += 1;
                    }
                    starts.push(i as u32 + 1);
                }
                _ => {}
            }
            i += 1;
        }
        LineIndex { starts, len: bytes.len() as u32, wide }
    }

    /// The 1-based line holding `byte_offset` (offsets past the end map to the last line).
    pub fn line_of(&self, byte_offset: u32) -> u32 {
        let offset = byte_offset.min(self.len);
        // The last start that is <= offset.
        let idx = self.starts.partition_point(|&s| s <= offset).saturating_sub(1);
        idx as u32 + 1
    }

    /// 1-based line and 1-based column of `byte_offset`, the column counted in characters.
    pub fn line_col(&self, byte_offset: u32) -> (u32, u32) {
        let offset = byte_offset.min(self.len);
        let line = self.line_of(offset);
        let start = self.starts[(line - 1) as usize];
        let col = offset - start - (self.extra_before(offset) - self.extra_before(start));
        (line, col + 1)
    }

    /// Extra bytes of the multi-byte characters that start before `offset`.
    fn extra_before(&self, offset: u32) -> u32 {
        let n = self.wide.partition_point(|&(at, _)| at < offset);
        if n == 0 { 0 } else { self.wide[n - 1].1 }
    }

    /// The text of a 1-based line without its line break ("" for a line that does not exist).
    pub fn line_text<'a>(&self, source: &'a str, line: u32) -> &'a str {
        if line == 0 || line as usize > self.starts.len() {
            return "";
        }
        let start = self.starts[(line - 1) as usize] as usize;
        let end = self.starts.get(line as usize).map_or(source.len(), |&e| e as usize);
        let text = source.get(start..end.min(source.len())).unwrap_or("");
        text.trim_end_matches(['\n', '\r'])
    }

    /// The byte offset where a 1-based line starts (`None` for a line that does not exist).
    pub fn line_start(&self, line: u32) -> Option<usize> {
        let index = (line as usize).checked_sub(1)?;
        self.starts.get(index).map(|&start| start as usize)
    }

    /// Number of lines (a final line without a line break counts; an empty source has one).
    pub fn line_count(&self) -> u32 {
        self.starts.len() as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns() {
        let src = "ab\ncé d\r\nx\ry";
        let idx = LineIndex::new(src);
        assert_eq!(idx.line_of(0), 1);
        assert_eq!(idx.line_of(2), 1);
        assert_eq!(idx.line_of(3), 2);
        assert_eq!(idx.line_col(7), (2, 4)); // 'd' after the two-byte 'é'
        assert_eq!(idx.line_text(src, 2), "cé d");
        assert_eq!(idx.line_text(src, 3), "x");
        assert_eq!(idx.line_text(src, 4), "y");
        assert_eq!(idx.line_text(src, 9), "");
        assert_eq!(idx.line_count(), 4);
        assert_eq!(idx.line_of(1000), 4);
    }
}
