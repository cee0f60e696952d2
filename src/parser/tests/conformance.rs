//! Parses the conformance suite (`tests/conformance-suite`), the dump tests and `programs/`
//! (the golden tests include compile-time errors, checked by `tests/golden.rs`).
//!
//! Ordinary programs must parse; `err_syntax_*` ones must fail with the exception class in
//! their `.err` file; `unsupported/*` ones must fail with a "not supported" error naming the
//! feature on the line their `.note` gives.

use crate::parser::{SyntaxErrorKind, parse};
use std::path::{Path, PathBuf};

fn repo_dir(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(sub)
}

fn toy_files(dir: &Path) -> Option<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toy"))
        .collect();
    files.sort();
    Some(files)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

#[test]
fn suite_dump_and_example_programs() {
    let mut checked = 0;
    for sub in ["tests/conformance-suite", "tests/dump", "programs"] {
        let files = toy_files(&repo_dir(sub)).unwrap_or_else(|| panic!("{sub}: folder not found"));
        assert!(!files.is_empty(), "{sub}: no program found");
        for path in files {
            let src = read(&path);
            let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string();
            let result = parse(&src);
            if name.starts_with("err_syntax_") {
                let class = read(&path.with_extension("err")).trim().to_string();
                let e = result.expect_err(&name);
                assert_eq!(e.kind.class_name(), class, "{name}: {e}");
                assert_ne!(e.kind, SyntaxErrorKind::NotSupported, "{name}");
            } else if let Err(e) = result {
                panic!("{} does not parse: {e}\n{}", path.display(), e.render(&name, &src));
            }
            checked += 1;
        }
    }
    eprintln!("checked {checked} programs");
}

#[test]
fn unsupported_programs() {
    let dir = repo_dir("tests/conformance-suite/unsupported");
    let files = toy_files(&dir).unwrap_or_else(|| panic!("{}: folder not found", dir.display()));
    assert!(!files.is_empty(), "{}: no program found", dir.display());
    for path in files {
        let src = read(&path);
        let note = read(&path.with_extension("note"));
        let e = parse(&src).expect_err(&path.display().to_string());
        let rendered = e.render("prog.toy", &src);
        assert_eq!(e.kind, SyntaxErrorKind::NotSupported, "{}: {rendered}", path.display());
        assert!(e.message.contains("not supported"), "{rendered}");
        // The note names the line as "(line N)" or "line N".
        let line = note
            .split("line ")
            .skip(1)
            .find_map(|s| s.chars().take_while(|c| c.is_ascii_digit()).collect::<String>().parse::<u32>().ok());
        assert_eq!(Some(e.line), line, "{}: {rendered}", path.display());
        assert!(rendered.contains(&format!("line {}", e.line)));
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        let feature = match stem.trim_start_matches("unsup_") {
            "class" => "class",
            "decorator" => "decorator",
            "import_os" => "'os'",
            "nonlocal" => "nonlocal",
            "star_args" => "*args",
            "tab_indent" => "tab",
            "with" => "with",
            "yield" => "yield",
            other => other,
        };
        assert!(e.message.contains(feature), "{stem}: {}", e.message);
    }
}
