//! `redact`: replace the personal information the recognizers find in free text with a type
//! label (`[cn_mobile]`) or a keyed pseudonym (`[cn_mobile:3f9a0c12]`), keeping the rest of
//! the sentence readable.

use pubdata_detect::{DetectMode, Detector, PiiType, Span};

use super::pseudonymize::Pseudonymizer;

/// A redactor for one column.
pub struct Redactor {
    detector: Detector,
    types: Option<Vec<PiiType>>,
    pseudonyms: Option<Pseudonymizer>,
    mode: DetectMode,
    spans: Vec<Span>,
    buf: String,
}

impl Redactor {
    /// A redactor of `types` (all types when `None`); with `pseudonyms`, spans become
    /// `[type:pseudonym]` so the same person stays linkable inside the release.
    pub fn new(types: Option<Vec<PiiType>>, pseudonyms: Option<Pseudonymizer>) -> Redactor {
        Redactor {
            detector: Detector::new(),
            types,
            pseudonyms,
            mode: DetectMode::Redaction,
            spans: Vec::new(),
            buf: String::new(),
        }
    }

    /// The same redactor detecting in `mode` (redaction, recall first, by default).
    pub fn with_mode(mut self, mode: DetectMode) -> Redactor {
        self.mode = mode;
        self
    }

    /// Redacts one text into `out` (cleared first); returns the number of spans replaced.
    pub fn apply(&mut self, text: &str, out: &mut String) -> usize {
        out.clear();
        self.detector
            .find_spans_mode_into(text, self.mode, &mut self.spans);
        let mut replaced = 0;
        let mut spans = self
            .spans
            .iter()
            .filter(|s| self.types.as_ref().is_none_or(|t| t.contains(&s.kind)))
            .peekable();
        // Spans are in character offsets, sorted and non-overlapping: one walk maps them to bytes.
        let mut span_start_byte = 0;
        for (ci, (bi, ch)) in text.char_indices().enumerate() {
            let Some(span) = spans.peek() else {
                out.push_str(&text[bi..]);
                return replaced;
            };
            if ci == span.start {
                span_start_byte = bi;
            }
            if ci < span.start {
                out.push(ch);
            }
            if ci + 1 == span.end {
                let original = &text[span_start_byte..bi + ch.len_utf8()];
                out.push('[');
                out.push_str(span.kind.name());
                if let Some(p) = &self.pseudonyms {
                    p.pseudonym(original, &mut self.buf);
                    out.push(':');
                    out.push_str(&self.buf);
                }
                out.push(']');
                replaced += 1;
                spans.next();
            }
        }
        replaced
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::Key;
    use crate::policy::PseudonymFormat;
    use proptest::prelude::*;

    fn redact(text: &str, types: Option<Vec<PiiType>>) -> String {
        let mut out = String::new();
        Redactor::new(types, None).apply(text, &mut out);
        out
    }

    #[test]
    fn identifiers_failing_their_checks_are_redacted_unless_strict() {
        // A resident ID with a wrong check digit, a mobile with an unallocated prefix, a card
        // failing Luhn, a plate with a letter the standard does not issue.
        let text =
            "身份证330106199001011235，手机15412345678，卡号6222021234567890123，车牌吉I-19182。";
        let out = redact(text, None);
        for leaked in [
            "330106199001011235",
            "15412345678",
            "6222021234567890123",
            "吉I-19182",
        ] {
            assert!(!out.contains(leaked), "{leaked} in {out}");
        }
        assert!(
            out.contains("[cn_resident_id]") && out.contains("[cn_license_plate]"),
            "{out}"
        );
        let mut strict = String::new();
        Redactor::new(None, None)
            .with_mode(DetectMode::Classification)
            .apply(text, &mut strict);
        assert!(strict.contains("330106199001011235"), "{strict}");
    }

    #[test]
    fn rare_surnames_and_invented_places_are_redacted() {
        let out = redact(
            "来电人萧雅琴反映，青禾省丰川市望江区绿柳路88号3幢201室楼下噪音。",
            None,
        );
        assert!(
            !out.contains("萧雅琴") && !out.contains("绿柳路88号"),
            "{out}"
        );
        assert!(out.contains("来电人[person_name]"), "{out}");
    }

    #[test]
    fn spans_become_labels_and_the_sentence_stays() {
        let out = redact(
            "张伟的手机号是13812345678，身份证11010519491231002X。",
            None,
        );
        assert!(
            out.contains("[cn_mobile]") && out.contains("[cn_resident_id]"),
            "{out}"
        );
        assert!(
            !out.contains("13812345678") && !out.contains("11010519491231002X"),
            "{out}"
        );
        assert!(out.contains("的手机号是") && out.ends_with('。'), "{out}");
    }

    #[test]
    fn only_the_listed_types_are_redacted() {
        let out = redact(
            "手机13812345678，邮箱a.b@example.com",
            Some(vec![PiiType::Email]),
        );
        assert!(
            out.contains("13812345678") && out.contains("[email]"),
            "{out}"
        );
    }

    #[test]
    fn pseudonyms_link_within_a_key_only() {
        let k1 = Key::from_hex(&"01".repeat(32), "t").expect("key");
        let k2 = Key::from_hex(&"02".repeat(32), "t").expect("key");
        let run = |k: &Key| {
            let p = Pseudonymizer::new(k, PseudonymFormat::Hex, Some(8), "");
            let mut out = String::new();
            Redactor::new(None, Some(p)).apply("电话13812345678", &mut out);
            out
        };
        assert_eq!(run(&k1), run(&k1));
        assert_ne!(run(&k1), run(&k2));
        assert!(run(&k1).starts_with("电话[cn_mobile:") && !run(&k1).contains("13812345678"));
    }

    proptest! {
        #[test]
        fn text_without_findings_is_unchanged(t in "[a-z，。的了是在 ]{0,40}") {
            prop_assert_eq!(redact(&t, None), t);
        }

        #[test]
        fn an_embedded_mobile_never_survives(pre in "[的了是在]{0,10}", d in "[0-9]{8}", post in "[的了是在]{0,10}") {
            let mobile = format!("138{d}");
            let out = redact(&format!("{pre}电话{mobile}{post}"), None);
            prop_assert!(!out.contains(&mobile), "{}", out);
            prop_assert!(out.starts_with(&pre) && out.ends_with(&post));
        }
    }
}
