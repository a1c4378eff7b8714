//! Validated recognizers for Chinese personal information.
//!
//! Every recognizer checks what the standard defines (check digits, calendar dates, allocated
//! prefixes, code tables), not just a shape, so an 18-digit order number is not an ID and a
//! Luhn-valid ID is not a bank card. [`Detector::is_match`] and [`Detector::classify`] judge whole
//! cell values; [`Detector::find_spans`] finds personal information in free text.

pub mod checks;
pub mod eval;
pub mod facts;

mod address;
mod admin;
mod dates;
mod ids;
mod kind;
mod loose;
mod name;
mod numbers;
mod org;
mod plate;
mod region;
mod scan;
mod small;
mod street;
mod travel;
mod util;
mod web;

pub use dates::days_to_civil;
pub use ids::ResidentIdInfo;
pub use kind::{PiiType, UnknownPiiType};
pub use region::{RegionError, RegionTable};

/// A span of personal information found in free text, in character (not byte) offsets, end
/// exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Span {
    /// First character of the span.
    pub start: usize,
    /// One past the last character of the span.
    pub end: usize,
    /// What the span is.
    pub kind: PiiType,
    /// False when the span only has the shape of its type and fails the type's check (a wrong
    /// check digit, an unissued plate letter): found in [`DetectMode::Redaction`] only.
    pub checked: bool,
}

/// What the spans are for: the two modes trade recall and precision the opposite way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DetectMode {
    /// Is this value (or column) of this type? Strict: check digits, allocated prefixes and
    /// issued letters must hold, names need a known surname and clear context. `scan` uses it.
    #[default]
    Classification,
    /// Could this span identify a person? Recall first: identifier shapes that fail their check
    /// are reported with `checked: false`, names are looked for with the full surname
    /// inventory and looser context, addresses by their structure. `redact` uses it.
    Redaction,
}

/// Byte length of the run of administrative-division names a text starts with
/// (`浙江省杭州市西湖区` of `浙江省杭州市西湖区文三路90号`), if it starts with one.
pub fn division_prefix_len(text: &str) -> Option<usize> {
    let (hits, n) = admin::names().chain_at_start::<4>(text);
    n.checked_sub(1).map(|last| hits[last].end)
}

/// The recognizers, ready to use. Cheap to share by reference across threads: the automata are
/// built once per process and shared by every detector.
#[derive(Debug, Clone)]
pub struct Detector {
    regions: Option<RegionTable>,
    /// Birth dates after today are impossible; fixed at construction so results are stable
    /// during a run.
    today: dates::Ymd,
}

impl Default for Detector {
    fn default() -> Self {
        Self::new()
    }
}

/// Types in the order [`Detector::classify`] tries them: the most specific (check-digit
/// validated) first, free-form CJK types last.
const CLASSIFY_ORDER: [PiiType; 18] = [
    PiiType::CnResidentId,
    PiiType::CnUscc,
    PiiType::BankCard,
    PiiType::CnMobile,
    PiiType::CnLandline,
    PiiType::Email,
    PiiType::IpAddress,
    PiiType::Passport,
    PiiType::CnHkMacauPermit,
    PiiType::CnTaiwanPermit,
    PiiType::CnLicensePlate,
    PiiType::GeoCoordinate,
    PiiType::DateOfBirth,
    PiiType::PostalCode,
    PiiType::Gender,
    PiiType::PersonName,
    PiiType::OrganizationName,
    PiiType::Address,
];

impl Detector {
    /// A detector without a region table (`region_current` is then always `None`).
    pub fn new() -> Detector {
        // Build the shared automata now rather than inside the first scan.
        admin::names();
        scan::warm_up();
        Detector {
            regions: None,
            today: dates::today(),
        }
    }

    /// A detector that reports whether resident-ID region codes are in `regions`.
    pub fn with_regions(regions: RegionTable) -> Detector {
        Detector {
            regions: Some(regions),
            ..Detector::new()
        }
    }

    /// True when a region table was given, so resident-ID region codes can be checked in full.
    pub fn has_regions(&self) -> bool {
        self.regions.is_some()
    }

    /// True when the whole value (trimmed) is a valid instance of `kind`. Allocation-free.
    pub fn is_match(&self, kind: PiiType, value: &str) -> bool {
        let v = value.trim();
        let b = v.as_bytes();
        if b.is_empty() {
            return false;
        }
        let whole = |end: Option<usize>| end == Some(b.len());
        match kind {
            PiiType::CnResidentId => ids::is_resident_id(b, self.today),
            PiiType::CnMobile => whole(numbers::mobile_at(b, 0)),
            PiiType::CnLandline => whole(numbers::landline_at(b, 0)),
            PiiType::Email => web::is_email(b),
            PiiType::BankCard => whole(numbers::bank_card_at(b, 0, self.today)),
            PiiType::CnUscc => ids::is_uscc(b),
            PiiType::CnLicensePlate => plate::is_plate(v),
            PiiType::Passport => travel::is_passport(b),
            PiiType::CnHkMacauPermit => travel::is_hk_macau(b),
            PiiType::CnTaiwanPermit => travel::is_taiwan(b),
            PiiType::IpAddress => web::is_ip(v),
            PiiType::PersonName => name::is_person_name(v),
            PiiType::Address => !v.is_ascii() && address::is_address(v),
            PiiType::DateOfBirth => dates::is_date(b, self.today),
            PiiType::Gender => small::is_gender(v),
            PiiType::PostalCode => small::is_postal_code(b),
            PiiType::GeoCoordinate => small::is_geo_coordinate(v),
            PiiType::OrganizationName => !v.is_ascii() && org::is_organization(v),
        }
    }

    /// The most specific type the whole value is, or `None`. Check-digit types come first, so a
    /// valid resident ID is never called a bank card and an 18-digit number that fails the ID
    /// checks is not an ID (nor, usually, anything else).
    pub fn classify(&self, value: &str) -> Option<PiiType> {
        CLASSIFY_ORDER
            .into_iter()
            .find(|&k| self.is_match(k, value))
    }

    /// What a valid 18- or 15-digit resident ID encodes, with `region_current` from the region
    /// table when one was given.
    pub fn resident_id_info(&self, value: &str) -> Option<ResidentIdInfo> {
        let mut info = ids::parse_resident_id(value.trim().as_bytes(), self.today)?;
        info.region_current = self.regions.as_ref().map(|t| t.contains(info.region_code));
        Some(info)
    }

    /// Personal information in free text in [`DetectMode::Classification`]: non-overlapping
    /// spans sorted by start, in character offsets.
    pub fn find_spans(&self, text: &str) -> Vec<Span> {
        let mut out = Vec::new();
        self.find_spans_into(text, &mut out);
        out
    }

    /// Like [`Detector::find_spans`], but clears and fills `out`, reusing its allocation.
    pub fn find_spans_into(&self, text: &str, out: &mut Vec<Span>) {
        scan::find_spans_into(self.today, DetectMode::Classification, text, out);
    }

    /// Personal information in free text in the given mode (see [`DetectMode`]).
    pub fn find_spans_mode(&self, text: &str, mode: DetectMode) -> Vec<Span> {
        let mut out = Vec::new();
        self.find_spans_mode_into(text, mode, &mut out);
        out
    }

    /// Like [`Detector::find_spans_mode`], but clears and fills `out`, reusing its allocation.
    pub fn find_spans_mode_into(&self, text: &str, mode: DetectMode, out: &mut Vec<Span>) {
        scan::find_spans_into(self.today, mode, text, out);
    }
}

#[cfg(test)]
mod tests;
