//! The explorer page in a real browser: `toyjit run --explore PAGE --trace-dump FILE` writes
//! the page and, from the same run, the text dump; headless Chromium (Debian's `chromium`)
//! opens the page with `#click=T1:N` (the page's script then clicks IR line N of T1, a guard)
//! and prints the DOM. The test checks that the page ran without errors, that the tree SVG has
//! one node per compiled trace and, on each exit edge, the count the dump's exit summary gives,
//! and that the click highlighted the guard's source line.
//!
//! Skipped, saying so, only when no browser is installed (`.ci/run` installs `chromium`).

use std::path::{Path, PathBuf};
use std::process::Command;

const PROGRAMS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/programs");

/// The browser on PATH, if any.
fn browser() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

/// `(trace, exit, count)` for every exit the dump's summary says was taken, e.g. from
/// `[jit] T2 at f.toy:7 in f: exit 3 (line 9: if n % p[0] == 0) taken 10 times, ...`.
fn exit_counts(dump: &str) -> Vec<(u32, u32, u64)> {
    let mut counts = Vec::new();
    for line in dump.lines().filter(|l| l.starts_with("[jit] T") && l.contains(" taken ")) {
        let trace: u32 = line[7..].split([' ', ':']).next().and_then(|t| t.parse().ok()).expect("a trace number");
        let mut rest = line;
        while let Some(taken) = rest.find(" taken ") {
            let before = &rest[..taken];
            let exit_at =
                before.rfind(": exit ").map(|i| i + 2).into_iter().chain(before.rfind(", exit ").map(|i| i + 2)).max();
            let exit_at = exit_at.expect("an exit before 'taken'");
            let exit: u32 =
                before[exit_at + 5..].split(' ').next().and_then(|n| n.parse().ok()).expect("an exit number");
            let after = &rest[taken + 7..];
            let count: u64 = after.split(' ').next().and_then(|n| n.parse().ok()).expect("a count");
            counts.push((trace, exit, count));
            rest = after;
        }
    }
    counts
}

/// The value of attribute `name` in an element's text (`data-count="10"`).
fn attribute<'a>(element: &'a str, name: &str) -> Option<&'a str> {
    let start = element.find(&format!(" {name}=\""))? + name.len() + 3;
    element[start..].split('"').next()
}

/// The start tags in `dom` that begin with `prefix` (`<text class="exit-label"`).
fn tags<'a>(dom: &'a str, prefix: &str) -> Vec<&'a str> {
    dom.match_indices(prefix).map(|(i, _)| &dom[i..i + dom[i..].find('>').unwrap_or(0)]).collect()
}

fn check_page(browser: &Path, program: &str) {
    let dir = std::env::temp_dir().join(format!("toyjit-explore-{}-{program}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let page = dir.join("page.html");
    let output = Command::new(env!("CARGO_BIN_EXE_toyjit"))
        .args(["run", "--trace-dump", "--explore"])
        .arg(&page)
        .arg(Path::new(PROGRAMS).join(format!("{program}.toy")))
        .output()
        .expect("toyjit runs");
    assert!(output.status.success(), "{program}: {}", String::from_utf8_lossy(&output.stderr));
    let dump = String::from_utf8_lossy(&output.stderr).into_owned();

    // The first guard of T1 and its source line, from the dump's IR listing.
    let t1 = dump.split("==== trace T1:").nth(1).expect("T1 in the dump");
    let guard = t1.lines().find(|l| l.contains(" Guard %")).expect("a guard in T1");
    let index: u32 = guard[..4].parse().expect("an IR index");
    let line: u32 = guard
        .split(" line ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("a line");

    let size = std::fs::metadata(&page).expect("the page is written").len();
    assert!(size < 2_000_000, "{program}: the page has {size} bytes");
    let browser_run = Command::new(browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0"])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg("--dump-dom")
        .arg(format!("file://{}#click=T1:{index}", page.display()))
        .output()
        .expect("the browser runs");
    let dom = String::from_utf8_lossy(&browser_run.stdout);
    let log = String::from_utf8_lossy(&browser_run.stderr);
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(console.is_empty(), "{program}: console messages:\n{}", console.join("\n"));
    assert!(dom.contains("<div id=\"errors\"></div>"), "{program}: the page reported errors");
    assert!(dom.contains("data-clicked=\"yes\""), "{program}: IR line {index} of T1 was not found");

    // One node per compiled trace.
    let traces: Vec<String> = dump
        .lines()
        .filter_map(|l| l.strip_prefix("==== trace T"))
        .map(|l| l.split(':').next().unwrap_or("").to_string())
        .collect();
    let mut nodes: Vec<String> =
        tags(&dom, "<g class=\"node").iter().filter_map(|t| attribute(t, "data-trace")).map(str::to_string).collect();
    nodes.sort();
    let mut expected = traces.clone();
    expected.sort();
    assert_eq!(nodes, expected, "{program}: the tree's nodes");

    // Each exit edge carries the count the dump gives, and every exit taken has an edge.
    let counts = exit_counts(&dump);
    let labels = tags(&dom, "<text class=\"exit-label\"");
    for label in &labels {
        let key =
            (attribute(label, "data-trace"), attribute(label, "data-exit-number"), attribute(label, "data-count"));
        let (Some(trace), Some(exit), Some(count)) = key else { panic!("{program}: a bad label {label}") };
        let (trace, exit, count): (u32, u32, u64) =
            (trace.parse().unwrap(), exit.parse().unwrap(), count.parse().unwrap());
        let dumped = counts.iter().find(|c| c.0 == trace && c.1 == exit).map_or(0, |c| c.2);
        assert_eq!(count, dumped, "{program}: T{trace} exit {exit}");
    }
    for (trace, exit, _) in &counts {
        let shown = labels.iter().any(|l| {
            attribute(l, "data-trace") == Some(&trace.to_string())
                && attribute(l, "data-exit-number") == Some(&exit.to_string())
        });
        assert!(shown, "{program}: T{trace} exit {exit} is taken but not in the tree");
    }

    // The click on the guard highlighted its source line.
    let source_line = tags(&dom, "<div class=\"src-line")
        .into_iter()
        .find(|t| attribute(t, "data-line") == Some(&line.to_string()))
        .unwrap_or_else(|| panic!("{program}: no source line {line}"));
    assert!(source_line.contains("src-line hl"), "{program}: line {line} is not highlighted: {source_line}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_explorer_page_renders_the_trace_tree_and_links_guards_to_source_lines() {
    let Some(browser) = browser() else {
        eprintln!(
            "SKIPPED: no browser installed (chromium, chromium-browser or google-chrome on PATH); `apt-get install chromium` to run this test"
        );
        return;
    };
    let programs: [&'static str; 2] = ["mandel", "primes"];
    let checks: Vec<_> = programs
        .into_iter()
        .map(|program| {
            let browser = browser.clone();
            std::thread::spawn(move || check_page(&browser, program))
        })
        .collect();
    for (check, program) in checks.into_iter().zip(programs) {
        if let Err(panic) = check.join() {
            eprintln!("{program} failed");
            std::panic::resume_unwind(panic);
        }
    }
}

#[test]
fn exit_summaries_parse() {
    let dump = "[jit] T2 at f.toy:7 in f: exit 3 (line 9: if n % p[0] == 0) taken 10 times, then its side trace ran, \
                exit 4 (line 9: the link into T1) taken 64044 times: T2 goes on in T1's native code (64040 times)\n[jit] T5: exit 6 (line 7: unless float(x) > 1) taken 1 time";
    assert_eq!(exit_counts(dump), vec![(2, 3, 10), (2, 4, 64044), (5, 6, 1)]);
}

/// The page with its times blanked: `"timing":{...}`, `"lineTime":{...}` and `"nativeMs":N`.
fn without_times(page: &str) -> String {
    let mut out = String::new();
    let mut rest = page;
    loop {
        let next = ["\"timing\":{", "\"lineTime\":{", "\"nativeMs\":"]
            .iter()
            .filter_map(|key| rest.find(key).map(|at| (at, *key)))
            .min();
        let Some((at, key)) = next else { break };
        out.push_str(&rest[..at + key.len()]);
        rest = &rest[at + key.len()..];
        let end = rest.find(if key.ends_with('{') { '}' } else { ',' }).expect("the value ends");
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Two runs of the same program write the same page, apart from the measured times.
#[test]
fn the_page_is_deterministic_apart_from_timings() {
    let dir = std::env::temp_dir().join(format!("toyjit-explore-determinism-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let program = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/dump/nested.toy");
    let pages: Vec<String> = (0..2)
        .map(|run| {
            let page = dir.join(format!("page{run}.html"));
            let status = Command::new(env!("CARGO_BIN_EXE_toyjit"))
                .args(["run", "--jit-threshold", "1", "--explore"])
                .arg(&page)
                .arg(program)
                .output()
                .expect("toyjit runs")
                .status;
            assert!(status.success());
            std::fs::read_to_string(&page).expect("the page is written")
        })
        .collect();
    assert!(pages[0].contains("\"traces\":[{"), "no trace in the page");
    assert!(without_times(&pages[0]) == without_times(&pages[1]), "the two pages differ beyond their times");
    let _ = std::fs::remove_dir_all(&dir);
}
