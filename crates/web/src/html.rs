//! Page scaffolding: escaping and the layout every page shares (plain HTML and CSS, no scripts).

use pubdata_platform::access::Principal;

/// Escapes text for HTML content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
body{font-family:system-ui,'Noto Sans CJK SC','Microsoft YaHei',sans-serif;margin:0;color:#1d2733;background:#f6f7f9}
header{background:#0b4f8a;color:#fff;padding:.6rem 1.5rem;display:flex;gap:1.5rem;align-items:center}
header a{color:#fff;text-decoration:none}header .who{margin-left:auto;display:flex;gap:.8rem;align-items:center}
main{max-width:64rem;margin:1.5rem auto;padding:0 1.5rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(11rem,1fr));gap:.8rem}
.card{background:#fff;border:1px solid #d8dde3;border-radius:6px;padding:.8rem}
.card b{display:block;font-size:1.6rem}
table{border-collapse:collapse;width:100%;background:#fff}th,td{border:1px solid #d8dde3;padding:.35rem .5rem;text-align:left;vertical-align:top}
form.inline{display:inline}label{display:block;margin:.5rem 0 .2rem;font-weight:600}
input[type=text],input[type=password],input[type=search],select,textarea{width:100%;padding:.4rem;box-sizing:border-box;font:inherit}
textarea{min-height:8rem;font-family:monospace}button{padding:.4rem 1rem;font:inherit;cursor:pointer}
.error{background:#fdecea;border:1px solid #f5c2bd;padding:.6rem;border-radius:6px}
.muted{color:#5b6774;font-size:.9rem}
";

/// A whole page: `title`, the signed-in user (with the CSRF token for the sign-out form) and
/// `body`, which the caller has escaped.
pub(crate) fn page(title: &str, who: Option<(&Principal, &str)>, body: &str) -> String {
    page_with_head(title, who, body, "")
}

/// A page that reloads itself every `seconds` (a running job's): a meta refresh, no script.
pub(crate) fn refreshing_page(
    title: &str,
    who: Option<(&Principal, &str)>,
    body: &str,
    seconds: u32,
) -> String {
    page_with_head(
        title,
        who,
        body,
        &format!("<meta http-equiv=refresh content={seconds}>"),
    )
}

fn page_with_head(title: &str, who: Option<(&Principal, &str)>, body: &str, head: &str) -> String {
    let audit = who
        .filter(|(p, _)| {
            pubdata_platform::access::permits(
                Some(*p),
                &pubdata_platform::access::Action::ReadAudit,
            )
        })
        .map(|_| "<a href=/audit>审计 Audit</a>")
        .unwrap_or_default();
    let nav = match who {
        Some((p, csrf)) => format!(
            "{audit}<span>{} · {}</span><form class=inline method=post action=/logout>\
             <input type=hidden name=csrf value=\"{}\"><button>退出 Sign out</button></form>",
            esc(&p.user),
            esc(p.role.name()),
            esc(csrf)
        ),
        None => "<a href=/login>登录 Sign in</a>".to_string(),
    };
    format!(
        "<!doctype html><html lang=zh-CN><head><meta charset=utf-8>\
         <meta name=viewport content=\"width=device-width,initial-scale=1\">{head}\
         <title>{} · pubdata</title><style>{STYLE}</style></head><body>\
         <header><a href=/><b>pubdata 公共数据平台</b></a><a href=/catalog>目录 Catalog</a>\
         <a href=/catalog/new>新建 New entry</a><span class=who>{nav}</span></header>\
         <main>{body}</main></body></html>",
        esc(title)
    )
}
