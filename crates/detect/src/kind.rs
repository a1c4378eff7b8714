//! The catalogue of personal-information types and how they are named and grouped.

use std::fmt;
use std::str::FromStr;

/// A kind of personal information the detector recognizes.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum PiiType {
    /// 居民身份证号码 (GB 11643, 18 digits, or the 15-digit first-generation form).
    CnResidentId,
    /// Mainland mobile number (11 digits starting with an allocated 1xx prefix).
    CnMobile,
    /// Mainland fixed-line number with its area code.
    CnLandline,
    /// E-mail address.
    Email,
    /// Payment card number (Luhn-valid, plausible issuer prefix).
    BankCard,
    /// 统一社会信用代码 (GB 32100).
    CnUscc,
    /// Mainland vehicle licence plate.
    CnLicensePlate,
    /// Chinese passport number.
    Passport,
    /// Permits for travel between the mainland and Hong Kong / Macao.
    CnHkMacauPermit,
    /// Permits for travel between the mainland and Taiwan.
    CnTaiwanPermit,
    /// IPv4 or IPv6 address.
    IpAddress,
    /// A person's name (Chinese, or an obvious Latin-script name).
    PersonName,
    /// A postal address with an administrative and a street part.
    Address,
    /// A calendar date (the scanner decides from column names whether it is a birth date).
    DateOfBirth,
    /// A gender value such as 男 / 女 / male / female.
    Gender,
    /// Mainland postal code (6 digits).
    PostalCode,
    /// A latitude,longitude pair.
    GeoCoordinate,
    /// The name of a company or institution.
    OrganizationName,
}

impl PiiType {
    /// Every type, in declaration order.
    pub const ALL: [PiiType; 18] = [
        PiiType::CnResidentId,
        PiiType::CnMobile,
        PiiType::CnLandline,
        PiiType::Email,
        PiiType::BankCard,
        PiiType::CnUscc,
        PiiType::CnLicensePlate,
        PiiType::Passport,
        PiiType::CnHkMacauPermit,
        PiiType::CnTaiwanPermit,
        PiiType::IpAddress,
        PiiType::PersonName,
        PiiType::Address,
        PiiType::DateOfBirth,
        PiiType::Gender,
        PiiType::PostalCode,
        PiiType::GeoCoordinate,
        PiiType::OrganizationName,
    ];

    /// The canonical snake_case name, as used in configuration files and reports.
    pub fn name(self) -> &'static str {
        match self {
            PiiType::CnResidentId => "cn_resident_id",
            PiiType::CnMobile => "cn_mobile",
            PiiType::CnLandline => "cn_landline",
            PiiType::Email => "email",
            PiiType::BankCard => "bank_card",
            PiiType::CnUscc => "cn_uscc",
            PiiType::CnLicensePlate => "cn_license_plate",
            PiiType::Passport => "passport",
            PiiType::CnHkMacauPermit => "cn_hk_macau_permit",
            PiiType::CnTaiwanPermit => "cn_taiwan_permit",
            PiiType::IpAddress => "ip_address",
            PiiType::PersonName => "person_name",
            PiiType::Address => "address",
            PiiType::DateOfBirth => "date_of_birth",
            PiiType::Gender => "gender",
            PiiType::PostalCode => "postal_code",
            PiiType::GeoCoordinate => "geo_coordinate",
            PiiType::OrganizationName => "organization_name",
        }
    }

    /// True for values that single out a person on their own.
    ///
    /// The unified social credit code counts as direct: for a 个体工商户 (sole trader) it is
    /// registered to exactly one natural person.
    pub fn is_direct_identifier(self) -> bool {
        matches!(
            self,
            PiiType::CnResidentId
                | PiiType::CnMobile
                | PiiType::CnLandline
                | PiiType::Email
                | PiiType::BankCard
                | PiiType::CnUscc
                | PiiType::CnLicensePlate
                | PiiType::Passport
                | PiiType::CnHkMacauPermit
                | PiiType::CnTaiwanPermit
                | PiiType::PersonName
        )
    }

    /// True for types whose values have a defined structure (check digits, allocated ranges,
    /// a syntax): a value that fails it is wrong data. Names, addresses, dates and the like are
    /// not judged.
    pub fn has_defined_structure(self) -> bool {
        matches!(
            self,
            PiiType::CnResidentId
                | PiiType::CnMobile
                | PiiType::CnLandline
                | PiiType::Email
                | PiiType::BankCard
                | PiiType::CnUscc
                | PiiType::CnLicensePlate
                | PiiType::Passport
                | PiiType::CnHkMacauPermit
                | PiiType::CnTaiwanPermit
                | PiiType::IpAddress
                | PiiType::PostalCode
        )
    }

    /// True for values that identify only in combination (the inputs of k-anonymity).
    ///
    /// IP addresses are quasi-identifiers here: most are dynamically assigned or shared (NAT), so
    /// they locate a household or network rather than name a person, much like a postal code.
    /// Organization names (a workplace) are quasi-identifiers for the same reason.
    /// Every type is exactly one of direct or quasi.
    pub fn is_quasi_identifier(self) -> bool {
        !self.is_direct_identifier()
    }
}

impl fmt::Display for PiiType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing an unknown type name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownPiiType(pub String);

impl fmt::Display for UnknownPiiType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown personal-information type `{}` (expected one of: ",
            self.0
        )?;
        for (i, t) in PiiType::ALL.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(t.name())?;
        }
        f.write_str(")")
    }
}

impl std::error::Error for UnknownPiiType {}

impl FromStr for PiiType {
    type Err = UnknownPiiType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        PiiType::ALL
            .into_iter()
            .find(|t| t.name() == s)
            .ok_or_else(|| UnknownPiiType(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in PiiType::ALL {
            assert_eq!(t.name().parse::<PiiType>(), Ok(t));
            assert_eq!(t.to_string(), t.name());
        }
        assert!("phone".parse::<PiiType>().is_err());
    }

    #[test]
    fn serde_name_matches_canonical_name() {
        // serde's rename_all and name() must agree, or config files and reports disagree.
        for t in PiiType::ALL {
            let mut snake = String::new();
            for (i, c) in format!("{t:?}").chars().enumerate() {
                if c.is_ascii_uppercase() && i > 0 {
                    snake.push('_');
                }
                snake.push(c.to_ascii_lowercase());
            }
            assert_eq!(snake, t.name());
        }
    }

    #[test]
    fn every_type_is_direct_or_quasi() {
        for t in PiiType::ALL {
            assert_ne!(t.is_direct_identifier(), t.is_quasi_identifier(), "{t}");
        }
        assert!(PiiType::Address.is_quasi_identifier());
        assert!(PiiType::IpAddress.is_quasi_identifier());
        assert!(PiiType::PersonName.is_direct_identifier());
    }
}
