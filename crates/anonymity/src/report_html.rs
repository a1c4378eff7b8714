//! The anonymization report as one self-contained HTML page, for the data officer who signs off
//! a release rather than for a statistician: a verdict in words first, then the figures behind
//! it. Everything is inline (CSS in a `<style>`, charts as SVG, no scripts, no links to fetch)
//! so the page can be archived next to the output and opened offline years later, and the same
//! report always renders to the same bytes.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::report::{AnonymizeReport, QiSummary, RequirementCheck};
use crate::risk::{AttackerRisk, RiskReport, SizeBucket};

/// Colours shared by the CSS and the SVG charts, so legends and bars cannot drift apart.
const BEFORE: &str = "#9aa5b1";
const AFTER: &str = "#1f6fb2";
const RISKY: &str = "#fde2e1";
const ALERT: &str = "#c0392b";
const GRID: &str = "#d9dee3";
const INK: &str = "#24292f";

const CSS: &str = "
body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif;
  color: #24292f; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.7rem; margin-bottom: .4rem; }
h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 1px solid #d9dee3; padding-bottom: .2rem; }
p.verdict { font-size: 1.05rem; padding: .8rem 1rem; border-radius: 6px; border-left: 6px solid; }
p.verdict.pass { background: #e9f6ec; border-color: #1e7e34; }
p.verdict.failed { background: #fdecea; border-color: #c0392b; }
.alert { color: #c0392b; font-weight: 700; }
table { border-collapse: collapse; margin: .6rem 0; }
th, td { padding: .3rem .7rem; border-bottom: 1px solid #d9dee3; text-align: left; vertical-align: top; }
th { background: #f3f5f7; font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.ok { color: #1e7e34; font-weight: 700; text-align: center; }
td.fail { color: #c0392b; font-weight: 700; text-align: center; background: #fdecea; }
tr.group th { background: #fff; border-bottom: 2px solid #d9dee3; padding-top: .8rem; }
.hint { color: #57606a; font-size: .85rem; }
table.files td:first-child { white-space: nowrap; color: #57606a; }
code { font-family: ui-monospace, 'SFMono-Regular', Consolas, monospace; font-size: .9em; word-break: break-all; }
.lossbar { display: inline-block; width: 6rem; height: .6rem; background: #eef1f4;
  border-radius: 3px; margin-left: .5rem; vertical-align: middle; overflow: hidden; }
.lossbar span { display: block; height: 100%; background: #1f6fb2; }
svg { display: block; max-width: 100%; height: auto; margin: .8rem 0; font-size: 12px; }
footer { margin-top: 2.5rem; padding-top: .6rem; border-top: 1px solid #d9dee3; color: #57606a; font-size: .9rem; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } svg, table { break-inside: avoid; } }
";

/// Renders `report` as a complete HTML5 page. Every string is escaped (the template escapes
/// whatever it inserts), since column names and paths come from users; nothing time-dependent
/// is added, so equal reports give equal pages.
pub fn render(report: &AnonymizeReport) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Anonymization report" }
                // The style sheet is this file's constant, not input.
                style { (PreEscaped(CSS)) }
            }
            body {
                h1 { "Anonymization report" }
                (verdict(report))
                (requirements(&report.requirements))
                (risk_table(&report.risk_before, &report.risk_after))
                (class_size_chart(&report.risk_before, &report.risk_after))
                (prosecutor_chart(&report.risk_before, &report.risk_after))
                (quasi_identifiers(&report.quasi_identifiers))
                (footer(report))
            }
        }
    }
    .into_string()
}

/// A coordinate with one decimal, as the charts write them.
fn f1(x: f64) -> String {
    format!("{x:.1}")
}

/// A share as a percentage. Tiny non-zero shares and near-total ones are not rounded to 0 % or
/// 100 %: "no record at risk" must only be said when it is true.
fn pct(share: f64) -> String {
    if !share.is_finite() {
        return "–".to_string();
    }
    let p = share * 100.0;
    if p > 0.0 && p < 0.05 {
        "< 0.1 %".to_string()
    } else if p > 99.95 && p < 100.0 {
        "> 99.9 %".to_string()
    } else {
        format!("{p:.1} %")
    }
}

/// A risk (a probability) with the four digits the thresholds are written with.
fn risk(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.4}")
    } else {
        "–".to_string()
    }
}

/// A count with thousands separators, as record counts run into the millions.
fn int(n: u64) -> String {
    let digits = n.to_string();
    let mut s = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            s.push(',');
        }
        s.push(c);
    }
    s
}

/// A count with its noun, singular or plural as the count needs.
fn counted(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", int(n), if n == 1 { one } else { many })
}

/// A free-form number (a margin, a score): whole numbers without decimals, others with as many
/// as their size warrants.
fn num(x: f64) -> String {
    if !x.is_finite() {
        "–".to_string()
    } else if x.fract() == 0.0 && x.abs() < 1e15 {
        let s = int(x.abs() as u64);
        if x < 0.0 { format!("-{s}") } else { s }
    } else if x.abs() >= 1000.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.4}")
    }
}

/// A margin with its sign, so "met by" and "missed by" read apart at a glance.
fn signed(x: f64) -> String {
    let s = num(x);
    if x > 0.0 { format!("+{s}") } else { s }
}

fn verdict(r: &AnonymizeReport) -> Markup {
    let failed: Vec<&str> = r
        .requirements
        .iter()
        .filter(|c| !c.met)
        .map(|c| c.name.as_str())
        .collect();
    let share = if r.records_in > 0 {
        r.suppressed as f64 / r.records_in as f64
    } else {
        0.0
    };
    let class = if failed.is_empty() && !r.requirements.is_empty() {
        "pass"
    } else {
        "failed"
    };
    html! {
        p class={ "verdict " (class) } {
            @if !failed.is_empty() {
                span.alert {
                    "Not all requirements are met: " (failed.len()) " of " (r.requirements.len())
                    " failed (" (failed.join(", ")) "). The output must not be released as it is."
                }
            } @else if r.requirements.is_empty() {
                span.alert { "The report lists no requirements, so nothing was checked." }
            } @else {
                strong { "All " (r.requirements.len()) " requirements of the policy are met." }
            }
            " Of " (int(r.records_in)) " records read, " (int(r.records_out))
            " were written to the output and " (int(r.suppressed)) " (" (pct(share))
            ") were suppressed, that is left out entirely because they could not be protected \
             well enough by coarsening their values."
        }
        table.files {
            @for (label, value) in [
                ("Input", &r.input),
                ("Output", &r.output),
                ("Policy", &r.policy),
                ("Policy SHA-256", &r.policy_sha256),
            ] {
                tr { td { (label) } td { code { (value) } } }
            }
        }
    }
}

fn requirements(checks: &[RequirementCheck]) -> Markup {
    html! {
        h2 { "Requirements" }
        p.hint {
            "What the policy demands and what the output achieves. The margin is how far each \
             requirement is exceeded (positive) or missed (negative)."
        }
        table {
            tr {
                th { "Requirement" } th.num { "Required" } th.num { "Achieved" } th { "Met" }
                th.num { "Margin" }
            }
            @for c in checks {
                tr {
                    td { (c.name) }
                    td.num { (c.required) }
                    td.num { (c.achieved) }
                    @if c.met { td.ok { "✓" } } @else { td.fail { "✗" } }
                    td.num { (signed(c.margin)) }
                }
            }
        }
    }
}

fn risk_table(before: &RiskReport, after: &RiskReport) -> Markup {
    let group = |title: &str| html! { tr.group { th colspan="3" { (title) } } };
    let row = |label: &str, b: String, a: String| {
        html! { tr { td { (label) } td.num { (b) } td.num { (a) } } }
    };
    let attacker = |b: &AttackerRisk, a: &AttackerRisk| {
        html! {
            (row("Highest risk of any record", risk(b.highest), risk(a.highest)))
            (row("Average risk", risk(b.average), risk(a.average)))
            (row("Records above the threshold", pct(b.above_threshold), pct(a.above_threshold)))
        }
    };
    let uniques =
        |r: &RiskReport| format!("{} ({})", int(r.sample_uniques), pct(r.sample_uniqueness));
    html! {
        h2 { "Re-identification risk" }
        p.hint {
            "The chance that someone who already knows a person's quasi-identifier values picks \
             out that person's record. A " em { "prosecutor" } " knows the person is in the \
             data; a " em { "journalist" } " only knows the person is in the wider population \
             the data was drawn from; a " em { "marketer" } " tries to match as many records as \
             possible and the figure is the share expected to be matched. A record is above the \
             threshold when its risk exceeds " (risk(after.threshold)) "."
        }
        table {
            tr { th { "Measure" } th.num { "Before" } th.num { "After" } }
            (group("Prosecutor"))
            (attacker(&before.prosecutor, &after.prosecutor))
            (group("Journalist"))
            (attacker(&before.journalist, &after.journalist))
            (group("Marketer"))
            (row(
                "Share of records expected to be re-identified",
                risk(before.marketer),
                risk(after.marketer),
            ))
            (group("The table"))
            (row("Records unique in the data", uniques(before), uniques(after)))
            (row(
                "Groups of look-alike records (classes)",
                int(before.classes),
                int(after.classes),
            ))
            (row("Records", int(before.records), int(after.records)))
            (row("Risk threshold", risk(before.threshold), risk(after.threshold)))
        }
    }
}

/// One bucket of the class-size chart, before and after side by side.
struct BucketPair {
    from: u64,
    to: u64,
    before: SizeBucket,
    after: SizeBucket,
}

/// Pairs the buckets of both reports by their bounds; the two reports normally share the same
/// buckets, but a mismatch must show as empty bars rather than as misaligned ones.
fn pair_buckets(before: &[SizeBucket], after: &[SizeBucket]) -> Vec<BucketPair> {
    let empty = |from, to| SizeBucket {
        from,
        to,
        classes: 0,
        records: 0,
    };
    let mut pairs: Vec<BucketPair> = Vec::new();
    for b in before.iter().chain(after) {
        if pairs.iter().any(|p| p.from == b.from && p.to == b.to) {
            continue;
        }
        let find = |list: &[SizeBucket]| {
            list.iter()
                .find(|x| x.from == b.from && x.to == b.to)
                .copied()
                .unwrap_or(empty(b.from, b.to))
        };
        pairs.push(BucketPair {
            from: b.from,
            to: b.to,
            before: find(before),
            after: find(after),
        });
    }
    pairs
}

fn bucket_label(from: u64, to: u64) -> String {
    if to == u64::MAX {
        format!("{from}+")
    } else if from == to {
        from.to_string()
    } else {
        format!("{from}-{to}")
    }
}

/// A round step for about four gridlines up to `max`, so the axis reads 0, 50, 100 rather than
/// 0, 37, 74.
fn nice_step(max: f64) -> f64 {
    let raw = (max / 4.0).max(1.0);
    let mag = 10f64.powf(raw.log10().floor());
    let m = raw / mag;
    let nice = if m <= 1.0 {
        1.0
    } else if m <= 2.0 {
        2.0
    } else if m <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

fn class_size_chart(before: &RiskReport, after: &RiskReport) -> Markup {
    let pairs = pair_buckets(&before.class_sizes, &after.class_sizes);
    let threshold = after.threshold;
    html! {
        h2 { "Size of the groups of look-alike records" }
        @if pairs.is_empty() {
            p.hint { "No class sizes were recorded." }
        } @else {
            p.hint {
                "How many records sit in groups of each size. A record in a group of n \
                 look-alikes has a prosecutor risk of 1/n; groups shaded red are small enough \
                 for that risk to exceed " (risk(threshold)) ". Good anonymization moves records \
                 to the right."
            }
            (class_size_svg(&pairs, threshold))
        }
    }
}

fn class_size_svg(pairs: &[BucketPair], threshold: f64) -> Markup {
    let (w, h) = (680.0, 320.0);
    let (left, right, top, bottom) = (70.0, 16.0, 40.0, 60.0);
    let (pw, ph) = (w - left - right, h - top - bottom);
    let max = pairs
        .iter()
        .map(|p| p.before.records.max(p.after.records))
        .max()
        .unwrap_or(0) as f64;
    let step = nice_step(max);
    let axis_top = (max / step).ceil().max(1.0) * step;
    let y = |v: f64| top + ph - v / axis_top * ph;
    let ticks: Vec<f64> = (0..)
        .map(|i| i as f64 * step)
        .take_while(|v| *v <= axis_top + step / 2.0)
        .collect();
    let group_w = pw / pairs.len() as f64;
    let bar_w = group_w * 0.36;
    let title = "Records per class size, before and after";
    html! {
        svg viewBox={ "0 0 " (w) " " (h) } width=(w) height=(h) role="img" aria-label=(title) {
            title { (title) }
            // Risky buckets first, so bars and gridlines draw over them; a bucket is risky if
            // its smallest class is above the threshold.
            @for (i, p) in pairs.iter().enumerate() {
                @if 1.0 / p.from.max(1) as f64 > threshold {
                    rect x=(f1(left + i as f64 * group_w)) y=(top) width=(f1(group_w))
                        height=(ph) fill=(RISKY) {}
                }
            }
            @for v in &ticks {
                line x1=(left) x2=(f1(left + pw)) y1=(f1(y(*v))) y2=(f1(y(*v))) stroke=(GRID) {}
                text x=(f1(left - 6.0)) y=(f1(y(*v) + 4.0)) text-anchor="end" fill=(INK) {
                    (int(*v as u64))
                }
            }
            @for (i, p) in pairs.iter().enumerate() {
                @let x0 = left + i as f64 * group_w + group_w * 0.12;
                @let label = bucket_label(p.from, p.to);
                @for (j, (when, b, colour)) in
                    [("before", &p.before, BEFORE), ("after", &p.after, AFTER)].into_iter().enumerate()
                {
                    @let top_y = y(b.records as f64);
                    rect x=(f1(x0 + j as f64 * (bar_w + group_w * 0.04))) y=(f1(top_y))
                        width=(f1(bar_w)) height=(f1(top + ph - top_y)) fill=(colour) {
                        title {
                            "Class size " (label) ", " (when) ": "
                            (counted(b.records, "record", "records")) " in "
                            (counted(b.classes, "class", "classes"))
                        }
                    }
                }
                text x=(f1(left + (i as f64 + 0.5) * group_w)) y=(f1(top + ph + 16.0))
                    text-anchor="middle" fill=(INK) { (label) }
            }
            line x1=(left) x2=(left) y1=(top) y2=(f1(top + ph)) stroke=(INK) {}
            line x1=(left) x2=(f1(left + pw)) y1=(f1(top + ph)) y2=(f1(top + ph)) stroke=(INK) {}
            text x=(f1(left + pw / 2.0)) y=(f1(h - 14.0)) text-anchor="middle" fill=(INK) {
                "Class size (records sharing the same quasi-identifier values)"
            }
            text transform={ "translate(16 " (f1(top + ph / 2.0)) ") rotate(-90)" }
                text-anchor="middle" fill=(INK) { "Records" }
            (legend(
                left,
                14.0,
                &[
                    (BEFORE, "Before"),
                    (AFTER, "After"),
                    (RISKY, "Risk above threshold"),
                ],
            ))
        }
    }
}

/// A row of colour swatches with labels, starting at (`x`, `y`).
fn legend(x: f64, y: f64, items: &[(&str, &str)]) -> Markup {
    // Rough text width: enough for the fixed labels used here.
    let starts = items.iter().scan(x, |x, (_, label)| {
        let at = *x;
        *x += 17.0 + label.len() as f64 * 7.0 + 18.0;
        Some(at)
    });
    html! {
        @for (x, (colour, label)) in starts.zip(items) {
            rect x=(f1(x)) y=(f1(y - 10.0)) width="12" height="12" fill=(colour) stroke=(GRID) {}
            text x=(f1(x + 17.0)) y=(f1(y)) fill=(INK) { (label) }
        }
    }
}

fn prosecutor_chart(before: &RiskReport, after: &RiskReport) -> Markup {
    let threshold = after.threshold;
    let bars = [
        ("Highest, before", before.prosecutor.highest, BEFORE),
        ("Highest, after", after.prosecutor.highest, AFTER),
        ("Average, before", before.prosecutor.average, BEFORE),
        ("Average, after", after.prosecutor.average, AFTER),
    ];
    let (w, left, right, top, row_h, bar_h) = (680.0, 130.0, 60.0, 30.0, 30.0, 20.0);
    let pw = w - left - right;
    let ph = row_h * bars.len() as f64;
    let h = top + ph + 50.0;
    // A NaN risk would otherwise leak into the SVG as an invalid coordinate.
    let x = |v: f64| {
        left + if v.is_finite() {
            v.clamp(0.0, 1.0)
        } else {
            0.0
        } * pw
    };
    let title = "Highest and average prosecutor risk, before and after";
    html! {
        h2 { "Prosecutor risk before and after" }
        p.hint {
            "Highest and average risk on a scale from 0 (no chance) to 1 (certain \
             re-identification). The red line marks the threshold of " (risk(threshold)) "."
        }
        svg viewBox={ "0 0 " (w) " " (h) } width=(w) height=(h) role="img" aria-label=(title) {
            title { (title) }
            @for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
                line x1=(f1(x(tick))) x2=(f1(x(tick))) y1=(top) y2=(f1(top + ph)) stroke=(GRID) {}
                text x=(f1(x(tick))) y=(f1(top + ph + 16.0)) text-anchor="middle" fill=(INK) {
                    (tick)
                }
            }
            @for (i, (label, value, colour)) in bars.iter().enumerate() {
                @let y = top + i as f64 * row_h + (row_h - bar_h) / 2.0;
                @let end = x(*value);
                text x=(f1(left - 8.0)) y=(f1(y + bar_h / 2.0 + 4.0)) text-anchor="end" fill=(INK) {
                    (label)
                }
                rect x=(left) y=(f1(y)) width=(f1(end - left)) height=(bar_h) fill=(colour) {
                    title { (label) ": " (risk(*value)) }
                }
                text x=(f1(end + 4.0)) y=(f1(y + bar_h / 2.0 + 4.0)) fill=(INK) { (risk(*value)) }
            }
            @if threshold.is_finite() && (0.0..=1.0).contains(&threshold) {
                line x1=(f1(x(threshold))) x2=(f1(x(threshold))) y1=(f1(top - 6.0))
                    y2=(f1(top + ph)) stroke=(ALERT) stroke-width="2" stroke-dasharray="5 3" {
                    title { "Threshold: " (risk(threshold)) }
                }
                text x=(f1(x(threshold))) y=(f1(top - 10.0)) text-anchor="middle" fill=(ALERT) {
                    "threshold " (risk(threshold))
                }
            }
            line x1=(left) x2=(left) y1=(top) y2=(f1(top + ph)) stroke=(INK) {}
            text x=(f1(left + pw / 2.0)) y=(f1(h - 12.0)) text-anchor="middle" fill=(INK) {
                "Prosecutor risk (1 = certain re-identification)"
            }
        }
    }
}

fn quasi_identifiers(qis: &[QiSummary]) -> Markup {
    html! {
        h2 { "Quasi-identifiers" }
        p.hint {
            "The columns an attacker could know about a person, and how much each was \
             coarsened: level 0 keeps the values as they are, the highest level hides them \
             entirely. Loss is the share of the column's detail given up."
        }
        table {
            tr {
                th { "Column" } th { "Hierarchy" } th.num { "Level / max" }
                th.num { "Distinct values before → after" } th { "Loss" }
            }
            @for q in qis {
                @let width = if q.loss.is_finite() { q.loss.clamp(0.0, 1.0) * 100.0 } else { 0.0 };
                tr {
                    td { code { (q.column) } }
                    td { (q.hierarchy) }
                    td.num { (q.level) " / " (q.max_level) }
                    td.num { (int(q.distinct_before)) " → " (int(q.distinct_after)) }
                    td.num {
                        (pct(q.loss))
                        span.lossbar { span style={ "width:" (f1(width)) "%" } {} }
                    }
                }
            }
        }
    }
}

fn footer(r: &AnonymizeReport) -> Markup {
    html! {
        footer {
            "Quality metric: " (r.metric) ", score " (num(r.score)) " (lower is better). The \
             search checked " (int(r.transformations_checked)) " of " (int(r.lattice_size))
            " possible transformations in " (format!("{:.2}", r.seconds)) " s."
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::assess;

    fn sample() -> AnonymizeReport {
        AnonymizeReport {
            input_sha256: "a".repeat(64),
            output_sha256: "b".repeat(64),
            input: "data/people.csv".into(),
            output: "out/people-anon.csv".into(),
            policy: "policy.toml".into(),
            policy_sha256: "ab".repeat(32),
            records_in: 20,
            records_out: 18,
            suppressed: 2,
            metric: "loss".into(),
            score: 0.4321,
            quasi_identifiers: vec![
                QiSummary {
                    column: "<b>&\"x\"".into(),
                    level: 2,
                    max_level: 4,
                    hierarchy: "builder: intervals".into(),
                    distinct_before: 1234,
                    distinct_after: 12,
                    loss: 0.45,
                },
                QiSummary {
                    column: "zip".into(),
                    level: 0,
                    max_level: 5,
                    hierarchy: "zip.csv".into(),
                    distinct_before: 40,
                    distinct_after: 40,
                    loss: 0.0,
                },
            ],
            requirements: vec![
                RequirementCheck {
                    name: "k-anonymity".into(),
                    required: ">= 5".into(),
                    achieved: "5".into(),
                    met: true,
                    margin: 0.0,
                },
                RequirementCheck {
                    name: "highest prosecutor risk".into(),
                    required: "<= 0.2".into(),
                    achieved: "0.2".into(),
                    met: true,
                    margin: 0.0,
                },
            ],
            risk_before: assess(&[1, 2, 5, 10], 0.2, 1.0),
            risk_after: assess(&[5, 10], 0.2, 1.0),
            transformations_checked: 37,
            lattice_size: 120,
            seconds: 1.25,
        }
    }

    #[test]
    fn page_is_self_contained_html() {
        let html = render(&sample());
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(!html.contains("src="));
        assert!(!html.contains("href=\"http"));
        assert!(!html.contains("<script"));
        assert!(html.contains("<svg"));
        assert!(html.contains("<title>Anonymization report</title>"));
        for name in ["k-anonymity", "highest prosecutor risk"] {
            assert!(html.contains(name), "missing requirement {name}");
        }
        assert!(html.contains("All 2 requirements of the policy are met."));
        assert!(!html.contains('✗'));
    }

    #[test]
    fn sections_come_in_order() {
        let html = render(&sample());
        let at = |s: &str| html.find(s).unwrap_or_else(|| panic!("missing {s}"));
        let order = [
            "<h1>Anonymization report",
            "<h2>Requirements",
            "<h2>Re-identification risk",
            "<h2>Size of the groups",
            "<h2>Prosecutor risk",
            "<h2>Quasi-identifiers",
            "<footer>",
        ];
        for pair in order.windows(2) {
            assert!(at(pair[0]) < at(pair[1]), "{} after {}", pair[0], pair[1]);
        }
    }

    #[test]
    fn user_strings_are_escaped() {
        let html = render(&sample());
        assert!(html.contains("&lt;b&gt;&amp;&quot;x&quot;"));
        assert!(!html.contains("<b>&\"x\""));
        // Attribute values are double-quoted, so a single quote needs no escape; and the
        // hand-made figures (`< 0.1 %`) are escaped like the report's own strings.
        let mut r = sample();
        r.quasi_identifiers[1].loss = 0.0001;
        assert!(render(&r).contains("&lt; 0.1 %"));
    }

    #[test]
    fn failed_requirement_is_marked() {
        let mut r = sample();
        r.requirements[1].met = false;
        r.requirements[1].margin = -0.05;
        let html = render(&r);
        assert!(html.contains("<td class=\"fail\">✗</td>"));
        assert!(html.contains("Not all requirements are met: 1 of 2 failed"));
        assert!(html.contains("-0.0500"));
    }

    #[test]
    fn every_bar_has_a_tooltip() {
        let html = render(&sample());
        // 8 buckets, each before and after.
        assert_eq!(html.matches("<title>Class size ").count(), 16);
        assert!(html.contains("<title>Class size 100+, before: 0 records in 0 classes</title>"));
        assert!(html.contains("<title>Class size 10-19, after: 10 records in 1 class</title>"));
        assert!(html.contains("<title>Highest, before: 1.0000</title>"));
    }

    #[test]
    fn rendering_is_deterministic() {
        assert_eq!(render(&sample()), render(&sample()));
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(pct(0.123), "12.3 %");
        assert_eq!(pct(0.0001), "< 0.1 %");
        assert_eq!(pct(0.99999), "> 99.9 %");
        assert_eq!(pct(1.0), "100.0 %");
        assert_eq!(int(1_234_567), "1,234,567");
        assert_eq!(int(12), "12");
        assert_eq!(signed(3.0), "+3");
        assert_eq!(bucket_label(100, u64::MAX), "100+");
        assert_eq!(bucket_label(3, 4), "3-4");
        assert_eq!(nice_step(74.0), 20.0);
    }
}
