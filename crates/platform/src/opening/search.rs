//! Finding open datasets: the portal's search and the CKAN adapter's `package_search` are one
//! function, so a visitor and a harvester see the same datasets in the same order. Words match
//! the title, description, data items and holder; filters and facets work on named fields;
//! every order ends on the id, so paging is stable.

use std::collections::BTreeMap;

use crate::store::OpenDataset;

/// A field datasets are filtered and counted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Facet {
    /// The holding organization's code.
    Organization,
    /// The domain (数据领域), CKAN's groups.
    Theme,
    /// The formats a download is offered in.
    Format,
    /// The open attribute (`unconditional`, `restricted`).
    Open,
    /// The highest security grade of its data items.
    Grade,
    /// The update cycle.
    UpdateCycle,
    /// The holder's region code.
    Region,
    /// Keywords: the data items' labels.
    Tag,
    /// The licence id.
    License,
}

impl Facet {
    /// Every facet.
    pub const ALL: [Facet; 9] = [
        Facet::Organization,
        Facet::Theme,
        Facet::Format,
        Facet::Open,
        Facet::Grade,
        Facet::UpdateCycle,
        Facet::Region,
        Facet::Tag,
        Facet::License,
    ];

    /// Its name in queries (the portal's parameters, CKAN's `fq` and `facet.field`).
    pub fn name(self) -> &'static str {
        match self {
            Facet::Organization => "organization",
            Facet::Theme => "groups",
            Facet::Format => "res_format",
            Facet::Open => "open",
            Facet::Grade => "grade",
            Facet::UpdateCycle => "update_cycle",
            Facet::Region => "region",
            Facet::Tag => "tags",
            Facet::License => "license_id",
        }
    }

    /// The facet named `name`.
    pub fn from_name(name: &str) -> Option<Facet> {
        Facet::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// The formats every live public release is served in.
pub const FORMATS: [&str; 4] = ["CSV", "JSONL", "Parquet", "XLSX"];

/// The licence of public releases: CKAN's "Other (Open)", whose terms the portal's terms of
/// use (`serve --terms-url`) state.
pub const OPEN_LICENSE: &str = "other-open";
/// The licence of restricted data: used under an agreement, never openly.
pub const RESTRICTED_LICENSE: &str = "other-closed";

/// A dataset's values for `facet`.
pub fn values(d: &OpenDataset, facet: Facet) -> Vec<String> {
    let e = &d.entry.entry;
    match facet {
        Facet::Organization => vec![e.owner.clone()],
        Facet::Theme => e.theme.map(|t| t.name().to_string()).into_iter().collect(),
        Facet::Format if d.latest.is_some() => FORMATS.iter().map(|f| f.to_string()).collect(),
        Facet::Format => Vec::new(),
        Facet::Open => vec![e.open.name().to_string()],
        Facet::Grade => e
            .items
            .iter()
            .map(|i| i.grade)
            .max()
            .map(|g| vec![g.name().to_string()])
            .unwrap_or_default(),
        Facet::UpdateCycle => vec![e.update_cycle.name().to_string()],
        Facet::Region => Some(d.region.clone())
            .filter(|r| !r.is_empty())
            .into_iter()
            .collect(),
        Facet::Tag => {
            let tags: std::collections::BTreeSet<String> = e
                .items
                .iter()
                .filter(|i| i.open && !i.label.trim().is_empty())
                .map(|i| i.label.trim().to_string())
                .collect();
            tags.into_iter().collect()
        }
        Facet::License => vec![license(d).to_string()],
    }
}

/// The licence id of a dataset.
pub fn license(d: &OpenDataset) -> &'static str {
    if d.latest.is_some() {
        OPEN_LICENSE
    } else {
        RESTRICTED_LICENSE
    }
}

/// The order of results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Best match first (without words: newest first).
    #[default]
    Relevance,
    /// Most recently modified first.
    Newest,
    /// Least recently modified first.
    Oldest,
    /// Most downloaded first.
    Downloads,
    /// By id (what harvesters page by).
    Id,
    /// By title.
    Title,
}

/// A search.
#[derive(Debug, Clone, Default)]
pub struct Search {
    /// Words that must all appear (case-insensitive).
    pub text: String,
    /// Each filter must hold: the dataset has the value for the facet.
    pub filters: Vec<(Facet, String)>,
    /// Modified at or after this time (RFC 3339 text), if given.
    pub modified_from: Option<String>,
    /// Modified at or before this time, if given.
    pub modified_to: Option<String>,
    /// The order.
    pub sort: Sort,
    /// Whether the order is reversed (CKAN's `desc` on an ascending order).
    pub descending: bool,
    /// Results skipped.
    pub start: usize,
    /// Results returned at most.
    pub rows: usize,
}

/// What a search found.
#[derive(Debug)]
pub struct Found<'a> {
    /// How many datasets match.
    pub total: usize,
    /// The page asked for.
    pub page: Vec<&'a OpenDataset>,
    /// For each facet asked for, its values over all matches with their counts, most first.
    pub facets: BTreeMap<Facet, Vec<(String, usize)>>,
}

/// A dataset's text as the search reads it, lowercased once when the portal's list is loaded.
#[derive(Debug, Clone, Default)]
pub struct Haystack {
    title: String,
    description: String,
    rest: String,
}

impl Haystack {
    /// The searchable text of `entry`, held by `organization`.
    pub fn of(entry: &crate::catalog::CatalogEntry, organization: &str) -> Haystack {
        let mut rest = organization.to_lowercase();
        for i in &entry.items {
            rest.push('\n');
            rest.push_str(&i.name.to_lowercase());
            rest.push(' ');
            rest.push_str(&i.label.to_lowercase());
        }
        Haystack {
            title: entry.title.to_lowercase(),
            description: entry.description.to_lowercase(),
            rest,
        }
    }
}

/// How well `d` matches `words` (0: not all words appear; 1 when there are no words).
fn score(d: &OpenDataset, words: &[String]) -> u32 {
    let h = &d.haystack;
    let mut total = 0;
    for w in words {
        let here = 3 * u32::from(h.title.contains(w.as_str()))
            + u32::from(h.description.contains(w.as_str()))
            + u32::from(h.rest.contains(w.as_str()));
        if here == 0 {
            return 0;
        }
        total += here;
    }
    total.max(1)
}

/// Searches `all`, counting `facets` over every match.
pub fn search<'a>(all: &'a [OpenDataset], q: &Search, facets: &[Facet]) -> Found<'a> {
    let words: Vec<String> = q
        .text
        .to_lowercase()
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let mut hits: Vec<(u32, &OpenDataset)> = all
        .iter()
        .filter(|d| {
            q.filters
                .iter()
                .all(|(f, v)| values(d, *f).iter().any(|x| x == v))
        })
        .filter(|d| q.modified_from.as_deref().is_none_or(|t| d.modified() >= t))
        .filter(|d| q.modified_to.as_deref().is_none_or(|t| d.modified() <= t))
        .map(|d| (score(d, &words), d))
        .filter(|(s, _)| *s > 0)
        .collect();
    hits.sort_by(|(sa, a), (sb, b)| {
        let by = match q.sort {
            Sort::Relevance => sb.cmp(sa).then_with(|| b.modified().cmp(a.modified())),
            Sort::Newest => b.modified().cmp(a.modified()),
            Sort::Oldest => a.modified().cmp(b.modified()),
            Sort::Downloads => b.counts.downloads.cmp(&a.counts.downloads),
            Sort::Id => std::cmp::Ordering::Equal,
            Sort::Title => a.entry.entry.title.cmp(&b.entry.entry.title),
        };
        // The id ends every order, so that pages never repeat or skip a dataset.
        let by = by.then_with(|| a.entry.id.cmp(&b.entry.id));
        if q.descending { by.reverse() } else { by }
    });
    let mut counted = BTreeMap::new();
    for f in facets {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for (_, d) in &hits {
            for v in values(d, *f) {
                *counts.entry(v).or_default() += 1;
            }
        }
        let mut list: Vec<(String, usize)> = counts.into_iter().collect();
        list.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        counted.insert(*f, list);
    }
    Found {
        total: hits.len(),
        page: hits
            .into_iter()
            .skip(q.start)
            .take(q.rows)
            .map(|(_, d)| d)
            .collect(),
        facets: counted,
    }
}
