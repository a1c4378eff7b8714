//! Scoring recognizers against text with gold spans marked inline (`[[person_name:张三]]`).
//!
//! The evaluation corpora in `eval/redaction/` were written by hand, apart from the code and
//! from our generator; this module reads them and counts, per type, what a redaction would have
//! left in the clear. It lives in the library so that `pubdata bench scan --eval` and the tests
//! count the same way.

use crate::{PiiType, Span};
use std::collections::BTreeMap;

/// A gold span: a type, or `None` for a span marked `ignore` (already anonymized forms such as
/// 张某, which count neither for nor against a recognizer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoldSpan {
    /// First character.
    pub start: usize,
    /// One past the last character.
    pub end: usize,
    /// The type, `None` for `ignore`.
    pub kind: Option<PiiType>,
}

/// One record of a corpus: the plain text and its gold spans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// 1-based line of the corpus file.
    pub line: usize,
    /// The text with the markup removed and `\n` turned into line breaks.
    pub text: String,
    /// Gold spans in character offsets, sorted by start.
    pub gold: Vec<GoldSpan>,
}

/// A line that cannot be read, with its 1-based line and column (in characters).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct ParseError {
    /// 1-based line.
    pub line: usize,
    /// 1-based character column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// Reads a corpus: one record per line, `#` comments and blank lines skipped.
pub fn parse_corpus(text: &str) -> Result<Vec<Record>, ParseError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        out.push(parse_record(i + 1, line)?);
    }
    Ok(out)
}

fn parse_record(line_no: usize, line: &str) -> Result<Record, ParseError> {
    let err = |byte: usize, message: String| ParseError {
        line: line_no,
        column: line[..byte].chars().count() + 1,
        message,
    };
    let mut text = String::with_capacity(line.len());
    let mut chars = 0usize;
    let mut gold = Vec::new();
    let mut i = 0;
    let push_plain = |s: &str, text: &mut String, chars: &mut usize| {
        let s = s.replace("\\n", "\n");
        *chars += s.chars().count();
        text.push_str(&s);
    };
    while let Some(open) = line[i..].find("[[") {
        let open = i + open;
        push_plain(&line[i..open], &mut text, &mut chars);
        let body_start = open + 2;
        let close = line[body_start..]
            .find("]]")
            .map(|c| body_start + c)
            .ok_or_else(|| err(open, "`[[` without `]]`".into()))?;
        let body = &line[body_start..close];
        let (kind, value) = body
            .split_once(':')
            .ok_or_else(|| err(open, format!("`[[{body}]]` has no `type:`")))?;
        if value.is_empty() || value.contains("[[") {
            return Err(err(
                open,
                format!("`[[{body}]]` has an empty or nested value"),
            ));
        }
        let kind = match kind {
            "ignore" => None,
            k => Some(
                k.parse::<PiiType>()
                    .map_err(|_| err(open, format!("unknown type `{k}`")))?,
            ),
        };
        let start = chars;
        push_plain(value, &mut text, &mut chars);
        gold.push(GoldSpan {
            start,
            end: chars,
            kind,
        });
        i = close + 2;
    }
    if line[i..].contains("]]") {
        return Err(err(
            i + line[i..].find("]]").unwrap_or(0),
            "`]]` without `[[`".into(),
        ));
    }
    push_plain(&line[i..], &mut text, &mut chars);
    Ok(Record {
        line: line_no,
        text,
        gold,
    })
}

/// Counts for one type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct TypeScore {
    /// Gold spans of the type.
    pub gold: usize,
    /// Gold spans every character of which some predicted span covers (what redaction needs).
    pub covered: usize,
    /// Gold spans a predicted span of the same type overlaps.
    pub typed: usize,
    /// Gold spans predicted exactly (same bounds and type).
    pub exact: usize,
    /// Predicted spans of the type (those overlapping only `ignore` spans left out).
    pub predicted: usize,
    /// Predicted spans of the type that overlap some gold span (of any type).
    pub correct: usize,
}

impl TypeScore {
    /// Share of gold spans left with no character in the clear.
    pub fn recall(&self) -> f64 {
        ratio(self.covered, self.gold)
    }

    /// Share of predicted spans that overlap personal information.
    pub fn precision(&self) -> f64 {
        ratio(self.correct, self.predicted)
    }

    fn add(&mut self, o: &TypeScore) {
        self.gold += o.gold;
        self.covered += o.covered;
        self.typed += o.typed;
        self.exact += o.exact;
        self.predicted += o.predicted;
        self.correct += o.correct;
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

/// A missed gold span or a false alarm, for reading what went wrong.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Miss {
    /// Corpus line.
    pub line: usize,
    /// The type (gold for a miss, predicted for a false alarm).
    pub kind: PiiType,
    /// The span's text.
    pub text: String,
    /// Up to eight characters either side.
    pub context: String,
}

/// The score of a recognizer on a corpus.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Score {
    /// Per type (types with neither gold nor predicted spans left out).
    pub types: BTreeMap<PiiType, TypeScore>,
    /// Gold spans not fully covered.
    pub missed: Vec<Miss>,
    /// Predicted spans overlapping no gold span.
    pub false_alarms: Vec<Miss>,
}

impl Score {
    /// Scores `predict` (text -> spans) on every record.
    pub fn of(records: &[Record], mut predict: impl FnMut(&str) -> Vec<Span>) -> Score {
        let mut score = Score::default();
        for r in records {
            let pred = predict(&r.text);
            score.add_record(r, &pred);
        }
        score
    }

    fn add_record(&mut self, r: &Record, pred: &[Span]) {
        let chars: Vec<char> = r.text.chars().collect();
        let snippet = |s: usize, e: usize| chars[s..e].iter().collect::<String>();
        let context = |s: usize, e: usize| {
            let a = s.saturating_sub(8);
            let b = (e + 8).min(chars.len());
            format!("{}【{}】{}", snippet(a, s), snippet(s, e), snippet(e, b))
        };
        let overlaps = |a: (usize, usize), b: (usize, usize)| a.0 < b.1 && b.0 < a.1;
        for g in &r.gold {
            let Some(kind) = g.kind else { continue };
            let t = self.types.entry(kind).or_default();
            t.gold += 1;
            let covered = (g.start..g.end).all(|c| pred.iter().any(|p| p.start <= c && c < p.end));
            if covered {
                t.covered += 1;
            } else {
                self.missed.push(Miss {
                    line: r.line,
                    kind,
                    text: snippet(g.start, g.end),
                    context: context(g.start, g.end),
                });
            }
            if pred
                .iter()
                .any(|p| p.kind == kind && overlaps((p.start, p.end), (g.start, g.end)))
            {
                t.typed += 1;
            }
            if pred
                .iter()
                .any(|p| p.kind == kind && p.start == g.start && p.end == g.end)
            {
                t.exact += 1;
            }
        }
        for p in pred {
            let hits: Vec<&GoldSpan> = r
                .gold
                .iter()
                .filter(|g| overlaps((p.start, p.end), (g.start, g.end)))
                .collect();
            if !hits.is_empty() && hits.iter().all(|g| g.kind.is_none()) {
                continue;
            }
            let t = self.types.entry(p.kind).or_default();
            t.predicted += 1;
            if hits.is_empty() {
                self.false_alarms.push(Miss {
                    line: r.line,
                    kind: p.kind,
                    text: snippet(p.start, p.end),
                    context: context(p.start, p.end),
                });
            } else {
                t.correct += 1;
            }
        }
    }

    /// All types together.
    pub fn total(&self) -> TypeScore {
        let mut t = TypeScore::default();
        for s in self.types.values() {
            t.add(s);
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_becomes_text_and_character_spans() {
        let r =
            parse_corpus("# c\n来电人[[person_name:萧雅琴]]，\\n电话[[cn_mobile:13812345678]]。\n")
                .unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].line, 2);
        assert_eq!(r[0].text, "来电人萧雅琴，\n电话13812345678。");
        assert_eq!(
            r[0].gold,
            vec![
                GoldSpan {
                    start: 3,
                    end: 6,
                    kind: Some(PiiType::PersonName)
                },
                GoldSpan {
                    start: 10,
                    end: 21,
                    kind: Some(PiiType::CnMobile)
                },
            ]
        );
    }

    #[test]
    fn bad_markup_names_line_and_column() {
        let e = parse_corpus("ok\n甲乙[[nope:x]]").unwrap_err();
        assert_eq!((e.line, e.column), (2, 3));
        assert!(e.message.contains("nope"));
        assert!(parse_corpus("[[person_name:张三").is_err());
        assert!(parse_corpus("张三]]").is_err());
    }

    #[test]
    fn partial_cover_is_a_miss_and_ignore_is_neutral() {
        let recs = parse_corpus("[[person_name:萧雅琴]]与[[ignore:张某]]").unwrap();
        let s = Score::of(&recs, |_| {
            vec![
                Span {
                    start: 0,
                    end: 2,
                    kind: PiiType::PersonName,
                    checked: true,
                },
                Span {
                    start: 4,
                    end: 6,
                    kind: PiiType::PersonName,
                    checked: true,
                },
            ]
        });
        let t = s.types[&PiiType::PersonName];
        assert_eq!((t.gold, t.covered, t.typed, t.exact), (1, 0, 1, 0));
        assert_eq!((t.predicted, t.correct), (1, 1));
        assert_eq!(s.missed.len(), 1);
    }
}
