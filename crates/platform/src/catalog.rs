//! The public data catalog (公共数据目录): entries, their data items, and the rules the regulation
//! sets on sharing and opening them.
//!
//! The rules are checked here, whatever door an entry comes through:
//! - an entry holding a direct identifier or an L4 item cannot be unconditionally open;
//! - an entry holding an L4 item cannot be opened at all;
//! - sharing other than unconditional, and opening other than unconditional, need a reason.

use std::collections::HashSet;
use std::fmt;

pub use pubdata_detect::PiiType;
use serde::{Deserialize, Serialize};

/// Security grade of a data item, from L1 (public) to L4 (core, the most sensitive).
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
pub enum SecurityGrade {
    /// Public once released.
    L1,
    /// Internal.
    L2,
    /// Sensitive.
    L3,
    /// Core: harm to national security or to many people if leaked.
    L4,
}

impl SecurityGrade {
    /// Every grade, lowest first.
    pub const ALL: [SecurityGrade; 4] = [
        SecurityGrade::L1,
        SecurityGrade::L2,
        SecurityGrade::L3,
        SecurityGrade::L4,
    ];

    /// The name used in the API and the database (`L1` ... `L4`).
    pub fn name(self) -> &'static str {
        match self {
            SecurityGrade::L1 => "L1",
            SecurityGrade::L2 => "L2",
            SecurityGrade::L3 => "L3",
            SecurityGrade::L4 => "L4",
        }
    }
}

/// The type of a data item's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DataType {
    /// Free text.
    Text,
    /// Whole numbers.
    Integer,
    /// Decimal numbers.
    Decimal,
    /// Calendar dates.
    Date,
    /// Dates with a time of day.
    Timestamp,
    /// True or false.
    Boolean,
}

impl DataType {
    /// Every type.
    pub const ALL: [DataType; 6] = [
        DataType::Text,
        DataType::Integer,
        DataType::Decimal,
        DataType::Date,
        DataType::Timestamp,
        DataType::Boolean,
    ];

    /// The snake_case name used in the API and the database.
    pub fn name(self) -> &'static str {
        match self {
            DataType::Text => "text",
            DataType::Integer => "integer",
            DataType::Decimal => "decimal",
            DataType::Date => "date",
            DataType::Timestamp => "timestamp",
            DataType::Boolean => "boolean",
        }
    }
}

/// How often the holder updates an entry's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UpdateCycle {
    /// Continuously.
    RealTime,
    /// Every day.
    Daily,
    /// Every week.
    Weekly,
    /// Every month.
    Monthly,
    /// Every quarter.
    Quarterly,
    /// Every year.
    Yearly,
    /// When something changes, with no fixed cycle.
    Irregular,
}

impl UpdateCycle {
    /// Every cycle, the most frequent first.
    pub const ALL: [UpdateCycle; 7] = [
        UpdateCycle::RealTime,
        UpdateCycle::Daily,
        UpdateCycle::Weekly,
        UpdateCycle::Monthly,
        UpdateCycle::Quarterly,
        UpdateCycle::Yearly,
        UpdateCycle::Irregular,
    ];

    /// The snake_case name used in the API and the database.
    pub fn name(self) -> &'static str {
        match self {
            UpdateCycle::RealTime => "real_time",
            UpdateCycle::Daily => "daily",
            UpdateCycle::Weekly => "weekly",
            UpdateCycle::Monthly => "monthly",
            UpdateCycle::Quarterly => "quarterly",
            UpdateCycle::Yearly => "yearly",
            UpdateCycle::Irregular => "irregular",
        }
    }
}

/// Whether other departments may obtain the data (共享属性).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SharingAttribute {
    /// 无条件共享: any department, on request.
    Unconditional,
    /// 有条件共享: after the holder approves a stated purpose.
    Conditional,
    /// 不予共享: not shared; needs a legal or policy basis.
    None,
}

impl SharingAttribute {
    /// Every attribute, the most open first.
    pub const ALL: [SharingAttribute; 3] = [
        SharingAttribute::Unconditional,
        SharingAttribute::Conditional,
        SharingAttribute::None,
    ];

    /// The snake_case name used in the API and the database.
    pub fn name(self) -> &'static str {
        match self {
            SharingAttribute::Unconditional => "unconditional",
            SharingAttribute::Conditional => "conditional",
            SharingAttribute::None => "none",
        }
    }
}

/// Whether the public may obtain the data (开放属性).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OpenAttribute {
    /// 无条件开放: anyone may download it.
    Unconditional,
    /// 受限开放: to qualified applicants, after de-identification, under an agreement.
    Restricted,
    /// 禁止开放: never opened.
    Prohibited,
}

impl OpenAttribute {
    /// Every attribute, the most open first.
    pub const ALL: [OpenAttribute; 3] = [
        OpenAttribute::Unconditional,
        OpenAttribute::Restricted,
        OpenAttribute::Prohibited,
    ];

    /// The snake_case name used in the API and the database.
    pub fn name(self) -> &'static str {
        match self {
            OpenAttribute::Unconditional => "unconditional",
            OpenAttribute::Restricted => "restricted",
            OpenAttribute::Prohibited => "prohibited",
        }
    }
}

/// The domain an entry's data belongs to (数据领域), as open-data portals group datasets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    /// 经济建设.
    Economy,
    /// 资源环境.
    Environment,
    /// 教育科技.
    Education,
    /// 道路交通.
    Transport,
    /// 卫生健康.
    Health,
    /// 社保就业.
    SocialSecurity,
    /// 公共安全.
    PublicSafety,
    /// 城建住房.
    Urban,
    /// 农业农村.
    Agriculture,
    /// 文化休闲.
    Culture,
    /// 市场监管.
    Market,
    /// 信用服务.
    Credit,
    /// 财税金融.
    Finance,
    /// 公共事业.
    Utilities,
    /// 机构团体.
    Government,
    /// 地理空间.
    Geography,
}

impl Theme {
    /// Every theme.
    pub const ALL: [Theme; 16] = [
        Theme::Economy,
        Theme::Environment,
        Theme::Education,
        Theme::Transport,
        Theme::Health,
        Theme::SocialSecurity,
        Theme::PublicSafety,
        Theme::Urban,
        Theme::Agriculture,
        Theme::Culture,
        Theme::Market,
        Theme::Credit,
        Theme::Finance,
        Theme::Utilities,
        Theme::Government,
        Theme::Geography,
    ];

    /// The snake_case name used in the API and the database.
    pub fn name(self) -> &'static str {
        match self {
            Theme::Economy => "economy",
            Theme::Environment => "environment",
            Theme::Education => "education",
            Theme::Transport => "transport",
            Theme::Health => "health",
            Theme::SocialSecurity => "social_security",
            Theme::PublicSafety => "public_safety",
            Theme::Urban => "urban",
            Theme::Agriculture => "agriculture",
            Theme::Culture => "culture",
            Theme::Market => "market",
            Theme::Credit => "credit",
            Theme::Finance => "finance",
            Theme::Utilities => "utilities",
            Theme::Government => "government",
            Theme::Geography => "geography",
        }
    }

    /// The closest theme of the EU's data-theme vocabulary (DCAT-AP's `dcat:theme`), by its code.
    pub fn eu_theme(self) -> &'static str {
        match self {
            Theme::Economy => "ECON",
            Theme::Environment => "ENVI",
            Theme::Education => "EDUC",
            Theme::Transport => "TRAN",
            Theme::Health => "HEAL",
            Theme::SocialSecurity => "SOCI",
            Theme::PublicSafety => "JUST",
            Theme::Urban => "REGI",
            Theme::Agriculture => "AGRI",
            Theme::Culture => "EDUC",
            Theme::Market => "ECON",
            Theme::Credit => "ECON",
            Theme::Finance => "ECON",
            Theme::Utilities => "ENER",
            Theme::Government => "GOVE",
            Theme::Geography => "REGI",
        }
    }
}

/// A field of a catalog entry (数据项).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DataItem {
    /// Column name in the data.
    pub name: String,
    /// Human label, usually Chinese.
    pub label: String,
    /// Value type.
    pub data_type: DataType,
    /// The personal-information class `pubdata scan` reports for it, if any.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "cn_resident_id")]
    pub personal_info: Option<PiiType>,
    /// Security grade.
    pub grade: SecurityGrade,
    /// Every record must have a value.
    #[serde(default)]
    pub required: bool,
    /// Part of the record key (duplicates are reported on upload).
    #[serde(default)]
    pub key: bool,
    /// Published in open releases (default); an item marked not open is left out of every
    /// release, whatever the entry's open attribute.
    #[serde(default = "yes")]
    pub open: bool,
}

fn yes() -> bool {
    true
}

/// A catalog entry (目录条目) as submitted for creation or update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CatalogEntry {
    /// Title.
    pub title: String,
    /// What the data is and what it is for.
    #[serde(default)]
    pub description: String,
    /// Code of the organization that holds the data.
    pub owner: String,
    /// The data items.
    pub items: Vec<DataItem>,
    /// Update cycle.
    pub update_cycle: UpdateCycle,
    /// Sharing attribute.
    pub sharing: SharingAttribute,
    /// Why sharing is limited (required unless unconditional).
    #[serde(default)]
    pub sharing_reason: Option<String>,
    /// Open attribute.
    pub open: OpenAttribute,
    /// Why opening is limited (required unless unconditional).
    #[serde(default)]
    pub open_reason: Option<String>,
    /// The domain its data belongs to, if set.
    #[serde(default)]
    pub theme: Option<Theme>,
}

/// One broken rule, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Violation {
    /// The field, as a path: `title`, `items[2].name`, `open`.
    pub field: String,
    /// What is wrong, for the person who filled in the form.
    pub message: String,
}

/// Every rule an entry breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Violations(pub Vec<Violation>);

impl fmt::Display for Violations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the catalog entry breaks the catalog rules: ")?;
        for (i, v) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", v.field, v.message)?;
        }
        Ok(())
    }
}

/// Longest title, description, label or reason accepted, in characters.
pub const MAX_TEXT: usize = 4000;

/// Most data items an entry may have.
pub const MAX_ITEMS: usize = 1000;

impl CatalogEntry {
    /// The highest grade of its items (L1 for an entry without items).
    pub fn grade(&self) -> SecurityGrade {
        self.items
            .iter()
            .map(|i| i.grade)
            .max()
            .unwrap_or(SecurityGrade::L1)
    }

    /// Items that identify a person on their own.
    pub fn direct_identifiers(&self) -> impl Iterator<Item = &DataItem> {
        self.items
            .iter()
            .filter(|i| i.personal_info.is_some_and(PiiType::is_direct_identifier))
    }

    /// Checks every rule; the error lists each broken one with its field.
    pub fn check(&self) -> Result<(), Violations> {
        let mut out = Vec::new();
        let mut bad = |field: String, message: String| out.push(Violation { field, message });
        text(&mut bad, "title", &self.title, true);
        text(&mut bad, "description", &self.description, false);
        if self.owner.trim().is_empty() {
            bad(
                "owner".into(),
                "an entry needs the organization that holds the data".into(),
            );
        }
        if self.items.is_empty() {
            bad(
                "items".into(),
                "an entry needs at least one data item".into(),
            );
        }
        if self.items.len() > MAX_ITEMS {
            bad("items".into(), format!("at most {MAX_ITEMS} data items"));
        }
        let mut seen = HashSet::new();
        for (i, item) in self.items.iter().enumerate() {
            let at = format!("items[{i}]");
            if item.name.trim().is_empty() {
                bad(format!("{at}.name"), "a data item needs a name".into());
            } else if item
                .name
                .chars()
                .any(|c| c.is_control() || c == '/' || c == '\\')
            {
                bad(
                    format!("{at}.name"),
                    format!("{:?} holds a control character or a slash", item.name),
                );
            } else if !seen.insert(item.name.as_str()) {
                bad(
                    format!("{at}.name"),
                    format!("{:?} appears twice", item.name),
                );
            }
            text(&mut bad, &format!("{at}.label"), &item.label, false);
        }
        reason(
            &mut bad,
            "sharing_reason",
            self.sharing != SharingAttribute::Unconditional,
            &self.sharing_reason,
        );
        reason(
            &mut bad,
            "open_reason",
            self.open != OpenAttribute::Unconditional,
            &self.open_reason,
        );
        if self.open == OpenAttribute::Unconditional {
            let direct: Vec<&str> = self.direct_identifiers().map(|i| i.name.as_str()).collect();
            if !direct.is_empty() {
                bad(
                    "open".into(),
                    format!(
                        "an entry with direct identifiers ({}) cannot be unconditionally open",
                        direct.join(", ")
                    ),
                );
            }
        }
        if self.open != OpenAttribute::Prohibited {
            let core: Vec<&str> = self
                .items
                .iter()
                .filter(|i| i.grade == SecurityGrade::L4)
                .map(|i| i.name.as_str())
                .collect();
            if !core.is_empty() {
                bad(
                    "open".into(),
                    format!(
                        "an entry with L4 items ({}) cannot be opened at all",
                        core.join(", ")
                    ),
                );
            }
        }
        if out.is_empty() {
            Ok(())
        } else {
            Err(Violations(out))
        }
    }
}

fn text(bad: &mut impl FnMut(String, String), field: &str, value: &str, required: bool) {
    if required && value.trim().is_empty() {
        bad(field.into(), "must not be empty".into());
    }
    if value.chars().count() > MAX_TEXT {
        bad(field.into(), format!("at most {MAX_TEXT} characters"));
    }
}

fn reason(bad: &mut impl FnMut(String, String), field: &str, needed: bool, value: &Option<String>) {
    let given = value.as_deref().is_some_and(|r| !r.trim().is_empty());
    if needed && !given {
        bad(
            field.into(),
            "limited access needs the reason the regulation requires".into(),
        );
    }
    if let Some(r) = value
        && r.chars().count() > MAX_TEXT
    {
        bad(field.into(), format!("at most {MAX_TEXT} characters"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(name: &str, pi: Option<PiiType>, grade: SecurityGrade) -> DataItem {
        DataItem {
            name: name.into(),
            label: name.into(),
            data_type: DataType::Text,
            personal_info: pi,
            grade,
            required: false,
            key: false,
            open: true,
        }
    }

    fn entry(items: Vec<DataItem>, sharing: SharingAttribute, open: OpenAttribute) -> CatalogEntry {
        CatalogEntry {
            title: "居民用水户信息".into(),
            description: "供水企业的用水户登记信息".into(),
            owner: "330100-water".into(),
            items,
            update_cycle: UpdateCycle::Monthly,
            sharing,
            sharing_reason: None,
            open,
            open_reason: None,
            theme: None,
        }
    }

    fn fields(e: &CatalogEntry) -> Vec<String> {
        e.check()
            .err()
            .map(|v| v.0.into_iter().map(|v| v.field).collect())
            .unwrap_or_default()
    }

    #[test]
    fn an_ordinary_open_entry_passes() {
        let e = entry(
            vec![
                item("district", None, SecurityGrade::L1),
                item("usage_m3", None, SecurityGrade::L2),
            ],
            SharingAttribute::Unconditional,
            OpenAttribute::Unconditional,
        );
        assert_eq!(e.check(), Ok(()));
        assert_eq!(e.grade(), SecurityGrade::L2);
    }

    #[test]
    fn direct_identifiers_cannot_be_unconditionally_open() {
        let mut e = entry(
            vec![item(
                "id_no",
                Some(PiiType::CnResidentId),
                SecurityGrade::L3,
            )],
            SharingAttribute::Unconditional,
            OpenAttribute::Unconditional,
        );
        let err = e.check().expect_err("must be refused");
        assert_eq!(err.0[0].field, "open");
        assert!(err.0[0].message.contains("id_no"), "{err}");
        // Restricted opening with a reason is the regulation's way for such data.
        e.open = OpenAttribute::Restricted;
        e.open_reason = Some("含个人信息，经脱敏后受限开放".into());
        assert_eq!(e.check(), Ok(()));
    }

    #[test]
    fn quasi_identifiers_alone_may_be_unconditionally_open() {
        let e = entry(
            vec![item(
                "postcode",
                Some(PiiType::PostalCode),
                SecurityGrade::L2,
            )],
            SharingAttribute::Unconditional,
            OpenAttribute::Unconditional,
        );
        assert_eq!(e.check(), Ok(()));
    }

    #[test]
    fn l4_items_cannot_be_opened_at_all() {
        for open in [OpenAttribute::Unconditional, OpenAttribute::Restricted] {
            let mut e = entry(
                vec![item("pipe_network", None, SecurityGrade::L4)],
                SharingAttribute::Unconditional,
                open,
            );
            e.open_reason = Some("reason".into());
            assert!(fields(&e).contains(&"open".to_string()), "{open:?}");
        }
        let mut e = entry(
            vec![item("pipe_network", None, SecurityGrade::L4)],
            SharingAttribute::Conditional,
            OpenAttribute::Prohibited,
        );
        e.sharing_reason = Some("关键基础设施信息".into());
        e.open_reason = Some("关键基础设施信息".into());
        assert_eq!(e.check(), Ok(()));
    }

    #[test]
    fn limited_sharing_and_opening_need_a_reason() {
        for sharing in [SharingAttribute::Conditional, SharingAttribute::None] {
            let mut e = entry(
                vec![item("district", None, SecurityGrade::L1)],
                sharing,
                OpenAttribute::Unconditional,
            );
            assert_eq!(fields(&e), vec!["sharing_reason"]);
            e.sharing_reason = Some("   ".into());
            assert_eq!(fields(&e), vec!["sharing_reason"], "blank is no reason");
            e.sharing_reason = Some("仅用于行政审批".into());
            assert_eq!(e.check(), Ok(()));
        }
        let e = entry(
            vec![item("district", None, SecurityGrade::L1)],
            SharingAttribute::Unconditional,
            OpenAttribute::Restricted,
        );
        assert_eq!(fields(&e), vec!["open_reason"]);
    }

    #[test]
    fn every_broken_rule_is_listed_with_its_field() {
        let mut e = entry(
            vec![
                item("a", None, SecurityGrade::L1),
                item("a", None, SecurityGrade::L1),
                item("", None, SecurityGrade::L1),
                item("../etc", None, SecurityGrade::L1),
            ],
            SharingAttribute::None,
            OpenAttribute::Unconditional,
        );
        e.title = " ".into();
        e.owner = String::new();
        assert_eq!(
            fields(&e),
            vec![
                "title",
                "owner",
                "items[1].name",
                "items[2].name",
                "items[3].name",
                "sharing_reason"
            ]
        );
        let message = e.check().expect_err("broken").to_string();
        assert!(
            message.contains("items[1].name: \"a\" appears twice"),
            "{message}"
        );
    }

    #[test]
    fn entries_round_trip_through_json_with_snake_case_attributes() {
        let e = entry(
            vec![item("mobile", Some(PiiType::CnMobile), SecurityGrade::L3)],
            SharingAttribute::Conditional,
            OpenAttribute::Prohibited,
        );
        let json = serde_json::to_value(&e).expect("json");
        assert_eq!(json["sharing"], "conditional");
        assert_eq!(json["items"][0]["personal_info"], "cn_mobile");
        assert_eq!(json["items"][0]["grade"], "L3");
        let back: CatalogEntry = serde_json::from_value(json).expect("back");
        assert_eq!(back, e);
    }
}

#[cfg(test)]
mod names {
    use super::*;
    use crate::audit::Outcome;
    use crate::quality::Reason;
    use crate::store::{JobKind, JobState};

    /// Pages look enum values up in the message files by these names; each must be the name the
    /// API and the database use, and `ALL` must list every value exactly once.
    fn same<T: Serialize + Copy + PartialEq + std::fmt::Debug>(
        all: &[T],
        name: fn(T) -> &'static str,
    ) {
        for (i, v) in all.iter().enumerate() {
            assert_eq!(
                serde_json::to_value(v).ok(),
                Some(serde_json::json!(name(*v)))
            );
            assert!(!all[..i].contains(v), "{v:?} listed twice");
        }
    }

    #[test]
    fn every_value_is_listed_once_under_its_serde_name() {
        same(&SecurityGrade::ALL, SecurityGrade::name);
        same(&DataType::ALL, DataType::name);
        same(&UpdateCycle::ALL, UpdateCycle::name);
        same(&SharingAttribute::ALL, SharingAttribute::name);
        same(&OpenAttribute::ALL, OpenAttribute::name);
        same(&JobKind::ALL, JobKind::as_str);
        same(&JobState::ALL, JobState::as_str);
        same(&Outcome::ALL, Outcome::name);
        same(&Reason::ALL, Reason::name);
        same(&Theme::ALL, Theme::name);
    }
}
