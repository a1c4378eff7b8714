//! DCAT (DCAT-AP 3) descriptions of the open datasets: `/catalog.jsonld` and `/catalog.ttl`
//! (100 datasets a page, newest first, with Hydra paging and `modified_since`), and
//! `/dataset/{id}.jsonld` / `.ttl`. One graph of RDF terms is built per request and written as
//! Turtle (oxttl) or as expanded JSON-LD, so both say the same triples. The open attribute is
//! also given as DCAT-US `accessLevel`.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oxrdf::vocab::{rdf, xsd};
use oxrdf::{BlankNode, Literal, NamedNode, NamedOrBlankNode, Term, Triple};
use pubdata_platform::catalog::UpdateCycle;
use pubdata_platform::opening::search::{Facet, Search, Sort, search, values};
use pubdata_platform::org::OrganizationKind;
use pubdata_platform::store::{OpenCount, OpenDataset, Organization};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::AppState;
use crate::error::ApiError;
use crate::open::data::{File, count, file_url};

/// Datasets per catalog page.
const PER_PAGE: usize = 100;

const PREFIXES: [(&str, &str); 8] = [
    ("dcat", "http://www.w3.org/ns/dcat#"),
    ("dct", "http://purl.org/dc/terms/"),
    ("foaf", "http://xmlns.com/foaf/0.1/"),
    ("vcard", "http://www.w3.org/2006/vcard/ns#"),
    ("hydra", "http://www.w3.org/ns/hydra/core#"),
    ("pod", "https://project-open-data.cio.gov/v1.1/schema#"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
    ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
];

/// A vocabulary term: `dcat:Dataset` -> its IRI.
fn term(curie: &str) -> NamedNode {
    let (prefix, local) = curie.split_once(':').unwrap_or(("", curie));
    let base = PREFIXES
        .iter()
        .find(|(p, _)| *p == prefix)
        .map_or("", |(_, iri)| *iri);
    NamedNode::new_unchecked(format!("{base}{local}"))
}

/// The triples being built.
#[derive(Default)]
struct Graph(Vec<Triple>);

impl Graph {
    fn add(&mut self, s: impl Into<NamedOrBlankNode>, p: &str, o: impl Into<Term>) {
        self.0.push(Triple::new(s, term(p), o));
    }
    fn text(&mut self, s: &NamedNode, p: &str, text: &str, lang: Option<&str>) {
        let literal = lang
            .and_then(|l| Literal::new_language_tagged_literal(text, l).ok())
            .unwrap_or_else(|| Literal::new_simple_literal(text));
        self.add(s.clone(), p, literal);
    }
    fn time(&mut self, s: &NamedNode, p: &str, rfc3339: &str) {
        self.add(
            s.clone(),
            p,
            Literal::new_typed_literal(rfc3339, xsd::DATE_TIME),
        );
    }
}

/// An IRI under the site: `path`'s characters outside RFC 3987's unreserved ones, `/`, `?`, `=`
/// and `&` are percent-encoded (an organization code with a space must not fail the catalog).
fn iri(site: &str, path: &str) -> Result<NamedNode, ApiError> {
    let mut encoded = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/?=&".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    NamedNode::new(format!("{site}{encoded}")).map_err(ApiError::internal)
}

/// The EU frequency vocabulary's code for an update cycle.
fn frequency(c: UpdateCycle) -> &'static str {
    match c {
        UpdateCycle::RealTime => "UPDATE_CONT",
        UpdateCycle::Daily => "DAILY",
        UpdateCycle::Weekly => "WEEKLY",
        UpdateCycle::Monthly => "MONTHLY",
        UpdateCycle::Quarterly => "QUARTERLY",
        UpdateCycle::Yearly => "ANNUAL",
        UpdateCycle::Irregular => "IRREG",
    }
}

fn org_iri(site: &str, code: &str) -> Result<NamedNode, ApiError> {
    iri(site, &format!("/api/3/action/organization_show?id={code}"))
}

fn agent(g: &mut Graph, site: &str, o: &Organization) -> Result<NamedNode, ApiError> {
    let node = org_iri(site, &o.code)?;
    g.add(node.clone(), "rdf:type", term("foaf:Agent"));
    g.add(node.clone(), "rdf:type", term("foaf:Organization"));
    g.text(&node, "foaf:name", &o.name, Some("zh"));
    Ok(node)
}

/// The triples of one dataset; returns its node.
fn describe(
    g: &mut Graph,
    site: &str,
    d: &OpenDataset,
    orgs: &BTreeMap<String, Organization>,
    terms_url: Option<&str>,
) -> Result<NamedNode, ApiError> {
    let e = &d.entry.entry;
    let node = iri(site, &format!("/dataset/{}", d.entry.id))?;
    g.add(node.clone(), "rdf:type", term("dcat:Dataset"));
    g.text(&node, "dct:identifier", &d.entry.id, None);
    g.text(&node, "dct:title", &e.title, Some("zh"));
    // DCAT-AP requires a description; an entry without one is described by its title.
    let description = if e.description.trim().is_empty() {
        &e.title
    } else {
        &e.description
    };
    g.text(&node, "dct:description", description, Some("zh"));
    for tag in values(d, Facet::Tag) {
        g.text(&node, "dcat:keyword", &tag, Some("zh"));
    }
    if let Some(theme) = e.theme {
        g.add(
            node.clone(),
            "dcat:theme",
            NamedNode::new_unchecked(format!(
                "http://publications.europa.eu/resource/authority/data-theme/{}",
                theme.eu_theme()
            )),
        );
    }
    if let Some(o) = orgs.get(&e.owner) {
        let publisher = agent(g, site, o)?;
        g.add(node.clone(), "dct:publisher", publisher);
        let contact = BlankNode::default();
        g.add(contact.clone(), "rdf:type", term("vcard:Organization"));
        g.add(
            contact.clone(),
            "vcard:fn",
            Literal::new_simple_literal(&o.name),
        );
        g.add(node.clone(), "dcat:contactPoint", contact);
        if !o.region.is_empty() {
            let place = BlankNode::default();
            g.add(place.clone(), "rdf:type", term("dct:Location"));
            g.add(
                place.clone(),
                "dct:identifier",
                Literal::new_simple_literal(format!("GB/T 2260 {}", o.region)),
            );
            g.add(node.clone(), "dct:spatial", place);
        }
    }
    g.time(&node, "dct:issued", &d.entry.created_at);
    g.time(&node, "dct:modified", d.modified());
    g.add(
        node.clone(),
        "dcat:landingPage",
        iri(site, &format!("/open/{}", d.entry.id))?,
    );
    g.add(
        node.clone(),
        "pod:accessLevel",
        Literal::new_simple_literal(super::ckan::access_level(d)),
    );
    g.add(
        node.clone(),
        "dct:accrualPeriodicity",
        NamedNode::new_unchecked(format!(
            "http://publications.europa.eu/resource/authority/frequency/{}",
            frequency(e.update_cycle)
        )),
    );
    // Public, or restricted (grants only), in the EU access-right vocabulary.
    g.add(
        node.clone(),
        "dct:accessRights",
        NamedNode::new_unchecked(format!(
            "http://publications.europa.eu/resource/authority/access-right/{}",
            if d.latest.is_some() {
                "PUBLIC"
            } else {
                "RESTRICTED"
            }
        )),
    );
    if let Some(r) = &d.latest {
        let first = r.published_at.as_str();
        for f in File::ALL {
            let dist = iri(
                site,
                &format!(
                    "/dataset/{}/resource/{}-{}",
                    d.entry.id,
                    r.id,
                    f.format().to_ascii_lowercase()
                ),
            )?;
            g.add(node.clone(), "dcat:distribution", dist.clone());
            g.add(dist.clone(), "rdf:type", term("dcat:Distribution"));
            g.text(
                &dist,
                "dct:title",
                &format!("{} ({})", e.title, f.format()),
                Some("zh"),
            );
            g.text(
                &dist,
                "dct:description",
                &format!(
                    "release {} of version {}, {} rows",
                    r.number, r.version, r.rows
                ),
                Some("en"),
            );
            g.add(
                dist.clone(),
                "dcat:accessURL",
                iri(site, &format!("/open/{}", d.entry.id))?,
            );
            g.add(
                dist.clone(),
                "dcat:downloadURL",
                iri(site, &file_url(&d.entry.id, r.number, f))?,
            );
            g.add(
                dist.clone(),
                "dct:format",
                Literal::new_simple_literal(f.format()),
            );
            let media = f.media_type().split(';').next().unwrap_or("");
            g.add(
                dist.clone(),
                "dcat:mediaType",
                NamedNode::new_unchecked(format!(
                    "https://www.iana.org/assignments/media-types/{media}"
                )),
            );
            g.time(&dist, "dct:issued", first);
            if let Some(terms) = terms_url.and_then(|u| NamedNode::new(u).ok()) {
                g.add(dist.clone(), "dct:license", terms);
            }
        }
    }
    Ok(node)
}

/// The paging of a catalog page.
#[derive(Debug, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct CatalogQuery {
    /// The page, from 1.
    page: Option<usize>,
    /// Only datasets modified at or after this time (RFC 3339).
    modified_since: Option<String>,
}

async fn catalog_graph(
    s: &AppState,
    site: &str,
    q: &CatalogQuery,
    extension: &str,
) -> Result<Graph, ApiError> {
    let page = q.page.unwrap_or(1);
    if page == 0 {
        return Err(ApiError::bad_request("page: pages are numbered from 1"));
    }
    let since = match &q.modified_since {
        None => None,
        Some(t) => Some(
            chrono::DateTime::parse_from_rfc3339(t)
                .map_err(|_| {
                    ApiError::bad_request(format!(
                        "modified_since: {t:?} is not an RFC 3339 time (2026-01-01T00:00:00Z)"
                    ))
                })?
                .with_timezone(&chrono::Utc)
                .format("%Y-%m-%dT%H:%M:%S%.6fZ")
                .to_string(),
        ),
    };
    let all = s.store.open_datasets().await?;
    let orgs = super::organizations(s).await?;
    let found = search(
        &all,
        &Search {
            modified_from: since,
            sort: Sort::Newest,
            start: (page - 1) * PER_PAGE,
            rows: PER_PAGE,
            ..Default::default()
        },
        &[],
    );
    let mut g = Graph::default();
    let catalog = iri(site, "/catalog")?;
    g.add(catalog.clone(), "rdf:type", term("dcat:Catalog"));
    g.text(&catalog, "dct:title", "公共数据开放目录", Some("zh"));
    g.text(
        &catalog,
        "dct:title",
        "Open public data catalog",
        Some("en"),
    );
    g.text(
        &catalog,
        "dct:description",
        "本平台向社会开放的公共数据集及其发布版本。",
        Some("zh"),
    );
    g.text(
        &catalog,
        "dct:description",
        "The public datasets this platform opens, with their releases.",
        Some("en"),
    );
    g.add(catalog.clone(), "foaf:homepage", iri(site, "/open")?);
    // The data authority publishes the catalog.
    if let Some(authority) = orgs
        .values()
        .find(|o| o.kind == OrganizationKind::DataAuthority)
    {
        let publisher = agent(&mut g, site, authority)?;
        g.add(catalog.clone(), "dct:publisher", publisher);
    }
    if let Some(newest) = all.iter().map(|d| d.modified()).max() {
        g.time(&catalog, "dct:modified", newest);
    }
    for d in &found.page {
        let node = describe(&mut g, site, d, &orgs, s.site.terms_url.as_deref())?;
        g.add(catalog.clone(), "dcat:dataset", node);
    }
    if found.total > 0 {
        let last = found.total.div_ceil(PER_PAGE).max(1);
        let link = |n: usize| {
            let mut u = format!("{site}/catalog.{extension}?page={n}");
            if let Some(t) = &q.modified_since
                && let Ok(enc) = serde_urlencoded::to_string([("modified_since", t)])
            {
                u.push('&');
                u.push_str(&enc);
            }
            u
        };
        let this = NamedNode::new(link(page)).map_err(ApiError::internal)?;
        g.add(this.clone(), "rdf:type", term("hydra:PagedCollection"));
        g.add(
            this.clone(),
            "hydra:totalItems",
            Literal::new_typed_literal(found.total.to_string(), xsd::INTEGER),
        );
        g.add(
            this.clone(),
            "hydra:itemsPerPage",
            Literal::new_typed_literal(PER_PAGE.to_string(), xsd::INTEGER),
        );
        for (p, n) in [("first", 1), ("last", last)] {
            g.text(&this, &format!("hydra:{p}Page"), &link(n), None);
            g.text(&this, &format!("hydra:{p}"), &link(n), None);
        }
        if page < last {
            g.text(&this, "hydra:nextPage", &link(page + 1), None);
            g.text(&this, "hydra:next", &link(page + 1), None);
        }
        if page > 1 {
            g.text(&this, "hydra:previousPage", &link(page - 1), None);
            g.text(&this, "hydra:previous", &link(page - 1), None);
        }
    }
    Ok(g)
}

fn turtle(g: &Graph) -> Result<Response, ApiError> {
    let mut serializer = oxttl::TurtleSerializer::new();
    for (p, iri) in PREFIXES {
        serializer = serializer.with_prefix(p, iri).map_err(ApiError::internal)?;
    }
    let mut writer = serializer.for_writer(Vec::new());
    for t in &g.0 {
        writer.serialize_triple(t).map_err(ApiError::internal)?;
    }
    let bytes = writer.finish().map_err(ApiError::internal)?;
    Ok((
        [(header::CONTENT_TYPE, "text/turtle; charset=utf-8")],
        bytes,
    )
        .into_response())
}

/// The graph as expanded JSON-LD: one node object per subject, full IRIs, typed values.
fn jsonld(g: &Graph) -> Response {
    let mut nodes: Vec<(String, Map<String, Value>)> = Vec::new();
    for t in &g.0 {
        let id = match &t.subject {
            NamedOrBlankNode::NamedNode(n) => n.as_str().to_string(),
            NamedOrBlankNode::BlankNode(b) => format!("_:{}", b.as_str()),
        };
        let at = match nodes.iter().position(|(s, _)| *s == id) {
            Some(i) => i,
            None => {
                let mut m = Map::new();
                m.insert("@id".into(), json!(id));
                nodes.push((id, m));
                nodes.len() - 1
            }
        };
        let node = &mut nodes[at].1;
        let (key, value) = if t.predicate.as_ref() == rdf::TYPE {
            let Term::NamedNode(n) = &t.object else {
                continue;
            };
            ("@type".to_string(), json!(n.as_str()))
        } else {
            let value = match &t.object {
                Term::NamedNode(n) => json!({"@id": n.as_str()}),
                Term::BlankNode(b) => json!({"@id": format!("_:{}", b.as_str())}),
                Term::Literal(l) => match l.language() {
                    Some(lang) => json!({"@value": l.value(), "@language": lang}),
                    None if l.datatype() == xsd::STRING => json!({"@value": l.value()}),
                    None => json!({"@value": l.value(), "@type": l.datatype().as_str()}),
                },
            };
            (t.predicate.as_str().to_string(), value)
        };
        match node.get_mut(&key) {
            Some(Value::Array(list)) => list.push(value),
            _ => {
                node.insert(key, json!([value]));
            }
        }
    }
    let graph: Vec<Value> = nodes.into_iter().map(|(_, m)| Value::Object(m)).collect();
    let context: Map<String, Value> = PREFIXES
        .iter()
        .map(|(p, iri)| (p.to_string(), json!(iri)))
        .collect();
    (
        [(header::CONTENT_TYPE, "application/ld+json; charset=utf-8")],
        serde_json::to_string(&json!({"@context": context, "@graph": graph})).unwrap_or_default(),
    )
        .into_response()
}

/// `GET /catalog.jsonld`: the catalog page as JSON-LD.
pub(crate) async fn catalog_jsonld(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<CatalogQuery>,
) -> Result<Response, ApiError> {
    let site = super::site(&s, &headers);
    Ok(jsonld(&catalog_graph(&s, &site, &q, "jsonld").await?))
}

/// `GET /catalog.ttl`: the catalog page as Turtle.
pub(crate) async fn catalog_ttl(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<CatalogQuery>,
) -> Result<Response, ApiError> {
    let site = super::site(&s, &headers);
    turtle(&catalog_graph(&s, &site, &q, "ttl").await?)
}

/// `GET /dataset/{id}.jsonld` or `.ttl`: one dataset.
pub(crate) async fn dataset(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    let (id, jsonld_wanted) = if let Some(id) = file.strip_suffix(".jsonld") {
        (id, true)
    } else if let Some(id) = file.strip_suffix(".ttl") {
        (id, false)
    } else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no {file:?}: ask for /dataset/ID.jsonld or /dataset/ID.ttl"),
        ));
    };
    let site = super::site(&s, &headers);
    let d = s.store.open_dataset(id).await?;
    count(&s, id, OpenCount::ApiCall).await;
    let orgs = super::organizations(&s).await?;
    let mut g = Graph::default();
    describe(&mut g, &site, &d, &orgs, s.site.terms_url.as_deref())?;
    if jsonld_wanted {
        Ok(jsonld(&g))
    } else {
        turtle(&g)
    }
}
