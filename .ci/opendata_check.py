"""Checks `pubdata serve --demo` as open-data clients see it: the `ckanapi` CLI (search, dump,
datastore_search) and DCAT parsed by rdflib. Exits non-zero with a message on the first failure."""

import json
import subprocess
import sys
import urllib.request

import rdflib
from rdflib.compare import isomorphic

BASE = sys.argv[1]


def ckanapi(*args):
    out = subprocess.run(
        ["ckanapi", *args, "-r", BASE], check=True, capture_output=True, text=True
    )
    return out.stdout


def get(path):
    with urllib.request.urlopen(BASE + path) as r:
        return r.read()


def action(name, **params):
    req = urllib.request.Request(
        BASE + "/api/action/" + name,
        data=json.dumps(params).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req) as r:
        body = json.load(r)
    assert body["success"], body
    return body["result"]


def check(cond, message):
    if not cond:
        sys.exit("opendata check failed: " + message)


# ckanapi search datasets: every dataset of the portal, once, with its resources.
names = action("package_list")
check(len(names) >= 5, f"package_list lists {len(names)} datasets")
found = [json.loads(l) for l in ckanapi("search", "datasets").splitlines()]
check(sorted(d["name"] for d in found) == sorted(names), "search datasets != package_list")
water = [d for d in found if d["title"] == "居民生活用水量（按街道汇总）"]
check(len(water) == 1, "the demo's water usage is not found")
formats = sorted(r["format"] for r in water[0]["resources"])
check(formats == ["CSV", "JSONL", "Parquet", "XLSX"], f"water resources: {formats}")
restricted = [d for d in found if d["license_id"] == "other-closed"]
check(restricted and all(d["resources"] == [] for d in restricted), "a restricted dataset has resources")
hits = [json.loads(l) for l in ckanapi("search", "datasets", "q=用水量").splitlines()]
check(any(d["name"] == water[0]["name"] for d in hits), "q=用水量 misses the water usage")
by_org = [
    json.loads(l)
    for l in ckanapi("search", "datasets", "fq=organization:hz-water res_format:CSV").splitlines()
]
check(
    by_org and all(d["owner_org"] == "hz-water" and d["resources"] for d in by_org),
    "fq organization/res_format",
)

groups = {g["name"]: g for g in action("group_list", all_fields=True)}
check(groups.get("utilities", {}).get("package_count", 0) >= 3, f"groups: {groups.get('utilities')}")
in_group = action("package_search", fq="groups:utilities", rows=100)["results"]
check(any(d["name"] == water[0]["name"] for d in in_group), "fq=groups:utilities misses the water usage")

# ckanapi dump datasets --all: one package_show per name, the same dicts.
dumped = [json.loads(l) for l in ckanapi("dump", "datasets", "--all", "-q").splitlines()]
check([d["name"] for d in dumped] == names, "dump datasets --all != package_list, in order")
check(all(d["title"] and "resources" in d for d in dumped), "a dumped dataset lacks its fields")

# A harvester paging by id: stable pages, no repeats, every dataset.
seen = []
for start in range(0, len(names) + 2, 2):
    page = action("package_search", rows=2, start=start, sort="id asc")["results"]
    seen += [d["id"] for d in page]
check(seen == sorted(names), f"paging by id asc: {seen}")
facets = action("package_search", **{"facet.field": ["organization", "res_format"]})
items = facets["search_facets"]["organization"]["items"]
check(any(i["name"] == "hz-water" and i["count"] >= 1 for i in items), "organization facet")

# ckanapi action datastore_search: the water release's rows, filtered and counted.
csv_resource = next(r["id"] for r in water[0]["resources"] if r["format"] == "CSV")
result = json.loads(ckanapi("action", "datastore_search", f"resource_id={csv_resource}", "limit=5"))
check(len(result["records"]) == 5, f"limit=5 gave {len(result['records'])} records")
check(result["total"] == 120, f"total {result['total']} (12 streets x 10 months)")
check(
    [f["id"] for f in result["fields"]] == ["_id", "street_code", "month", "usage_m3"],
    f"fields {result['fields']}",
)
one_street = json.loads(
    ckanapi(
        "action",
        "datastore_search",
        f"resource_id={csv_resource}",
        'filters:{"street_code": "330106001"}',
        "sort=month desc",
    )
)
check(one_street["total"] == 10, f"one street: {one_street['total']} months")
months = [r["month"] for r in one_street["records"]]
check(months == sorted(months, reverse=True), f"sort=month desc: {months}")
check(
    all(r["street_code"] == "330106001" for r in one_street["records"]),
    "a filter let another street through",
)

# DCAT: both serializations parse, say the same triples, and hold the mandatory properties.
ttl = rdflib.Graph().parse(data=get("/catalog.ttl"), format="turtle")
jsonld = rdflib.Graph().parse(data=get("/catalog.jsonld"), format="json-ld")
HYDRA = rdflib.Namespace("http://www.w3.org/ns/hydra/core#")


def without_paging(g):
    """The graph less its Hydra paging node, whose address names the format asked for."""
    pages = set(g.subjects(rdflib.RDF.type, HYDRA.PagedCollection))
    check(len(pages) == 1, f"{len(pages)} hydra:PagedCollection nodes")
    out = rdflib.Graph()
    for t in g:
        if t[0] not in pages:
            out.add(t)
    return out


check(
    len(ttl) > 50 and isomorphic(without_paging(ttl), without_paging(jsonld)),
    f"turtle ({len(ttl)}) and json-ld ({len(jsonld)}) say different things",
)
page = next(ttl.subjects(rdflib.RDF.type, HYDRA.PagedCollection))
check(int(ttl.value(page, HYDRA.totalItems)) == len(names), "hydra:totalItems")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
DCT = rdflib.Namespace("http://purl.org/dc/terms/")
POD = rdflib.Namespace("https://project-open-data.cio.gov/v1.1/schema#")
catalogs = list(ttl.subjects(rdflib.RDF.type, DCAT.Catalog))
check(len(catalogs) == 1, "one dcat:Catalog")
for p in (DCT.title, DCT.description, DCT.publisher):
    check(ttl.value(catalogs[0], p) is not None, f"the catalog lacks {p}")
datasets = list(ttl.subjects(rdflib.RDF.type, DCAT.Dataset))
check(len(datasets) == len(names), f"{len(datasets)} dcat:Dataset for {len(names)} datasets")
for d in datasets:
    for p in (DCT.title, DCT.description):
        check(ttl.value(d, p) is not None, f"{d} lacks {p}")
    check(str(ttl.value(d, POD.accessLevel)) in ("public", "restricted public"), f"{d} accessLevel")
distributions = list(ttl.subjects(rdflib.RDF.type, DCAT.Distribution))
check(distributions, "no dcat:Distribution")
for d in distributions:
    check(ttl.value(d, DCAT.accessURL) is not None, f"{d} lacks dcat:accessURL")
one = rdflib.Graph().parse(data=get(f"/dataset/{water[0]['id']}.ttl"), format="turtle")
check(len(list(one.subjects(rdflib.RDF.type, DCAT.Distribution))) == 4, "the water dataset's distributions")

print(
    f"opendata: ckanapi read {len(found)} datasets (search, dump, datastore_search) and rdflib "
    f"parsed {len(ttl)} DCAT triples"
)
