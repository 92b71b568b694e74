//! Every expected `prometheus.yml` of the splice tests is a config Prometheus accepts, as judged
//! by the real `promtool check config` (Debian package `prometheus`).

use std::fs;
use std::path::Path;
use std::process::Command;

use pushgw_tests::find_program;

#[test]
fn promtool_accepts_every_spliced_file() {
    let promtool = find_program("promtool", "prometheus");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("test_data/promyaml/after");
    let mut checked = 0;
    let mut failures = Vec::new();
    for entry in fs::read_dir(&dir).expect("test_data/promyaml/after") {
        let path = entry.expect("a directory entry").path();
        // rules.yml is the rule file one case refers to, not a config.
        if path.extension().is_none_or(|ext| ext != "yml") || path.ends_with("rules.yml") {
            continue;
        }
        // In place: promtool resolves relative rule_files against the file's directory.
        let output = Command::new(&promtool)
            .args(["check", "config"])
            .arg(&path)
            .output()
            .expect("running promtool");
        if !output.status.success() {
            failures.push(format!(
                "{}: {}{}",
                path.display(),
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        checked += 1;
    }
    assert!(
        checked >= 15,
        "only {checked} spliced files found in {}",
        dir.display()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
