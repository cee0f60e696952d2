//! Build script: generates the LR parser from `src/parser/grammar.lalrpop`.
fn main() {
    lalrpop::Configuration::new().use_cargo_dir_conventions().process().expect("lalrpop failed to generate the parser");
}
