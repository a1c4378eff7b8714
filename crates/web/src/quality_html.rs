//! An upload's quality report as HTML: counts, rejections by reason, the first rejected cells
//! (row and item, never the value: the page is also read by the authority and auditors) and
//! null rates per item.

use serde_json::Value;

use crate::html::esc;

/// The Chinese label of a rejection reason (the snake_case name follows it).
fn reason_label(reason: &str) -> &'static str {
    match reason {
        "missing" => "必填项为空",
        "not_integer" => "不是整数",
        "not_decimal" => "不是数字",
        "not_date" => "不是日期",
        "not_timestamp" => "不是时间",
        "not_boolean" => "不是布尔值",
        "invalid_personal_info" => "个人信息校验失败",
        _ => "",
    }
}

fn count(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

/// The report `r` (a serialized `QualityReport`) under `heading`.
pub(crate) fn report(heading: &str, r: &Value) -> String {
    let mut out = format!(
        "<section id=report><h3>{}</h3><p>读入 Read <b>{}</b> · 接受 Accepted <b>{}</b> · \
         拒绝 Rejected <b>{}</b> · 重复键 Duplicate keys <b>{}</b></p>",
        esc(heading),
        count(&r["rows_read"]),
        count(&r["rows_accepted"]),
        count(&r["rows_rejected"]),
        count(&r["duplicate_keys"]),
    );
    if let Some(reasons) = r["rejections"].as_object().filter(|m| !m.is_empty()) {
        out.push_str("<table id=rejections><tr><th>原因 Reason</th><th>单元格 Cells</th></tr>");
        for (reason, n) in reasons {
            out.push_str(&format!(
                "<tr><td>{} {}</td><td>{}</td></tr>",
                reason_label(reason),
                esc(reason),
                count(n)
            ));
        }
        out.push_str("</table>");
    }
    if let Some(examples) = r["examples"].as_array().filter(|a| !a.is_empty()) {
        out.push_str(
            "<h4>首批被拒单元格 First rejected cells</h4><table id=examples><tr><th>行 Row</th>\
             <th>数据项 Item</th><th>原因 Reason</th></tr>",
        );
        for e in examples {
            let reason = e["reason"].as_str().unwrap_or("");
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{} {}</td></tr>",
                count(&e["row"]),
                esc(e["item"].as_str().unwrap_or("")),
                reason_label(reason),
                esc(reason)
            ));
        }
        out.push_str("</table>");
    }
    if let Some(items) = r["items"].as_array().filter(|a| !a.is_empty()) {
        out.push_str(
            "<h4>空值率 Null rates</h4><table id=nulls><tr><th>数据项 Item</th><th>空值 Nulls</th>\
             <th>比例 Rate</th></tr>",
        );
        for i in items {
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{:.1}%</td></tr>",
                esc(i["item"].as_str().unwrap_or("")),
                count(&i["nulls"]),
                i["null_rate"].as_f64().unwrap_or(0.0) * 100.0
            ));
        }
        out.push_str("</table>");
    }
    out.push_str("</section>");
    out
}
