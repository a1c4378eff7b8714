//! Who may do what: one decision function that every door (API route, page, command) calls, so
//! the authorization matrix is written once and tested once.
//!
//! Organization scoping: a department officer acts for one organization and reaches only that
//! organization's entries and data; the authority manages the catalog as a whole; auditors read
//! everything and change nothing. Applicants and operators reach data only through grants and
//! agreements, which later parts of the platform add.

use serde::Serialize;

use crate::org::Role;

/// Who is asking: a signed-in user with a role and, for officers, an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// User name.
    pub user: String,
    /// Role.
    pub role: Role,
    /// Code of the organization the user acts for.
    pub organization: Option<String>,
}

/// What is asked for. Actions on one organization's things carry its code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Read the public catalog: entries, items, attributes (published by the regulation).
    ViewCatalog,
    /// Read the headline statistics.
    ViewStats,
    /// Create a catalog entry held by `owner`.
    CreateEntry {
        /// The holding organization.
        owner: String,
    },
    /// Change a catalog entry held by `owner`.
    EditEntry {
        /// The holding organization.
        owner: String,
    },
    /// Upload data for an entry held by `owner` (aggregation into a new dataset version).
    UploadData {
        /// The holding organization.
        owner: String,
    },
    /// Read the records of a dataset held by `owner`.
    ReadData {
        /// The holding organization.
        owner: String,
    },
    /// Run read-only SQL across dataset versions.
    QueryData,
    /// Create and change organizations.
    ManageOrganizations,
    /// Create and change users and their roles.
    ManageUsers,
    /// Read and filter the audit log.
    ReadAudit,
    /// Build a release (a de-identification or anonymization job) from a dataset held by
    /// `owner`, or cancel one.
    ReleaseData {
        /// The holding organization.
        owner: String,
    },
    /// Store a release policy for `owner`.
    ManagePolicies {
        /// The organization the policy belongs to.
        owner: String,
    },
    /// Read the stored release policies (they say how data is de-identified, never the data).
    ReadPolicies,
}

impl Action {
    /// The action's name in the audit log, where a refusal records it: the same words as the
    /// entries the allowed action writes (`catalog.update`, `dataset.ingest`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            Action::ViewCatalog => "catalog.read",
            Action::ViewStats => "stats.read",
            Action::CreateEntry { .. } => "catalog.create",
            Action::EditEntry { .. } => "catalog.update",
            Action::UploadData { .. } => "dataset.ingest",
            Action::ReadData { .. } => "dataset.read",
            Action::QueryData => "dataset.query",
            Action::ManageOrganizations => "organization.manage",
            Action::ManageUsers => "user.manage",
            Action::ReadAudit => "audit.read",
            Action::ReleaseData { .. } => "release.build",
            Action::ManagePolicies { .. } => "policy.manage",
            Action::ReadPolicies => "policy.read",
        }
    }
}

/// Whether `who` may perform `action`, for code that only decides what to show (a link, a
/// button): nothing is recorded. A door that acts calls [`crate::store::Store::authorize`].
pub fn permits(who: Option<&Principal>, action: &Action) -> bool {
    authorize(who, action).is_ok()
}

/// Why a request is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum Denied {
    /// Nobody is signed in and the action is not public.
    #[error("sign in first")]
    NotSignedIn,
    /// The role may not do this at all.
    #[error("the {role} role may not do this")]
    Role {
        /// The role's name.
        role: &'static str,
    },
    /// The thing belongs to another organization.
    #[error("this belongs to organization {owner}, not to yours")]
    OtherOrganization {
        /// The owner's code.
        owner: String,
    },
}

/// Decides whether `who` (None: not signed in) may perform `action`.
pub fn authorize(who: Option<&Principal>, action: &Action) -> Result<(), Denied> {
    if matches!(action, Action::ViewCatalog | Action::ViewStats) {
        return Ok(());
    }
    let who = who.ok_or(Denied::NotSignedIn)?;
    let refuse = || Denied::Role {
        role: who.role.name(),
    };
    let own = |owner: &String| {
        if who.organization.as_ref() == Some(owner) {
            Ok(())
        } else {
            Err(Denied::OtherOrganization {
                owner: owner.clone(),
            })
        }
    };
    match (who.role, action) {
        (_, Action::ViewCatalog | Action::ViewStats) => Ok(()),
        (Role::AuthorityAdmin, Action::CreateEntry { .. } | Action::EditEntry { .. }) => Ok(()),
        (Role::DepartmentOfficer, Action::CreateEntry { owner } | Action::EditEntry { owner }) => {
            own(owner)
        }
        // Only the holder aggregates its own data: provenance is the holder's word.
        (Role::DepartmentOfficer, Action::UploadData { owner }) => own(owner),
        (Role::DepartmentOfficer, Action::ReadData { owner }) => own(owner),
        (Role::AuthorityAdmin | Role::Auditor, Action::ReadData { .. }) => Ok(()),
        (Role::AuthorityAdmin, Action::QueryData) => Ok(()),
        (Role::AuthorityAdmin, Action::ManageOrganizations | Action::ManageUsers) => Ok(()),
        (Role::AuthorityAdmin | Role::Auditor, Action::ReadAudit) => Ok(()),
        // The holder releases its own data; the authority releases for opening.
        (Role::DepartmentOfficer, Action::ReleaseData { owner }) => own(owner),
        (Role::AuthorityAdmin, Action::ReleaseData { .. }) => Ok(()),
        (Role::DepartmentOfficer, Action::ManagePolicies { owner }) => own(owner),
        (Role::AuthorityAdmin, Action::ManagePolicies { .. }) => Ok(()),
        (Role::AuthorityAdmin | Role::DepartmentOfficer | Role::Auditor, Action::ReadPolicies) => {
            Ok(())
        }
        _ => Err(refuse()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role, org: Option<&str>) -> Principal {
        Principal {
            user: "u".into(),
            role,
            organization: org.map(String::from),
        }
    }

    fn actions(owner: &str) -> Vec<(&'static str, Action)> {
        let o = || owner.to_string();
        vec![
            ("view_catalog", Action::ViewCatalog),
            ("view_stats", Action::ViewStats),
            ("create_entry", Action::CreateEntry { owner: o() }),
            ("edit_entry", Action::EditEntry { owner: o() }),
            ("upload_data", Action::UploadData { owner: o() }),
            ("read_data", Action::ReadData { owner: o() }),
            ("query_data", Action::QueryData),
            ("manage_organizations", Action::ManageOrganizations),
            ("manage_users", Action::ManageUsers),
            ("read_audit", Action::ReadAudit),
            ("release_data", Action::ReleaseData { owner: o() }),
            ("manage_policies", Action::ManagePolicies { owner: o() }),
            ("read_policies", Action::ReadPolicies),
        ]
    }

    /// The matrix, as the regulation's roles read: Y allowed, n refused. Columns follow
    /// `actions()`; the officer acts for the owning organization.
    const MATRIX: [(&str, &str); 6] = [
        ("anonymous", "YYnnnnnnnnnnn"),
        ("authority_admin", "YYYYnYYYYYYYY"),
        ("department_officer", "YYYYYYnnnnYYY"),
        ("auditor", "YYnnnYnnnYnnY"),
        ("applicant", "YYnnnnnnnnnnn"),
        ("operator", "YYnnnnnnnnnnn"),
    ];

    #[test]
    fn every_role_against_every_action() {
        for (who, row) in MATRIX {
            let principal = match who {
                "anonymous" => None,
                name => {
                    let role: Role = name.parse().expect("role");
                    Some(user(role, Some("water")))
                }
            };
            for ((action_name, action), expected) in actions("water").iter().zip(row.chars()) {
                let got = authorize(principal.as_ref(), action);
                assert_eq!(got.is_ok(), expected == 'Y', "{who} {action_name}: {got:?}");
            }
        }
    }

    #[test]
    fn an_officer_cannot_touch_another_organization() {
        let officer = user(Role::DepartmentOfficer, Some("water"));
        for (name, action) in actions("power") {
            let got = authorize(Some(&officer), &action);
            match name {
                "view_catalog" | "view_stats" | "read_policies" => assert_eq!(got, Ok(())),
                "create_entry" | "edit_entry" | "upload_data" | "read_data" | "release_data"
                | "manage_policies" => assert_eq!(
                    got,
                    Err(Denied::OtherOrganization {
                        owner: "power".into()
                    }),
                    "{name}"
                ),
                _ => assert!(matches!(got, Err(Denied::Role { .. })), "{name}"),
            }
        }
        // An officer without an organization reaches no organization's things.
        let stray = user(Role::DepartmentOfficer, None);
        assert!(
            authorize(
                Some(&stray),
                &Action::EditEntry {
                    owner: "water".into()
                }
            )
            .is_err()
        );
    }

    #[test]
    fn refusals_say_why() {
        assert_eq!(
            authorize(None, &Action::ReadAudit),
            Err(Denied::NotSignedIn)
        );
        let applicant = user(Role::Applicant, None);
        let err = authorize(Some(&applicant), &Action::QueryData).expect_err("refused");
        assert_eq!(err.to_string(), "the applicant role may not do this");
    }
}
