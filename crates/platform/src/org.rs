//! Organizations that hold or govern public data, their administrative level, and user roles.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What kind of body an organization is, in the regulation's terms: "public data" is what state
/// bodies, bodies with public-affairs functions and public-service operators collect or produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrganizationKind {
    /// The public data authority (公共数据主管部门), which runs the platform.
    DataAuthority,
    /// A state body (国家机关): a government department, court, procuratorate...
    StateBody,
    /// A body authorized by law to manage public affairs (法律法规授权的具有管理公共事务职能的组织).
    PublicAffairsBody,
    /// A water supply company (供水).
    WaterSupply,
    /// A power supply company (供电).
    PowerSupply,
    /// A gas supply company (供气).
    GasSupply,
    /// A public transport operator (公共交通).
    PublicTransport,
}

impl OrganizationKind {
    /// Every kind, in declaration order.
    pub const ALL: [OrganizationKind; 7] = [
        OrganizationKind::DataAuthority,
        OrganizationKind::StateBody,
        OrganizationKind::PublicAffairsBody,
        OrganizationKind::WaterSupply,
        OrganizationKind::PowerSupply,
        OrganizationKind::GasSupply,
        OrganizationKind::PublicTransport,
    ];

    /// The snake_case name used in the API and the database.
    pub fn name(self) -> &'static str {
        match self {
            OrganizationKind::DataAuthority => "data_authority",
            OrganizationKind::StateBody => "state_body",
            OrganizationKind::PublicAffairsBody => "public_affairs_body",
            OrganizationKind::WaterSupply => "water_supply",
            OrganizationKind::PowerSupply => "power_supply",
            OrganizationKind::GasSupply => "gas_supply",
            OrganizationKind::PublicTransport => "public_transport",
        }
    }

    /// The Chinese label shown on pages.
    pub fn label(self) -> &'static str {
        match self {
            OrganizationKind::DataAuthority => "公共数据主管部门",
            OrganizationKind::StateBody => "国家机关",
            OrganizationKind::PublicAffairsBody => "具有管理公共事务职能的组织",
            OrganizationKind::WaterSupply => "供水企业",
            OrganizationKind::PowerSupply => "供电企业",
            OrganizationKind::GasSupply => "供气企业",
            OrganizationKind::PublicTransport => "公共交通企业",
        }
    }

    /// Whether this is a public-service operator (water, power, gas, public transport).
    pub fn is_public_service_operator(self) -> bool {
        matches!(
            self,
            OrganizationKind::WaterSupply
                | OrganizationKind::PowerSupply
                | OrganizationKind::GasSupply
                | OrganizationKind::PublicTransport
        )
    }

    /// Whether the regulation counts what this body collects or produces as public data.
    pub fn holds_public_data(self) -> bool {
        !matches!(self, OrganizationKind::DataAuthority)
    }
}

/// The administrative level of an organization.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AdminLevel {
    /// 省级.
    Province,
    /// 市级.
    City,
    /// 县级.
    County,
}

impl AdminLevel {
    /// Every level, from the top.
    pub const ALL: [AdminLevel; 3] = [AdminLevel::Province, AdminLevel::City, AdminLevel::County];

    /// The snake_case name used in the API and the database.
    pub fn name(self) -> &'static str {
        match self {
            AdminLevel::Province => "province",
            AdminLevel::City => "city",
            AdminLevel::County => "county",
        }
    }
}

/// What a user may do on the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Staff of the public data authority: manages organizations, users and the whole catalog.
    AuthorityAdmin,
    /// Acts for one organization: its catalog entries and its data.
    DepartmentOfficer,
    /// Reads everything, including the audit log, and changes nothing.
    Auditor,
    /// A company or researcher applying for restricted-open data.
    Applicant,
    /// An authorized operator building data products.
    Operator,
}

impl Role {
    /// Every role, in declaration order.
    pub const ALL: [Role; 5] = [
        Role::AuthorityAdmin,
        Role::DepartmentOfficer,
        Role::Auditor,
        Role::Applicant,
        Role::Operator,
    ];

    /// The snake_case name used in the API and the database.
    pub fn name(self) -> &'static str {
        match self {
            Role::AuthorityAdmin => "authority_admin",
            Role::DepartmentOfficer => "department_officer",
            Role::Auditor => "auditor",
            Role::Applicant => "applicant",
            Role::Operator => "operator",
        }
    }

    /// Whether a user with this role must belong to an organization.
    pub fn needs_organization(self) -> bool {
        matches!(self, Role::DepartmentOfficer | Role::AuthorityAdmin)
    }
}

/// A name that is not one of the known values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {given:?}; expected one of: {expected}")]
pub struct UnknownName {
    /// What was being parsed.
    pub what: &'static str,
    /// The text given.
    pub given: String,
    /// The accepted names, comma-separated.
    pub expected: String,
}

macro_rules! named {
    ($t:ty, $what:literal) => {
        impl FromStr for $t {
            type Err = UnknownName;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                <$t>::ALL
                    .into_iter()
                    .find(|v| v.name() == s)
                    .ok_or_else(|| UnknownName {
                        what: $what,
                        given: s.to_string(),
                        expected: <$t>::ALL.map(|v| v.name()).join(", "),
                    })
            }
        }

        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

named!(OrganizationKind, "organization kind");
named!(AdminLevel, "administrative level");
named!(Role, "role");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_text_and_json() {
        for k in OrganizationKind::ALL {
            assert_eq!(k.name().parse::<OrganizationKind>(), Ok(k));
            let json = serde_json::to_string(&k).expect("json");
            assert_eq!(json, format!("\"{}\"", k.name()));
        }
        for r in Role::ALL {
            assert_eq!(r.to_string().parse::<Role>(), Ok(r));
            assert_eq!(serde_json::to_string(&r).expect("json"), format!("\"{r}\""));
        }
        for l in AdminLevel::ALL {
            assert_eq!(l.name().parse::<AdminLevel>(), Ok(l));
        }
    }

    #[test]
    fn unknown_names_list_the_accepted_ones() {
        let e = "root".parse::<Role>().expect_err("not a role");
        assert!(e.to_string().contains("\"root\""), "{e}");
        assert!(e.to_string().contains("authority_admin"), "{e}");
    }

    #[test]
    fn the_four_utilities_are_public_service_operators_and_the_authority_holds_no_data() {
        let operators: Vec<_> = OrganizationKind::ALL
            .into_iter()
            .filter(|k| k.is_public_service_operator())
            .collect();
        assert_eq!(operators.len(), 4);
        assert!(!OrganizationKind::DataAuthority.holds_public_data());
        assert!(OrganizationKind::StateBody.holds_public_data());
    }
}
