use super::*;

const GOOD: &str = r#"version = 1

[dataset]
key_env = "PUBDATA_KEY"
on_invalid = "null"

[columns."身份证号"]
op = "encrypt_fpe"
format = "resident_id"
keep_birth = true

[columns.mobile]
op = "mask"
keep_first = 3
keep_last = 4

[columns.visit]
op = "date_shift"
max_days = 30
by = "身份证号"

[columns.income]
op = "generalize"
interval = 10000

[columns.remarks]
op = "redact"
types = ["person_name", "cn_mobile"]
"#;

fn cols(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

fn errors(text: &str) -> Vec<PolicyError> {
    Policy::parse(text).expect_err("policy must be refused")
}

#[test]
fn a_complete_policy_parses_in_file_order() {
    let p = Policy::parse(GOOD).expect("valid");
    assert_eq!(p.dataset.key, Some(KeySource::Env("PUBDATA_KEY".into())));
    assert_eq!(p.dataset.on_invalid, OnInvalid::Null);
    let names: Vec<&str> = p.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["身份证号", "mobile", "visit", "income", "remarks"]);
    assert_eq!(
        p.columns[1].operator,
        Operator::Mask {
            keep_first: 3,
            keep_last: 4,
            mask_char: '*'
        }
    );
    assert_eq!(p.columns[1].line, 12);
    assert!(
        p.check_columns(&cols(&["身份证号", "mobile", "visit", "income", "remarks"]))
            .is_empty()
    );
}

#[test]
fn a_column_without_a_rule_is_refused_not_passed_through() {
    let p = Policy::parse(GOOD).expect("valid");
    let errs = p.check_columns(&cols(&[
        "身份证号",
        "mobile",
        "visit",
        "income",
        "remarks",
        "name",
    ]));
    assert_eq!(errs.len(), 1);
    assert!(
        errs[0].message.contains("\"name\" has no rule"),
        "{}",
        errs[0].message
    );
}

#[test]
fn rules_for_missing_columns_name_their_line() {
    let p = Policy::parse(GOOD).expect("valid");
    let errs = p.check_columns(&cols(&["mobile", "visit", "income", "remarks"]));
    // The 身份证号 rule (line 7) and date_shift's `by` (line 17) both point at a missing column.
    let lines: Vec<usize> = errs.iter().map(|e| e.line).collect();
    assert_eq!(lines, [7, 17], "{errs:?}");
}

#[test]
fn misspelt_parameters_and_unknown_operators_are_errors_with_lines() {
    let e = errors(
        "version = 1\n[columns.a]\nop = \"mask\"\nkeep_frst = 3\n[columns.b]\nop = \"shred\"\n",
    );
    assert_eq!(e.len(), 2);
    assert_eq!(e[0].line, 2);
    assert!(e[0].message.contains("keep_frst"), "{}", e[0].message);
    assert_eq!(e[1].line, 5);
    assert!(
        e[1].message.contains("unknown op \"shred\""),
        "{}",
        e[1].message
    );
}

#[test]
fn keyed_operators_need_a_key_source_and_only_one() {
    let e = errors("version = 1\n[columns.id]\nop = \"pseudonymize\"\n");
    assert!(
        e[0].message.contains("names no key_env or key_file"),
        "{}",
        e[0].message
    );
    let e = errors(
        "version = 1\n[dataset]\nkey_env = \"K\"\nkey_file = \"k.key\"\n[columns.id]\nop = \"keep\"\n",
    );
    assert_eq!(e[0].line, 2);
    assert!(e[0].message.contains("both"), "{}", e[0].message);
    assert!(
        Policy::parse(
            "version = 1\n[dataset]\nkey_file = \"k.key\"\n[columns.id]\nop = \"pseudonymize\"\n"
        )
        .is_ok()
    );
}

#[test]
fn syntax_errors_and_wrong_types_point_at_the_line() {
    let e = errors("version = 1\n\n[columns.a\nop = \"keep\"\n");
    assert_eq!(e[0].line, 3, "{e:?}");
    let e = errors("version = 1\n[columns.a]\nop = \"mask\"\nkeep_first = \"three\"\n");
    assert!(
        e[0].message.contains("keep_first must be a whole number"),
        "{}",
        e[0].message
    );
    let e = errors("version = 1\n[dataset]\non_invalid = \"ignore\"\n");
    assert_eq!(e[0].line, 3, "{e:?}");
    let e = errors("version = 2\n");
    assert!(e[0].message.contains("version 2"));
}

#[test]
fn generalize_takes_exactly_one_method() {
    let e = errors("version = 1\n[columns.a]\nop = \"generalize\"\ninterval = 10\nprefix = 3\n");
    assert!(e[0].message.contains("not several"), "{}", e[0].message);
    let e = errors("version = 1\n[columns.a]\nop = \"generalize\"\nto = \"week\"\n");
    assert!(e[0].message.contains("\"week\""), "{}", e[0].message);
    let e = errors("version = 1\n[columns.a]\nop = \"generalize\"\nhierarchy = \"h.csv\"\n");
    assert!(e[0].message.contains("level"), "{}", e[0].message);
    let p = Policy::parse("version = 1\n[columns.a]\nop = \"generalize\"\nto = \"province\"\n")
        .expect("valid");
    assert_eq!(
        p.columns[0].operator,
        Operator::Generalize(Generalization::Place(PlaceLevel::Province))
    );
}

#[test]
fn short_pseudonyms_and_non_positive_noise_are_refused() {
    let e = errors(
        "version = 1\n[dataset]\nkey_env = \"K\"\n[columns.a]\nop = \"pseudonymize\"\nlength = 4\n",
    );
    assert!(e[0].message.contains("collide"));
    let e = errors("version = 1\n[columns.a]\nop = \"noise\"\nscale = 0\nbound = 5\n");
    assert!(e[0].message.contains("> 0"));
}

#[test]
fn redact_detects_in_redaction_mode_unless_strict() {
    let p = Policy::parse(GOOD).expect("valid");
    assert!(matches!(
        p.columns[4].operator,
        Operator::Redact { strict: false, .. }
    ));
    let strict = GOOD.replace(
        "types = [\"person_name\", \"cn_mobile\"]",
        "types = [\"person_name\", \"cn_mobile\"]\nstrict = true",
    );
    let p = Policy::parse(&strict).expect("valid");
    assert!(matches!(
        p.columns[4].operator,
        Operator::Redact { strict: true, .. }
    ));
    let bad = GOOD.replace(
        "types = [\"person_name\", \"cn_mobile\"]",
        "strict = \"yes\"",
    );
    let e = errors(&bad);
    assert!(e.iter().any(|e| e.to_string().contains("strict")), "{e:?}");
}

#[test]
fn encrypt_fpe_regions_name_a_built_in_table_and_go_with_resident_ids_only() {
    let rule = |params: &str| {
        format!(
            "version = 1\n[dataset]\nkey_env = \"K\"\n[columns.id]\nop = \"encrypt_fpe\"\n{params}\n"
        )
    };
    let p = Policy::parse(&rule(
        "format = \"resident_id\"\nregions = \"gbt2260-2023\"",
    ))
    .expect("valid");
    assert_eq!(
        p.columns[0].operator,
        Operator::EncryptFpe(FpeSpec {
            format: FpeFormat::ResidentId,
            keep_birth: false,
            regions: Some(FpeRegions::Gbt2260_2023),
        })
    );
    // Absent: no table, the encryption every earlier policy made.
    let p = Policy::parse(&rule("format = \"resident_id\"\nkeep_birth = true")).expect("valid");
    assert_eq!(
        p.columns[0].operator,
        Operator::EncryptFpe(FpeSpec {
            format: FpeFormat::ResidentId,
            keep_birth: true,
            regions: None,
        })
    );
    let e = errors(&rule(
        "format = \"resident_id\"\nregions = \"gbt2260-2022\"",
    ));
    assert_eq!(e[0].line, 4, "{e:?}");
    assert!(
        e[0].message.contains("\"gbt2260-2022\"") && e[0].message.contains("gbt2260-2023"),
        "{}",
        e[0].message
    );
    let e = errors(&rule("format = \"mobile\"\nregions = \"gbt2260-2023\""));
    assert!(
        e[0].message
            .contains("regions goes with format = \"resident_id\""),
        "{}",
        e[0].message
    );
    // The default format is digits, so a table alone is refused too.
    let e = errors(&rule("regions = \"gbt2260-2023\""));
    assert!(
        e[0].message.contains("regions goes with"),
        "{}",
        e[0].message
    );
    let e = errors(&rule("format = \"resident_id\"\nregions = true"));
    assert!(
        e[0].message.contains("regions must be a string"),
        "{}",
        e[0].message
    );
}
