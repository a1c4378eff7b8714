//! A command never writes over its own input: `--out` naming the `--in` file, a symbolic or hard
//! link to it, or two outputs naming one file, is refused before anything is read, and the input
//! is left as it was.

mod common;

use std::path::Path;

use common::{fails, gen_citizens, ok, s};

fn unchanged(path: &Path, before: &[u8]) {
    assert_eq!(
        std::fs::read(path).expect("the input is still there"),
        before,
        "{} was changed",
        path.display()
    );
}

#[test]
fn deid_refuses_to_write_over_its_input_by_name_or_link() {
    let dir = tempfile::tempdir().expect("dir");
    let input = gen_citizens(dir.path(), 50, 7, "c.csv");
    let policy = dir.path().join("p.toml");
    ok(&["scan", s(&input), "--policy-out", s(&policy)]);
    let before = std::fs::read(&input).expect("input");
    let symlink = dir.path().join("link.csv");
    std::os::unix::fs::symlink(&input, &symlink).expect("symlink");
    let hard = dir.path().join("hard.csv");
    std::fs::hard_link(&input, &hard).expect("hard link");
    // The same file under another spelling of its path, too.
    let dotted = dir.path().join(".").join("c.csv");
    for out in [&input, &symlink, &hard, &dotted] {
        let err = fails(&[
            "deid",
            "--policy",
            s(&policy),
            "--in",
            s(&input),
            "--out",
            s(out),
        ]);
        assert!(err.contains("same file as --in"), "{err}");
        unchanged(&input, &before);
    }
    // Nor over the policy, nor the output and the report to one file.
    let err = fails(&[
        "deid",
        "--policy",
        s(&policy),
        "--in",
        s(&input),
        "--out",
        s(&policy),
    ]);
    assert!(err.contains("same file as --policy"), "{err}");
    let out = dir.path().join("out.csv");
    let err = fails(&[
        "deid",
        "--policy",
        s(&policy),
        "--in",
        s(&input),
        "--out",
        s(&out),
        "--report",
        s(&out),
    ]);
    assert!(err.contains("are the same file"), "{err}");
    assert!(!out.exists(), "nothing is written when the run is refused");
}

#[test]
fn every_command_that_writes_refuses_its_input_as_output() {
    let dir = tempfile::tempdir().expect("dir");
    let input = gen_citizens(dir.path(), 20, 3, "c.csv");
    let before = std::fs::read(&input).expect("input");
    let policy = dir.path().join("p.toml");
    std::fs::write(
        &policy,
        "# any policy: the refusal comes before it is read\n",
    )
    .expect("policy");
    for (command, flags) in [
        (
            "anonymize",
            vec![
                "--policy",
                s(&policy),
                "--in",
                s(&input),
                "--out",
                s(&input),
            ],
        ),
        (
            "reidentify",
            vec![
                "--policy",
                s(&policy),
                "--in",
                s(&input),
                "--out",
                s(&input),
            ],
        ),
        ("scan", vec![s(&input), "--policy-out", s(&input)]),
    ] {
        let mut args = vec![command];
        args.extend(flags);
        let err = fails(&args);
        assert!(err.contains("same file as"), "{command}: {err}");
        unchanged(&input, &before);
    }
    let err = fails(&[
        "gen",
        "citizens",
        "--rows",
        "5",
        "--out",
        s(&input),
        "--truth",
        s(&input),
    ]);
    assert!(err.contains("are the same file"), "{err}");
    unchanged(&input, &before);
}
