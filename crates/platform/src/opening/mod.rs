//! Opening (开放): which releases of a catalog entry may exist, and for whom. The rules are the
//! regulation's, decided here for every door (API, pages, command line, jobs):
//!
//! - *unconditional* (无条件开放): published for anyone, but never with a direct identifier or a
//!   core-grade (L4) item in the clear: a de-identification policy must transform or drop it;
//! - *restricted* (受限开放): only after de-identification (a policy, and no direct identifier in
//!   the clear), and where quasi-identifiers stay, only if an anonymization's requirements
//!   passed; served to grants, never to the public;
//! - *prohibited* (禁止开放): no release.

pub mod search;

use crate::catalog::{CatalogEntry, OpenAttribute, PiiType, SecurityGrade};

/// What a release does to one column of the version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Treatment {
    /// Published as it is.
    Clear,
    /// Transformed by the de-identification policy (masked, generalized, encrypted...).
    Transformed,
    /// Left out of the release.
    Dropped,
}

/// One column of the version, as the release would publish it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReleaseColumn {
    /// The column's name (a data item's name).
    pub name: String,
    /// What the recognizers found in its values (`pubdata scan`), if anything.
    pub detected: Option<PiiType>,
    /// What the release does to it.
    pub treatment: Treatment,
}

/// What is known of a release before it is made.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReleasePlan {
    /// Every column of the version.
    pub columns: Vec<ReleaseColumn>,
    /// Whether a de-identification policy is applied.
    pub deidentified: bool,
    /// Whether an anonymization ran, and if so whether its requirements (k, l, t ...) passed.
    pub anonymization: Option<bool>,
}

impl ReleasePlan {
    /// `columns` published as they are, with nothing found in them and no policy applied.
    pub fn as_published(columns: &[String]) -> ReleasePlan {
        ReleasePlan {
            columns: columns
                .iter()
                .map(|c| ReleaseColumn {
                    name: c.clone(),
                    detected: None,
                    treatment: Treatment::Clear,
                })
                .collect(),
            deidentified: false,
            anonymization: None,
        }
    }
}

/// Who a release may be served to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Anyone, without signing in.
    Public,
    /// Only holders of an active grant (restricted opening).
    Grants,
}

/// Why a release may not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The entry's open attribute is prohibited.
    #[error("the entry is not to be opened (禁止开放): no release can be made")]
    Prohibited,
    /// A column would identify people, or is core-grade, and would be published as it is.
    #[error(
        "column {column:?} ({why}) would be published in the clear: transform or drop it in the de-identification policy"
    )]
    InTheClear {
        /// The column.
        column: String,
        /// What it is: a personal-information type, or the core grade.
        why: String,
    },
    /// Restricted data is opened only after de-identification.
    #[error("restricted data (受限开放) is released only through a de-identification policy")]
    NeedsDeidentification,
    /// The entry marks the item not open, and the release would publish it.
    #[error("column {column:?} is marked not open in the catalog: the release must leave it out")]
    NotOpen {
        /// The column.
        column: String,
    },
    /// The column names no data item of the entry as it is now.
    #[error(
        "column {column:?} is no data item of the entry: the catalog must describe what is opened"
    )]
    NotInCatalog {
        /// The column.
        column: String,
    },
    /// Quasi-identifiers stay, and no anonymization's requirements passed.
    #[error(
        "columns {columns:?} are quasi-identifiers kept in the clear: restricted data needs an anonymization whose requirements passed"
    )]
    NeedsAnonymization {
        /// The quasi-identifier columns kept.
        columns: Vec<String>,
    },
}

/// Every reason a release may not be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusals(pub Vec<Refusal>);

impl std::fmt::Display for Refusals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text: Vec<String> = self.0.iter().map(Refusal::to_string).collect();
        write!(f, "{}", text.join("; "))
    }
}

impl std::error::Error for Refusals {}

impl Audience {
    /// Its name in the store and the API.
    pub fn name(self) -> &'static str {
        match self {
            Audience::Public => "public",
            Audience::Grants => "grants",
        }
    }
}

/// Whether a stored release may leave the platform for a visitor without a grant: a live
/// release made for the public, of an entry still open to the public, whose plan the opening
/// rules still pass against the entry as it is now (an item since closed, graded L4 or declared
/// personal information takes the release off the portal). This is the one egress decision every
/// public door (pages, downloads, the CKAN and DCAT adapters) takes before serving a row.
pub fn servable_to_public(
    entry: &CatalogEntry,
    audience: &str,
    withdrawn: bool,
    plan: &ReleasePlan,
) -> bool {
    audience == Audience::Public.name()
        && !withdrawn
        && entry.open == OpenAttribute::Unconditional
        && check_release(entry, plan) == Ok(Audience::Public)
}

/// Whether `plan` may be released from `entry`, and for whom; otherwise every reason it may not.
pub fn check_release(entry: &CatalogEntry, plan: &ReleasePlan) -> Result<Audience, Refusals> {
    let audience = match entry.open {
        OpenAttribute::Prohibited => return Err(Refusals(vec![Refusal::Prohibited])),
        OpenAttribute::Unconditional => Audience::Public,
        OpenAttribute::Restricted => Audience::Grants,
    };
    let mut refusals = Vec::new();
    if audience == Audience::Grants && !plan.deidentified {
        refusals.push(Refusal::NeedsDeidentification);
    }
    let mut quasi = Vec::new();
    for c in plan
        .columns
        .iter()
        .filter(|c| c.treatment != Treatment::Dropped)
    {
        let item = entry.items.iter().find(|i| i.name == c.name);
        if item.is_none() {
            refusals.push(Refusal::NotInCatalog {
                column: c.name.clone(),
            });
            continue;
        }
        if item.is_some_and(|i| !i.open) {
            refusals.push(Refusal::NotOpen {
                column: c.name.clone(),
            });
            continue;
        }
        if c.treatment != Treatment::Clear {
            continue;
        }
        let declared = item.and_then(|i| i.personal_info);
        // Either the catalog or the values say what it is; the more identifying wins.
        let kinds = [declared, c.detected];
        if let Some(kind) = kinds
            .into_iter()
            .flatten()
            .find(|k| k.is_direct_identifier())
        {
            refusals.push(Refusal::InTheClear {
                column: c.name.clone(),
                why: kind.name().to_string(),
            });
        } else if item.is_some_and(|i| i.grade == SecurityGrade::L4) {
            refusals.push(Refusal::InTheClear {
                column: c.name.clone(),
                why: "grade L4".to_string(),
            });
        } else if kinds.into_iter().flatten().next().is_some() {
            quasi.push(c.name.clone());
        }
    }
    if audience == Audience::Grants && !quasi.is_empty() && plan.anonymization != Some(true) {
        refusals.push(Refusal::NeedsAnonymization { columns: quasi });
    }
    if refusals.is_empty() {
        Ok(audience)
    } else {
        Err(Refusals(refusals))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{DataItem, DataType, SharingAttribute, UpdateCycle};

    fn entry(open: OpenAttribute) -> CatalogEntry {
        let item = |name: &str, pi: Option<PiiType>, grade| DataItem {
            name: name.into(),
            label: name.into(),
            data_type: DataType::Text,
            personal_info: pi,
            grade,
            required: false,
            key: false,
            open: true,
        };
        CatalogEntry {
            title: "t".into(),
            description: String::new(),
            owner: "o".into(),
            items: vec![
                item("id", Some(PiiType::CnResidentId), SecurityGrade::L3),
                item("birth", Some(PiiType::DateOfBirth), SecurityGrade::L2),
                item("usage", None, SecurityGrade::L1),
                item("secret", None, SecurityGrade::L4),
                // The catalog says nothing; the values do.
                item("remarks", None, SecurityGrade::L1),
            ],
            update_cycle: UpdateCycle::Monthly,
            sharing: SharingAttribute::Unconditional,
            sharing_reason: None,
            open,
            open_reason: None,
            theme: None,
        }
    }

    fn plan(
        id: Treatment,
        birth: Treatment,
        remarks: Treatment,
        deidentified: bool,
        anonymization: Option<bool>,
    ) -> ReleasePlan {
        let col = |name: &str, detected, treatment| ReleaseColumn {
            name: name.into(),
            detected,
            treatment,
        };
        ReleasePlan {
            columns: vec![
                col("id", None, id),
                col("birth", None, birth),
                col("usage", None, Treatment::Clear),
                col("secret", None, Treatment::Dropped),
                col("remarks", Some(PiiType::CnMobile), remarks),
            ],
            deidentified,
            anonymization,
        }
    }

    /// The short name of each refusal, to compare with the table.
    fn names(r: &Result<Audience, Refusals>) -> Vec<String> {
        match r {
            Ok(a) => vec![format!("{a:?}")],
            Err(v) => {
                v.0.iter()
                    .map(|r| match r {
                        Refusal::Prohibited => "prohibited".to_string(),
                        Refusal::InTheClear { column, .. } => format!("clear:{column}"),
                        Refusal::NeedsDeidentification => "needs-deid".to_string(),
                        Refusal::NotOpen { column } => format!("not-open:{column}"),
                        Refusal::NotInCatalog { column } => format!("not-in-catalog:{column}"),
                        Refusal::NeedsAnonymization { columns } => {
                            format!("needs-anon:{}", columns.join(","))
                        }
                    })
                    .collect()
            }
        }
    }

    /// open attribute, id, birth, remarks, de-identified, anonymization passed, outcome.
    type Row = (
        OpenAttribute,
        Treatment,
        Treatment,
        Treatment,
        bool,
        Option<bool>,
        Vec<String>,
    );

    #[test]
    fn the_opening_rules_as_a_table() {
        use OpenAttribute::{Prohibited, Restricted, Unconditional};
        use Treatment::{Clear, Dropped, Transformed};
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        #[rustfmt::skip]
        let table: &[Row] = &[
            // open,       id,          birth,       remarks,     deid,  anon,        outcome
            (Unconditional, Clear,       Clear,       Transformed, false, None,        s(&["clear:id"])),
            (Unconditional, Transformed, Clear,       Clear,       true,  None,        s(&["clear:remarks"])),
            (Unconditional, Transformed, Clear,       Transformed, true,  None,        s(&["Public"])),
            (Unconditional, Dropped,     Clear,       Dropped,     false, None,        s(&["Public"])),
            (Restricted,    Dropped,     Clear,       Dropped,     false, None,        s(&["needs-deid", "needs-anon:birth"])),
            (Restricted,    Clear,       Transformed, Transformed, true,  Some(true),  s(&["clear:id"])),
            (Restricted,    Transformed, Clear,       Transformed, true,  None,        s(&["needs-anon:birth"])),
            (Restricted,    Transformed, Clear,       Transformed, true,  Some(false), s(&["needs-anon:birth"])),
            (Restricted,    Transformed, Clear,       Transformed, true,  Some(true),  s(&["Grants"])),
            (Restricted,    Transformed, Transformed, Transformed, true,  None,        s(&["Grants"])),
            (Prohibited,    Dropped,     Dropped,     Dropped,     true,  Some(true),  s(&["prohibited"])),
        ];
        for (i, (open, id, birth, remarks, deid, anon, want)) in table.iter().enumerate() {
            let got = check_release(&entry(*open), &plan(*id, *birth, *remarks, *deid, *anon));
            assert_eq!(&names(&got), want, "row {i}");
        }
    }

    #[test]
    fn an_item_marked_not_open_is_refused_unless_dropped_whatever_its_treatment() {
        let mut e = entry(OpenAttribute::Unconditional);
        e.items[2].open = false;
        for (treatment, want) in [
            (Treatment::Clear, vec!["not-open:usage".to_string()]),
            (Treatment::Transformed, vec!["not-open:usage".to_string()]),
            (Treatment::Dropped, vec!["Public".to_string()]),
        ] {
            let mut p = plan(
                Treatment::Dropped,
                Treatment::Clear,
                Treatment::Dropped,
                true,
                None,
            );
            p.columns[2].treatment = treatment;
            assert_eq!(names(&check_release(&e, &p)), want, "{treatment:?}");
        }
    }

    #[test]
    fn only_a_live_public_release_the_entry_still_allows_is_servable_without_a_grant() {
        let e = entry(OpenAttribute::Unconditional);
        let p = plan(
            Treatment::Transformed,
            Treatment::Clear,
            Treatment::Transformed,
            true,
            None,
        );
        assert!(servable_to_public(&e, "public", false, &p));
        assert!(!servable_to_public(&e, "public", true, &p));
        assert!(!servable_to_public(&e, "grants", false, &p));
        assert!(!servable_to_public(&e, "", false, &p));
        // The entry became restricted, or an item published in the clear was closed or graded
        // core since: the release is no longer served.
        assert!(!servable_to_public(
            &entry(OpenAttribute::Restricted),
            "public",
            false,
            &p
        ));
        let mut closed = e.clone();
        closed.items[2].open = false;
        assert!(!servable_to_public(&closed, "public", false, &p));
        let mut core = e.clone();
        core.items[2].grade = SecurityGrade::L4;
        assert!(!servable_to_public(&core, "public", false, &p));
        let mut declared = e;
        declared.items[2].personal_info = Some(PiiType::CnMobile);
        assert!(!servable_to_public(&declared, "public", false, &p));
    }

    #[test]
    fn a_column_the_catalog_does_not_describe_is_refused_unless_dropped() {
        let e = entry(OpenAttribute::Unconditional);
        let mut p = plan(
            Treatment::Dropped,
            Treatment::Clear,
            Treatment::Dropped,
            true,
            None,
        );
        p.columns.push(ReleaseColumn {
            name: "legacy".into(),
            detected: None,
            treatment: Treatment::Clear,
        });
        assert_eq!(names(&check_release(&e, &p)), ["not-in-catalog:legacy"]);
        p.columns[5].treatment = Treatment::Dropped;
        assert_eq!(names(&check_release(&e, &p)), ["Public"]);
    }

    #[test]
    fn a_core_grade_item_in_the_clear_is_refused_even_without_personal_information() {
        let mut p = plan(
            Treatment::Dropped,
            Treatment::Clear,
            Treatment::Dropped,
            false,
            None,
        );
        p.columns[3].treatment = Treatment::Clear;
        let got = check_release(&entry(OpenAttribute::Unconditional), &p);
        let Err(refusals) = got else {
            panic!("an L4 item was released: {got:?}")
        };
        assert_eq!(
            refusals.to_string(),
            "column \"secret\" (grade L4) would be published in the clear: transform or drop it \
             in the de-identification policy"
        );
    }
}
