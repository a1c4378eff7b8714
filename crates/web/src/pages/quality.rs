//! An upload's quality report as a page section: counts, rejections by reason, the first rejected
//! cells (row and item, never the value: the page is also read by the authority and auditors)
//! and null rates per item.

use maud::{Markup, html};
use pubdata_platform::quality::{QualityReport, Reason};

/// The Chinese label of a rejection reason (its snake_case name follows it on the page).
fn reason_label(reason: Reason) -> &'static str {
    match reason {
        Reason::Missing => "必填项为空",
        Reason::NotInteger => "不是整数",
        Reason::NotDecimal => "不是数字",
        Reason::NotDate => "不是日期",
        Reason::NotTimestamp => "不是时间",
        Reason::NotBoolean => "不是布尔值",
        Reason::InvalidPersonalInfo => "个人信息校验失败",
    }
}

fn reason(r: Reason) -> Markup {
    html! { (reason_label(r)) " " (r.name()) }
}

/// The report `r` under `heading`.
pub(super) fn report(heading: &str, r: &QualityReport) -> Markup {
    html! {
        section #report {
            h3 { (heading) }
            p {
                "读入 Read " b { (r.rows_read) }
                " · 接受 Accepted " b { (r.rows_accepted) }
                " · 拒绝 Rejected " b { (r.rows_rejected) }
                " · 重复键 Duplicate keys " b { (r.duplicate_keys) }
            }
            @if !r.rejections.is_empty() {
                table #rejections {
                    tr { th { "原因 Reason" } th { "单元格 Cells" } }
                    @for (why, n) in &r.rejections {
                        tr { td { (reason(*why)) } td { (n) } }
                    }
                }
            }
            @if !r.examples.is_empty() {
                h4 { "首批被拒单元格 First rejected cells" }
                table #examples {
                    tr { th { "行 Row" } th { "数据项 Item" } th { "原因 Reason" } }
                    @for e in &r.examples {
                        tr { td { (e.row) } td { (e.item) } td { (reason(e.reason)) } }
                    }
                }
            }
            @if !r.items.is_empty() {
                h4 { "空值率 Null rates" }
                table #nulls {
                    tr { th { "数据项 Item" } th { "空值 Nulls" } th { "比例 Rate" } }
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
