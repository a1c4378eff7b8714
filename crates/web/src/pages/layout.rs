//! The shell every page shares: head, the navigation bar by role with the language switch, the
//! signed-in user's sign-out form and the footer. Plain HTML and CSS, no scripts.

use maud::{DOCTYPE, Markup, PreEscaped, html};
use pubdata_platform::access::{Action, Principal, permits};

use crate::l10n::{Lang, Texts};

const STYLE: &str = "
body{font-family:system-ui,-apple-system,'PingFang SC','Hiragino Sans GB','Microsoft YaHei','Noto Sans CJK SC','Noto Sans SC','Source Han Sans SC','WenQuanYi Micro Hei',sans-serif;margin:0;color:#1d2733;background:#f6f7f9}
header{background:#0b4f8a;color:#fff;padding:.6rem 1.5rem;display:flex;flex-wrap:wrap;gap:.6rem 1.5rem;align-items:center}
header a{color:#fff;text-decoration:none}header .who{margin-left:auto;display:flex;gap:.8rem;align-items:center}
main{max-width:64rem;margin:1.5rem auto;padding:0 1.5rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(11rem,1fr));gap:.8rem}
.card{background:#fff;border:1px solid #d8dde3;border-radius:6px;padding:.8rem}
.card b{display:block;font-size:1.6rem}
table{border-collapse:collapse;width:100%;background:#fff;display:block;overflow-x:auto;max-width:100%}
td{overflow-wrap:break-word}
@media (max-width:40rem){main{padding:0 .8rem;margin:1rem auto}header{padding:.6rem .8rem}}th,td{border:1px solid #d8dde3;padding:.35rem .5rem;text-align:left;vertical-align:top}
form.inline{display:inline}label{display:block;margin:.5rem 0 .2rem;font-weight:600}
input[type=text],input[type=password],input[type=search],select,textarea{width:100%;padding:.4rem;box-sizing:border-box;font:inherit}
textarea{min-height:8rem;font-family:monospace}button{padding:.4rem 1rem;font:inherit;cursor:pointer}
.error{background:#fdecea;border:1px solid #f5c2bd;padding:.6rem;border-radius:6px}
.muted{color:#5b6774;font-size:.9rem}
footer{max-width:64rem;margin:2rem auto;padding:1rem 1.5rem;border-top:1px solid #d8dde3;color:#5b6774;font-size:.9rem}
";

/// The signed-in user with the session's CSRF token (for the sign-out form), if any.
pub(super) type Who<'a> = Option<(&'a Principal, &'a str)>;

/// A whole page: `title`, the signed-in user and `body`, in `t`'s language.
pub(super) fn page(t: &Texts, title: &str, who: Who<'_>, body: Markup) -> Markup {
    shell(t, title, who, body, None)
}

/// A page that reloads itself every `seconds` (a running job's): a meta refresh, no script.
pub(super) fn refreshing_page(
    t: &Texts,
    title: &str,
    who: Who<'_>,
    body: Markup,
    seconds: u32,
) -> Markup {
    shell(t, title, who, body, Some(seconds))
}

fn shell(t: &Texts, title: &str, who: Who<'_>, body: Markup, refresh: Option<u32>) -> Markup {
    // The switch offers the other language, named in itself.
    let other = match t.lang() {
        Lang::Zh => Lang::En,
        Lang::En => Lang::Zh,
    };
    html! {
        (DOCTYPE)
        html lang=(t.lang().tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width,initial-scale=1";
                @if let Some(seconds) = refresh {
                    meta http-equiv="refresh" content=(seconds);
                }
                title { (title) " · " (t.t("site-name")) }
                // The style sheet is this file's constant, not input.
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    a href="/" { b { (t.t("site-name")) } }
                    a href="/catalog" { (t.t("nav-catalog")) }
                    a href="/open" { (t.t("nav-open")) }
                    @if may_create(who) {
                        a href="/catalog/new" { (t.t("nav-new-entry")) }
                    }
                    span.who {
                        (nav(t, who))
                        a #lang href=(t.switch_to(other)) lang=(other.tag()) {
                            (t.t("lang-switch"))
                        }
                    }
                }
                main { (body) }
                footer {
                    (t.t("footer-platform")) " · "
                    a href="/catalog" { (t.t("footer-catalog")) }
                    " · "
                    a href="/api/v1/openapi.json" { (t.t("footer-api")) }
                    @if let Some(url) = &t.site().terms_url {
                        " · "
                        a #terms href=(url) { (t.t("footer-terms")) }
                    }
                    @if let Some(contact) = &t.site().contact {
                        " · "
                        span #contact { (t.t("footer-contact")) " " (contact) }
                    }
                    " · "
                    (t.tf("footer-time-zone", &[("zone", t.zone().into())]))
                }
            }
        }
    }
}

/// Whether to offer the new-entry form: only to whom it would let create an entry (an
/// administrator, or an officer for their own organization), never to visitors.
fn may_create(who: Who<'_>) -> bool {
    who.is_some_and(|(p, _)| {
        permits(
            Some(p),
            &Action::CreateEntry {
                owner: p.organization.clone().unwrap_or_default(),
            },
        )
    })
}

/// The right of the header: the audit link for those who may read it, who is signed in and the
/// sign-out form; or the sign-in link.
fn nav(t: &Texts, who: Who<'_>) -> Markup {
    html! {
        @match who {
            Some((p, csrf)) => {
                @if permits(Some(p), &Action::ReadAudit) {
                    a href="/audit" { (t.t("nav-audit")) }
                }
                span { (p.user) " · " (t.label(p.role)) }
                form.inline method="post" action="/logout" {
                    input type="hidden" name="csrf" value=(csrf);
                    button { (t.t("nav-sign-out")) }
                }
            }
            None => a href="/login" { (t.t("nav-sign-in")) },
        }
    }
}
