//! The anonymization report as one self-contained HTML page, for the data officer who signs off
//! a release rather than for a statistician: a verdict in words first, then the figures behind
//! it. Everything is inline (CSS in a `<style>`, charts as SVG, no scripts, no links to fetch)
//! so the page can be archived next to the output and opened offline years later, and the same
//! report always renders to the same bytes.

use std::fmt::Write;

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

/// Renders `report` as a complete HTML5 page. Every string taken from the report is escaped,
/// since column names and paths come from users; nothing time-dependent is added, so equal
/// reports give equal pages.
pub fn render(report: &AnonymizeReport) -> String {
    let mut out = String::with_capacity(16 * 1024);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str("<title>Anonymization report</title>\n<style>");
    out.push_str(CSS);
    out.push_str("</style>\n</head>\n<body>\n<h1>Anonymization report</h1>\n");
    verdict(&mut out, report);
    requirements(&mut out, &report.requirements);
    risk_table(&mut out, &report.risk_before, &report.risk_after);
    class_size_chart(&mut out, &report.risk_before, &report.risk_after);
    prosecutor_chart(&mut out, &report.risk_before, &report.risk_after);
    quasi_identifiers(&mut out, &report.quasi_identifiers);
    footer(&mut out, report);
    out.push_str("</body>\n</html>\n");
    out
}

/// Escapes text for HTML element content and quoted attribute values alike.
fn escape(s: &str) -> String {
    let mut e = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => e.push_str("&amp;"),
            '<' => e.push_str("&lt;"),
            '>' => e.push_str("&gt;"),
            '"' => e.push_str("&quot;"),
            '\'' => e.push_str("&#39;"),
            _ => e.push(c),
        }
    }
    e
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

fn verdict(out: &mut String, r: &AnonymizeReport) {
    let failed: Vec<&RequirementCheck> = r.requirements.iter().filter(|c| !c.met).collect();
    let share = if r.records_in > 0 {
        r.suppressed as f64 / r.records_in as f64
    } else {
        0.0
    };
    let (class, head) = if !failed.is_empty() {
        let names: Vec<String> = failed.iter().map(|c| escape(&c.name)).collect();
        (
            "failed",
            format!(
                "<span class=\"alert\">Not all requirements are met: {} of {} failed ({}). \
                 The output must not be released as it is.</span>",
                failed.len(),
                r.requirements.len(),
                names.join(", ")
            ),
        )
    } else if r.requirements.is_empty() {
        (
            "failed",
            "<span class=\"alert\">The report lists no requirements, so nothing was checked.\
             </span>"
                .to_string(),
        )
    } else {
        (
            "pass",
            format!(
                "<strong>All {} requirements of the policy are met.</strong>",
                r.requirements.len()
            ),
        )
    };
    let _ = writeln!(
        out,
        "<p class=\"verdict {class}\">{head} Of {} records read, {} were written to the output \
         and {} ({}) were suppressed, that is left out entirely because they could not be \
         protected well enough by coarsening their values.</p>",
        int(r.records_in),
        int(r.records_out),
        int(r.suppressed),
        pct(share)
    );
    out.push_str("<table class=\"files\">\n");
    for (label, value) in [
        ("Input", &r.input),
        ("Output", &r.output),
        ("Policy", &r.policy),
        ("Policy SHA-256", &r.policy_sha256),
    ] {
        let _ = writeln!(
            out,
            "<tr><td>{label}</td><td><code>{}</code></td></tr>",
            escape(value)
        );
    }
    out.push_str("</table>\n");
}

fn requirements(out: &mut String, checks: &[RequirementCheck]) {
    out.push_str("<h2>Requirements</h2>\n");
    out.push_str(
        "<p class=\"hint\">What the policy demands and what the output achieves. The margin is \
         how far each requirement is exceeded (positive) or missed (negative).</p>\n",
    );
    out.push_str(
        "<table>\n<tr><th>Requirement</th><th class=\"num\">Required</th>\
         <th class=\"num\">Achieved</th><th>Met</th><th class=\"num\">Margin</th></tr>\n",
    );
    for c in checks {
        let (class, mark) = if c.met {
            ("ok", "✓")
        } else {
            ("fail", "✗")
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"{class}\">{mark}</td><td class=\"num\">{}</td></tr>",
            escape(&c.name),
            escape(&c.required),
            escape(&c.achieved),
            signed(c.margin)
        );
    }
    out.push_str("</table>\n");
}

fn risk_table(out: &mut String, before: &RiskReport, after: &RiskReport) {
    out.push_str("<h2>Re-identification risk</h2>\n");
    let _ = writeln!(
        out,
        "<p class=\"hint\">The chance that someone who already knows a person's quasi-identifier \
         values picks out that person's record. A <em>prosecutor</em> knows the person is in \
         the data; a <em>journalist</em> only knows the person is in the wider population the \
         data was drawn from; a <em>marketer</em> tries to match as many records as possible \
         and the figure is the share expected to be matched. A record is above the threshold \
         when its risk exceeds {}.</p>",
        risk(after.threshold)
    );
    out.push_str(
        "<table>\n<tr><th>Measure</th><th class=\"num\">Before</th>\
         <th class=\"num\">After</th></tr>\n",
    );
    let group = |out: &mut String, title: &str| {
        let _ = writeln!(
            out,
            "<tr class=\"group\"><th colspan=\"3\">{title}</th></tr>"
        );
    };
    let row = |out: &mut String, label: &str, b: String, a: String| {
        let _ = writeln!(
            out,
            "<tr><td>{label}</td><td class=\"num\">{b}</td><td class=\"num\">{a}</td></tr>"
        );
    };
    let attacker = |out: &mut String, b: &AttackerRisk, a: &AttackerRisk| {
        row(
            out,
            "Highest risk of any record",
            risk(b.highest),
            risk(a.highest),
        );
        row(out, "Average risk", risk(b.average), risk(a.average));
        row(
            out,
            "Records above the threshold",
            pct(b.above_threshold),
            pct(a.above_threshold),
        );
    };
    group(out, "Prosecutor");
    attacker(out, &before.prosecutor, &after.prosecutor);
    group(out, "Journalist");
    attacker(out, &before.journalist, &after.journalist);
    group(out, "Marketer");
    row(
        out,
        "Share of records expected to be re-identified",
        risk(before.marketer),
        risk(after.marketer),
    );
    group(out, "The table");
    let uniques =
        |r: &RiskReport| format!("{} ({})", int(r.sample_uniques), pct(r.sample_uniqueness));
    row(
        out,
        "Records unique in the data",
        uniques(before),
        uniques(after),
    );
    row(
        out,
        "Groups of look-alike records (classes)",
        int(before.classes),
        int(after.classes),
    );
    row(out, "Records", int(before.records), int(after.records));
    row(
        out,
        "Risk threshold",
        risk(before.threshold),
        risk(after.threshold),
    );
    out.push_str("</table>\n");
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

fn class_size_chart(out: &mut String, before: &RiskReport, after: &RiskReport) {
    out.push_str("<h2>Size of the groups of look-alike records</h2>\n");
    let pairs = pair_buckets(&before.class_sizes, &after.class_sizes);
    if pairs.is_empty() {
        out.push_str("<p class=\"hint\">No class sizes were recorded.</p>\n");
        return;
    }
    let threshold = after.threshold;
    let _ = writeln!(
        out,
        "<p class=\"hint\">How many records sit in groups of each size. A record in a group of \
         n look-alikes has a prosecutor risk of 1/n; groups shaded red are small enough for \
         that risk to exceed {}. Good anonymization moves records to the right.</p>",
        risk(threshold)
    );

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

    let _ = writeln!(
        out,
        "<svg viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" \
         aria-label=\"Records per class size, before and after\">\n\
         <title>Records per class size, before and after</title>"
    );
    let group_w = pw / pairs.len() as f64;
    // Shade risky buckets first so bars and gridlines draw over them.
    for (i, p) in pairs.iter().enumerate() {
        // Risky if the smallest class in the bucket is above the threshold.
        if 1.0 / p.from.max(1) as f64 > threshold {
            let _ = writeln!(
                out,
                "<rect x=\"{:.1}\" y=\"{top}\" width=\"{:.1}\" height=\"{ph}\" fill=\"{RISKY}\"/>",
                left + i as f64 * group_w,
                group_w
            );
        }
    }
    let mut v = 0.0;
    while v <= axis_top + step / 2.0 {
        let _ = writeln!(
            out,
            "<line x1=\"{left}\" x2=\"{:.1}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" stroke=\"{GRID}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"{INK}\">{}</text>",
            left + pw,
            left - 6.0,
            y(v) + 4.0,
            int(v as u64),
            yy = y(v)
        );
        v += step;
    }
    let bar_w = group_w * 0.36;
    for (i, p) in pairs.iter().enumerate() {
        let x0 = left + i as f64 * group_w + group_w * 0.12;
        let label = bucket_label(p.from, p.to);
        for (j, (when, b, colour)) in [("before", &p.before, BEFORE), ("after", &p.after, AFTER)]
            .into_iter()
            .enumerate()
        {
            let x = x0 + j as f64 * (bar_w + group_w * 0.04);
            let top_y = y(b.records as f64);
            let _ = writeln!(
                out,
                "<rect x=\"{x:.1}\" y=\"{top_y:.1}\" width=\"{bar_w:.1}\" height=\"{:.1}\" \
                 fill=\"{colour}\"><title>Class size {label}, {when}: {} in {}</title></rect>",
                top + ph - top_y,
                counted(b.records, "record", "records"),
                counted(b.classes, "class", "classes")
            );
        }
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{INK}\">{label}</text>",
            left + (i as f64 + 0.5) * group_w,
            top + ph + 16.0
        );
    }
    let _ = writeln!(
        out,
        "<line x1=\"{left}\" x2=\"{left}\" y1=\"{top}\" y2=\"{:.1}\" stroke=\"{INK}\"/>\
         <line x1=\"{left}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"{INK}\"/>",
        top + ph,
        left + pw,
        top + ph,
        top + ph
    );
    let _ = writeln!(
        out,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{INK}\">Class size (records \
         sharing the same quasi-identifier values)</text>",
        left + pw / 2.0,
        h - 14.0
    );
    let _ = writeln!(
        out,
        "<text transform=\"translate(16 {:.1}) rotate(-90)\" text-anchor=\"middle\" \
         fill=\"{INK}\">Records</text>",
        top + ph / 2.0
    );
    legend(
        out,
        left,
        14.0,
        &[
            (BEFORE, "Before"),
            (AFTER, "After"),
            (RISKY, "Risk above threshold"),
        ],
    );
    out.push_str("</svg>\n");
}

/// A row of colour swatches with labels, starting at (`x`, `y`).
fn legend(out: &mut String, x: f64, y: f64, items: &[(&str, &str)]) {
    let mut x = x;
    for (colour, label) in items {
        let _ = writeln!(
            out,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"12\" height=\"12\" fill=\"{colour}\" \
             stroke=\"{GRID}\"/><text x=\"{:.1}\" y=\"{:.1}\" fill=\"{INK}\">{label}</text>",
            y - 10.0,
            x + 17.0,
            y
        );
        // Rough text width: enough for the fixed labels used here.
        x += 17.0 + label.len() as f64 * 7.0 + 18.0;
    }
}

fn prosecutor_chart(out: &mut String, before: &RiskReport, after: &RiskReport) {
    out.push_str("<h2>Prosecutor risk before and after</h2>\n");
    let threshold = after.threshold;
    let _ = writeln!(
        out,
        "<p class=\"hint\">Highest and average risk on a scale from 0 (no chance) to 1 \
         (certain re-identification). The red line marks the threshold of {}.</p>",
        risk(threshold)
    );
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

    let _ = writeln!(
        out,
        "<svg viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" \
         aria-label=\"Highest and average prosecutor risk, before and after\">\n\
         <title>Highest and average prosecutor risk, before and after</title>"
    );
    for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let _ = writeln!(
            out,
            "<line x1=\"{xx:.1}\" x2=\"{xx:.1}\" y1=\"{top}\" y2=\"{:.1}\" stroke=\"{GRID}\"/>\
             <text x=\"{xx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{INK}\">{tick}</text>",
            top + ph,
            top + ph + 16.0,
            xx = x(tick)
        );
    }
    for (i, (label, value, colour)) in bars.iter().enumerate() {
        let y = top + i as f64 * row_h + (row_h - bar_h) / 2.0;
        let end = x(*value);
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"{INK}\">{label}</text>\
             <rect x=\"{left}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{bar_h}\" fill=\"{colour}\">\
             <title>{label}: {}</title></rect>\
             <text x=\"{:.1}\" y=\"{:.1}\" fill=\"{INK}\">{}</text>",
            left - 8.0,
            y + bar_h / 2.0 + 4.0,
            end - left,
            risk(*value),
            end + 4.0,
            y + bar_h / 2.0 + 4.0,
            risk(*value)
        );
    }
    if threshold.is_finite() && (0.0..=1.0).contains(&threshold) {
        let tx = x(threshold);
        let _ = writeln!(
            out,
            "<line x1=\"{tx:.1}\" x2=\"{tx:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"{ALERT}\" \
             stroke-width=\"2\" stroke-dasharray=\"5 3\"><title>Threshold: {}</title></line>\
             <text x=\"{tx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{ALERT}\">\
             threshold {}</text>",
            top - 6.0,
            top + ph,
            risk(threshold),
            top - 10.0,
            risk(threshold)
        );
    }
    let _ = writeln!(
        out,
        "<line x1=\"{left}\" x2=\"{left}\" y1=\"{top}\" y2=\"{:.1}\" stroke=\"{INK}\"/>\
         <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{INK}\">Prosecutor risk \
         (1 = certain re-identification)</text>",
        top + ph,
        left + pw / 2.0,
        h - 12.0
    );
    out.push_str("</svg>\n");
}

fn quasi_identifiers(out: &mut String, qis: &[QiSummary]) {
    out.push_str("<h2>Quasi-identifiers</h2>\n");
    out.push_str(
        "<p class=\"hint\">The columns an attacker could know about a person, and how much each \
         was coarsened: level 0 keeps the values as they are, the highest level hides them \
         entirely. Loss is the share of the column's detail given up.</p>\n",
    );
    out.push_str(
        "<table>\n<tr><th>Column</th><th>Hierarchy</th><th class=\"num\">Level / max</th>\
         <th class=\"num\">Distinct values before → after</th><th>Loss</th></tr>\n",
    );
    for q in qis {
        let width = if q.loss.is_finite() {
            q.loss.clamp(0.0, 1.0) * 100.0
        } else {
            0.0
        };
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td class=\"num\">{} / {}</td>\
             <td class=\"num\">{} → {}</td><td class=\"num\">{}<span class=\"lossbar\">\
             <span style=\"width:{width:.1}%\"></span></span></td></tr>",
            escape(&q.column),
            escape(&q.hierarchy),
            q.level,
            q.max_level,
            int(q.distinct_before),
            int(q.distinct_after),
            pct(q.loss)
        );
    }
    out.push_str("</table>\n");
}

fn footer(out: &mut String, r: &AnonymizeReport) {
    let _ = writeln!(
        out,
        "<footer>Quality metric: {}, score {} (lower is better). The search checked {} of {} \
         possible transformations in {:.2} s.</footer>",
        escape(&r.metric),
        num(r.score),
        int(r.transformations_checked),
        int(r.lattice_size),
        r.seconds
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::assess;

    fn sample() -> AnonymizeReport {
        AnonymizeReport {
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
        assert_eq!(escape("'"), "&#39;");
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
