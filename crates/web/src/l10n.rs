//! The pages' words: one Fluent message file per language (`locales/<lang>/pages.ftl`, built
//! into the binary), the language each request reads in (a `lang` cookie the switch sets, else
//! `Accept-Language`, else Chinese), and times shown in the platform's time zone.

use std::sync::OnceLock;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use serde::Deserialize;

use crate::AppState;

/// The cookie that remembers a visitor's choice of language.
pub const LANG_COOKIE: &str = "pubdata_lang";

/// A language the pages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Simplified Chinese, the default.
    Zh,
    /// English.
    En,
}

impl Lang {
    /// Every language, the default first.
    pub const ALL: [Lang; 2] = [Lang::Zh, Lang::En];

    /// Its code in the `lang` cookie and the switch's address.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// Its BCP 47 tag, for `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The language of a cookie value or a language range (`zh-Hans-CN`, `en-GB`), if one of
    /// ours.
    pub fn parse(s: &str) -> Option<Lang> {
        let primary = s.trim().split(['-', '_']).next().unwrap_or("");
        if primary.eq_ignore_ascii_case("zh") {
            Some(Lang::Zh)
        } else if primary.eq_ignore_ascii_case("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The message file's text.
    pub fn source(self) -> &'static str {
        match self {
            Lang::Zh => include_str!("../locales/zh-CN/pages.ftl"),
            Lang::En => include_str!("../locales/en/pages.ftl"),
        }
    }

    fn bundle(self) -> &'static FluentBundle<FluentResource> {
        static BUNDLES: OnceLock<[FluentBundle<FluentResource>; 2]> = OnceLock::new();
        let bundles = BUNDLES.get_or_init(|| Lang::ALL.map(build_bundle));
        &bundles[self as usize]
    }
}

/// A language's bundle. A message file that does not parse keeps the messages that do (a test
/// requires both to parse whole); what was dropped is logged.
fn build_bundle(lang: Lang) -> FluentBundle<FluentResource> {
    let resource = FluentResource::try_new(lang.source().to_string()).unwrap_or_else(|(r, e)| {
        tracing::error!(lang = lang.code(), errors = ?e, "a message file does not parse");
        r
    });
    let id: unic_langid::LanguageIdentifier = lang
        .tag()
        .parse()
        .unwrap_or_else(|_| unic_langid::LanguageIdentifier::default());
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // Isolation marks around arguments are for mixed-direction text; ours is left-to-right and
    // the marks would end up inside copied table cells.
    bundle.set_use_isolating(false);
    if let Err(e) = bundle.add_resource(resource) {
        tracing::error!(lang = lang.code(), errors = ?e, "a message file repeats a message");
    }
    bundle
}

/// The words and clock of one request: its language and the platform's time zone, with the
/// page's own address for the language switch.
#[derive(Debug, Clone)]
pub struct Texts {
    lang: Lang,
    zone: chrono_tz::Tz,
    here: String,
    site: std::sync::Arc<crate::SiteInfo>,
}

impl Texts {
    /// Texts in `lang` for the page at `here` (path and query).
    pub fn new(lang: Lang, zone: chrono_tz::Tz, here: &str) -> Texts {
        Texts {
            lang,
            zone,
            here: here.to_string(),
            site: Default::default(),
        }
    }

    /// The same with who runs the portal, for the footer.
    pub fn with_site(self, site: std::sync::Arc<crate::SiteInfo>) -> Texts {
        Texts { site, ..self }
    }

    /// Who runs the portal.
    pub fn site(&self) -> &crate::SiteInfo {
        &self.site
    }

    /// The language.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// The message `id`. A message missing from the file (a test forbids it) shows its id.
    pub fn t(&self, id: &str) -> String {
        self.format(id, None)
    }

    /// The message `id` with its arguments.
    pub fn tf(&self, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        let mut fa = FluentArgs::new();
        for (k, v) in args {
            fa.set(*k, v.clone());
        }
        self.format(id, Some(&fa))
    }

    fn format(&self, id: &str, args: Option<&FluentArgs<'_>>) -> String {
        let bundle = self.lang.bundle();
        let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
            tracing::warn!(lang = self.lang.code(), id, "no such message");
            return id.to_string();
        };
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, args, &mut errors);
        if !errors.is_empty() {
            tracing::warn!(
                lang = self.lang.code(),
                id,
                ?errors,
                "a message did not format"
            );
        }
        text.into_owned()
    }

    /// What the message files call an enum value (`sharing-conditional`).
    pub fn label(&self, v: impl Labelled) -> String {
        self.t(&v.message_id())
    }

    /// A stored RFC 3339 time in the platform's time zone (`2026-11-29 06:27:27`); text that
    /// is not such a time is shown as it is.
    pub fn time(&self, rfc3339: &str) -> String {
        match chrono::DateTime::parse_from_rfc3339(rfc3339) {
            Ok(t) => t
                .with_timezone(&self.zone)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string(),
            Err(_) => rfc3339.to_string(),
        }
    }

    /// The time zone's name.
    pub fn zone(&self) -> &'static str {
        self.zone.name()
    }

    /// The address that shows this page in `lang`, remembering the choice.
    pub fn switch_to(&self, lang: Lang) -> String {
        let query = serde_urlencoded::to_string([("to", lang.code()), ("back", &self.here)])
            .unwrap_or_default();
        format!("/lang?{query}")
    }
}

/// An enum whose values the message files name `<prefix>-<value>`.
pub trait Labelled: Copy {
    /// The message id of this value.
    fn message_id(self) -> String;
}

macro_rules! labelled {
    ($($t:ty => $prefix:literal by $name:path),* $(,)?) => {
        $(impl Labelled for $t {
            fn message_id(self) -> String {
                format!(concat!($prefix, "-{}"), $name(self).replace('_', "-").to_lowercase())
            }
        })*

        /// Every enum value's message id, for the test that both files name them all.
        #[cfg(test)]
        pub(crate) fn every_enum_id() -> Vec<String> {
            let mut ids = Vec::new();
            $(ids.extend(<$t>::ALL.iter().map(|v| v.message_id()));)*
            ids
        }
    };
}

use pubdata_platform::audit::Outcome;
use pubdata_platform::catalog::{
    DataType, OpenAttribute, PiiType, SecurityGrade, SharingAttribute, Theme, UpdateCycle,
};
use pubdata_platform::org::Role;
use pubdata_platform::quality::Reason;
use pubdata_platform::store::{JobKind, JobState};

labelled! {
    SharingAttribute => "sharing" by SharingAttribute::name,
    OpenAttribute => "open" by OpenAttribute::name,
    UpdateCycle => "cycle" by UpdateCycle::name,
    DataType => "type" by DataType::name,
    SecurityGrade => "grade" by SecurityGrade::name,
    PiiType => "pi" by PiiType::name,
    Outcome => "outcome" by Outcome::name,
    Reason => "reason" by Reason::name,
    JobKind => "job-kind" by JobKind::as_str,
    JobState => "job-state" by JobState::as_str,
    Role => "role" by Role::name,
    Theme => "theme" by Theme::name,
}

/// The language a request reads in: the remembered choice, else the best of `Accept-Language`
/// we have, else Chinese.
pub fn chosen(headers: &HeaderMap) -> Lang {
    cookie_lang(headers)
        .or_else(|| accepted(headers))
        .unwrap_or(Lang::Zh)
}

fn cookie_lang(headers: &HeaderMap) -> Option<Lang> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == LANG_COOKIE)
        .and_then(|(_, v)| Lang::parse(v))
}

/// The highest-weighted language range of ours in `Accept-Language` (the first on a tie).
fn accepted(headers: &HeaderMap) -> Option<Lang> {
    let text = headers.get(header::ACCEPT_LANGUAGE)?.to_str().ok()?;
    let mut best: Option<(Lang, f32)> = None;
    for range in text.split(',') {
        let mut parts = range.split(';');
        let Some(lang) = parts.next().and_then(Lang::parse) else {
            continue;
        };
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if q > 0.0 && best.is_none_or(|(_, b)| q > b) {
            best = Some((lang, q));
        }
    }
    best.map(|(l, _)| l)
}

tokio::task_local! {
    /// The request's texts, for what renders without an extractor (the error page).
    static CURRENT: Texts;
}

/// Middleware: works out the request's [`Texts`] once, for its handler (as an extension) and
/// for its error page (as a task-local).
pub async fn texts(State(s): State<AppState>, mut req: Request, next: Next) -> Response {
    let here = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let t = Texts::new(chosen(req.headers()), s.time_zone, &here).with_site(s.site.clone());
    req.extensions_mut().insert(t.clone());
    CURRENT.scope(t, next.run(req)).await
}

/// The current request's texts (Chinese in UTC+8 outside a request).
pub fn current() -> Texts {
    CURRENT
        .try_with(Texts::clone)
        .unwrap_or_else(|_| Texts::new(Lang::Zh, chrono_tz::Asia::Shanghai, "/"))
}

impl<S: Send + Sync> FromRequestParts<S> for Texts {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _: &S,
    ) -> Result<Self, std::convert::Infallible> {
        Ok(parts
            .extensions
            .get::<Texts>()
            .cloned()
            .unwrap_or_else(current))
    }
}

/// The language switch's query.
#[derive(Debug, Deserialize)]
pub(crate) struct Switch {
    to: String,
    #[serde(default)]
    back: String,
}

/// `GET /lang?to=en&back=/catalog`: remembers the language for a year and goes back to the page.
/// Only an address on this site is gone back to (never `//elsewhere`).
pub(crate) async fn switch(
    crate::pages::PageQuery(q): crate::pages::PageQuery<Switch>,
) -> Result<Response, crate::pages::PageError> {
    let Some(lang) = Lang::parse(&q.to) else {
        let message = format!("to: {:?} is not a language of the pages (zh or en)", q.to);
        return Err(crate::error::ApiError::bad_request(message).into());
    };
    let local = q.back.starts_with('/') && !q.back.starts_with("//") && !q.back.contains('\\');
    let back = if local { q.back.as_str() } else { "/" };
    let mut r = Redirect::to(back).into_response();
    let cookie = format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        lang.code()
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Every message id a file defines.
    fn ids(lang: Lang) -> BTreeSet<String> {
        let r = FluentResource::try_new(lang.source().to_string())
            .unwrap_or_else(|(_, e)| panic!("{} does not parse: {e:?}", lang.code()));
        r.entries()
            .filter_map(|e| match e {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_string()),
                _ => None,
            })
            .collect()
    }

    /// The ids the pages' code asks for by literal: `t("…")`, `tf("…"`.
    fn ids_in_code() -> BTreeSet<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut found = BTreeSet::new();
        let mut stack = vec![dir];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).expect("src") {
                let p = e.expect("entry").path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    let text = std::fs::read_to_string(&p).expect("read");
                    for call in [".t(\"", ".tf(\""] {
                        for (at, _) in text.match_indices(call) {
                            let rest = &text[at + call.len()..];
                            if let Some(end) = rest.find('"') {
                                found.insert(rest[..end].to_string());
                            }
                        }
                    }
                }
            }
        }
        found
    }

    #[test]
    fn both_languages_have_every_message_the_pages_use_and_no_other() {
        let zh = ids(Lang::Zh);
        let en = ids(Lang::En);
        let only = |a: &BTreeSet<String>, b: &BTreeSet<String>| -> Vec<String> {
            a.difference(b).cloned().collect()
        };
        assert_eq!(only(&zh, &en), Vec::<String>::new(), "in Chinese only");
        assert_eq!(only(&en, &zh), Vec::<String>::new(), "in English only");
        let mut used = ids_in_code();
        used.extend(every_enum_id());
        assert!(
            used.len() > 100,
            "the scan finds the pages' messages: {used:?}"
        );
        assert_eq!(only(&used, &zh), Vec::<String>::new(), "used but missing");
        assert_eq!(only(&zh, &used), Vec::<String>::new(), "defined but unused");
    }

    #[test]
    fn every_message_formats_in_both_languages_without_error() {
        for lang in Lang::ALL {
            let bundle = lang.bundle();
            for id in ids(lang) {
                let pattern = bundle.get_message(&id).and_then(|m| m.value());
                let pattern = pattern.unwrap_or_else(|| panic!("{id} has no value"));
                let mut args = FluentArgs::new();
                for name in [
                    "n",
                    "path",
                    "version",
                    "id",
                    "seconds",
                    "phase",
                    "rows",
                    "zone",
                    "views",
                    "downloads",
                    "calls",
                    "number",
                    "page",
                    "pages",
                    "read",
                    "rejected",
                    "holder",
                ] {
                    args.set(name, "x");
                }
                let mut errors = Vec::new();
                let text = bundle.format_pattern(pattern, Some(&args), &mut errors);
                assert!(
                    errors.is_empty() && !text.trim().is_empty(),
                    "{id}: {errors:?}"
                );
            }
        }
    }

    #[test]
    fn the_language_comes_from_the_cookie_then_accept_language_then_chinese() {
        let h = |pairs: &[(header::HeaderName, &str)]| {
            let mut m = HeaderMap::new();
            for (k, v) in pairs {
                m.append(k.clone(), HeaderValue::from_str(v).expect("header"));
            }
            chosen(&m)
        };
        assert_eq!(h(&[]), Lang::Zh);
        assert_eq!(h(&[(header::ACCEPT_LANGUAGE, "en-GB,en;q=0.9")]), Lang::En);
        assert_eq!(
            h(&[(header::ACCEPT_LANGUAGE, "fr, en;q=0.5, zh;q=0.8")]),
            Lang::Zh
        );
        assert_eq!(
            h(&[(header::ACCEPT_LANGUAGE, "zh;q=0, en;q=0.1")]),
            Lang::En
        );
        assert_eq!(h(&[(header::ACCEPT_LANGUAGE, "de, fr")]), Lang::Zh);
        assert_eq!(
            h(&[
                (header::ACCEPT_LANGUAGE, "en"),
                (header::COOKIE, "a=b; pubdata_lang=zh"),
            ]),
            Lang::Zh
        );
    }

    #[test]
    fn times_are_shown_in_the_platform_time_zone() {
        let t = Texts::new(Lang::Zh, chrono_tz::Asia::Shanghai, "/");
        assert_eq!(t.time("2026-11-28T22:27:27.123Z"), "2026-11-29 06:27:27");
        let utc = Texts::new(Lang::En, chrono_tz::UTC, "/");
        assert_eq!(utc.time("2026-11-28T22:27:27Z"), "2026-11-28 22:27:27");
        assert_eq!(t.time("not a time"), "not a time");
    }
}
