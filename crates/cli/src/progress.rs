//! Progress bars on standard error; hidden when it is not a terminal, so logs and tests stay clean.

use indicatif::{ProgressBar, ProgressStyle};

/// A bar over input bytes, or a spinner counting rows when the size is unknown.
pub fn bytes_bar(total: Option<u64>, what: &str) -> ProgressBar {
    match total {
        Some(total) => {
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template(&format!(
                    "{what} {{bar:40}} {{bytes}}/{{total_bytes}} ({{bytes_per_sec}}, {{eta}} left) {{msg}}"
                ))
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        }
        None => rows_bar(None, what),
    }
}

/// A bar over rows.
pub fn rows_bar(total: Option<u64>, what: &str) -> ProgressBar {
    let bar = match total {
        Some(n) => ProgressBar::new(n),
        None => ProgressBar::new_spinner(),
    };
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{what} {{bar:40}} {{human_pos}}/{{human_len}} rows ({{per_sec}}) {{msg}}"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// Thousands separators for figures in summaries.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A pipeline control that moves `bar` (its message the phase, its position the rows).
pub fn control(bar: &ProgressBar) -> pubdata_release::Control {
    let bar = bar.clone();
    pubdata_release::Control::with_progress(move |p| {
        bar.set_message(p.phase);
        bar.set_position(p.rows);
    })
}
