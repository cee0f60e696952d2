//! Where programs print: stdout, buffered (line-buffered on a terminal, like CPython), or a
//! string buffer (tests, the REPL's capture). Write errors such as a closed pipe are swallowed
//! here so that printing can never panic; the driver flushes at exit.

use std::io::{self, IsTerminal, Write};

pub enum Output {
    /// Block-buffered stdout (a pipe or file).
    Buffered(io::BufWriter<io::Stdout>),
    /// Line-buffered stdout (a terminal).
    Terminal(io::LineWriter<io::Stdout>),
    /// Collected in memory.
    Capture(Vec<u8>),
}

impl Output {
    /// Stdout, buffered the way CPython buffers it.
    pub fn stdout() -> Output {
        let stdout = io::stdout();
        if stdout.is_terminal() {
            Output::Terminal(io::LineWriter::new(stdout))
        } else {
            Output::Buffered(io::BufWriter::with_capacity(1 << 16, stdout))
        }
    }

    /// The captured text (empty unless this is a `Capture`).
    pub fn captured(&self) -> String {
        match self {
            Output::Capture(bytes) => String::from_utf8_lossy(bytes).into_owned(),
            _ => String::new(),
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let result = match self {
            Output::Buffered(w) => w.write_all(buf),
            Output::Terminal(w) => w.write_all(buf),
            Output::Capture(v) => {
                v.extend_from_slice(buf);
                Ok(())
            }
        };
        // A closed stdout must not stop (or crash) the program: drop the bytes.
        let _ = result;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let _ = match self {
            Output::Buffered(w) => w.flush(),
            Output::Terminal(w) => w.flush(),
            Output::Capture(_) => Ok(()),
        };
        Ok(())
    }
}
