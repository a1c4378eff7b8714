//! An upload's quality report as a page section: counts, rejections by reason, the first rejected
//! cells (row and item, never the value: the page is also read by the authority and auditors)
//! and null rates per item.

use maud::{Markup, html};
use pubdata_platform::quality::{QualityReport, Reason};

use crate::l10n::Texts;

/// A rejection reason in words, with its name (as the JSON report and the API call it).
fn reason(t: &Texts, r: Reason) -> Markup {
    html! { (t.label(r)) " " span.muted { "(" (r.name()) ")" } }
}

/// The report `r` under `heading`.
pub(super) fn report(t: &Texts, heading: &str, r: &QualityReport) -> Markup {
    html! {
        section #report {
            h3 { (heading) }
            p #counts {
                (t.t("quality-read")) " " b { (r.rows_read) }
                " · " (t.t("quality-accepted")) " " b { (r.rows_accepted) }
                " · " (t.t("quality-rejected")) " " b { (r.rows_rejected) }
                " · " (t.t("quality-duplicate-keys")) " " b { (r.duplicate_keys) }
            }
            @if !r.rejections.is_empty() {
                table #rejections {
                    tr { th { (t.t("quality-reason")) } th { (t.t("quality-cells")) } }
                    @for (why, n) in &r.rejections {
                        tr { td { (reason(t, *why)) } td { (n) } }
                    }
                }
            }
            @if !r.examples.is_empty() {
                h4 { (t.t("quality-first-rejected")) }
                table #examples {
                    tr {
                        th { (t.t("quality-row")) } th { (t.t("quality-item")) }
                        th { (t.t("quality-reason")) }
                    }
                    @for e in &r.examples {
                        tr { td { (e.row) } td { (e.item) } td { (reason(t, e.reason)) } }
                    }
                }
            }
            @if !r.items.is_empty() {
                h4 { (t.t("quality-null-rates")) }
                table #nulls {
                    tr {
                        th { (t.t("quality-item")) } th { (t.t("quality-nulls")) }
                        th { (t.t("quality-rate")) }
                    }
                    @for i in &r.items {
                        tr {
                            td { (i.item) }
                            td { (i.nulls) }
                            td { (format!("{:.1}%", i.null_rate * 100.0)) }
                        }
                    }
                }
            }
        }
    }
}
