//! Checks an XLSX workbook against [`ReadLimits`] before calamine opens it.
//!
//! calamine 0.38 loads the whole shared-strings table when the workbook is
//! opened (`Xlsx::new`), reserving room for the `uniqueCount` the file
//! declares, and its XML parser (quick-xml) buffers every event in full: a
//! text run, a tag, and the whole content of a `<t>`, `<v>` or `<f>`
//! element. A 1 MB zip can therefore make it allocate gigabytes before the
//! first cell reaches us. So we look first, in two steps:
//!
//! 1. The zip central directory: the sum of all parts' uncompressed sizes and
//!    the size of the shared-strings part. No decompression is needed, and
//!    the zip crate (9.x) fails a part that inflates past its declared size,
//!    so these sizes are real bounds.
//! 2. One streaming pass over the XML parts calamine parses (shared strings,
//!    worksheets, workbook, styles, theme, relationships) with a small state
//!    machine and constant memory: the number of shared strings, the text
//!    length of each shared string and cell value, and the raw size of any
//!    single tag, text run, or cell / shared-string element (see
//!    [`ReadLimits::xml_bytes`]).
//!
//! The scan errs on the side of counting too much: an element's content is
//! tracked until its end tag with proper nesting, which is never earlier than
//! calamine stops reading it, and all text inside it counts (including
//! phonetic guides and formula text). Markup quick-xml would reject is
//! refused here too, and DOCTYPE declarations (not allowed in OOXML) are
//! refused since their extent is ambiguous. A part that fails to inflate
//! (corrupt data, wrong CRC) ends its scan silently: calamine reports the same
//! error if it reads that part, after the bytes we did check.
//!
//! Text in a part that declares a legacy encoding (e.g. GBK) may grow by up
//! to half when calamine decodes it; the exact length of every cell is
//! checked again as it is read (in `xlsx.rs`).

use std::fs::File;
use std::io::{BufReader, ErrorKind, Read};

use crate::ReadLimits;
use crate::error::{LimitFailure, TableError, one_line};

/// What a zip entry is, for the parts calamine parses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum PartKind {
    SharedStrings,
    Worksheet,
    /// Workbook, styles, theme, relationships: read whole by calamine.
    Other,
}

/// Classifies a zip entry name the way calamine looks parts up: case-
/// insensitively, with `\` as a path separator. calamine finds sheets (and
/// the workbook) through the package's relationship files, so a sheet may sit
/// at any path: every other `.xml` part is scanned with the worksheet rules.
/// `None` only for parts that are not XML (images, binaries).
fn classify(name: &str) -> Option<PartKind> {
    let n = name.replace('\\', "/").to_ascii_lowercase();
    let (dir, base) = n.rsplit_once('/').unwrap_or(("", n.as_str()));
    let parent = dir.rsplit('/').next().unwrap_or("");
    if base == "sharedstrings.xml" {
        Some(PartKind::SharedStrings)
    } else if parent == "worksheets" && base.ends_with(".xml") {
        Some(PartKind::Worksheet)
    } else if base == "workbook.xml"
        || base == "styles.xml"
        || (parent == "theme" && base.ends_with(".xml"))
        || base.ends_with(".rels")
    {
        Some(PartKind::Other)
    } else if base.ends_with(".xml") {
        // A sheet at a path of the package's choosing (`xl/data/s1.xml`).
        Some(PartKind::Worksheet)
    } else {
        None
    }
}

/// Why a part is refused.
enum Refusal {
    Limit(LimitFailure),
    /// Markup whose extent we cannot bound (a DOCTYPE, a malformed `<!`).
    Markup(String),
}

/// A zip entry name fit for an error message (attacker-controlled, so cut
/// short and kept on one line).
fn part_label(name: &str) -> String {
    let mut s: String = name.chars().take(120).collect();
    if s.len() < name.len() {
        s.push('…');
    }
    one_line(&s)
}

/// Checks the workbook in `file`; see the module docs. A file that is not a
/// readable zip passes, so that calamine reports it in its own words.
pub(crate) fn check(file: &File, label: &str, limits: &ReadLimits) -> Result<(), TableError> {
    let Ok(mut zip) = zip::ZipArchive::new(BufReader::new(file)) else {
        return Ok(());
    };
    let mut total: u64 = 0;
    let mut parts: Vec<(PartKind, usize, String, u64)> = Vec::new();
    for i in 0..zip.len() {
        let Ok(entry) = zip.by_index_data(i) else {
            continue;
        };
        if entry.is_dir() {
            continue;
        }
        total = total.saturating_add(entry.size());
        let Ok(name) = entry.name() else { continue };
        if let Some(kind) = classify(&name) {
            parts.push((kind, i, part_label(&name), entry.size()));
        }
    }
    let fail = |f: LimitFailure| f.into_error(label.to_string());
    if total > limits.max_workbook_bytes {
        return Err(fail(LimitFailure::bytes(
            "workbook",
            format!("its parts decompress to {total} bytes"),
            "ReadLimits::max_workbook_bytes",
            limits.max_workbook_bytes,
        )));
    }
    // Shared strings first: they are what calamine loads eagerly.
    parts.sort();
    for (kind, _, name, size) in &parts {
        if *kind == PartKind::SharedStrings && *size > limits.max_shared_strings_bytes {
            return Err(fail(LimitFailure::bytes(
                name.clone(),
                format!("uncompressed size is {size} bytes"),
                "ReadLimits::max_shared_strings_bytes",
                limits.max_shared_strings_bytes,
            )));
        }
    }
    let mut buf = vec![0u8; 64 * 1024];
    for (kind, index, name, _) in parts {
        let Ok(mut entry) = zip.by_index(index) else {
            continue;
        };
        let mut scan = Scanner::new(&name, kind, limits);
        loop {
            let n = match entry.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => break,
            };
            match scan.feed(&buf[..n]) {
                Ok(()) => {}
                Err(Refusal::Limit(f)) => return Err(fail(f)),
                Err(Refusal::Markup(message)) => {
                    return Err(TableError::Workbook {
                        file: label.to_string(),
                        message: one_line(&format!("{name}: {message}")),
                    });
                }
            }
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Character data between markup.
    Text,
    /// After `&` in text, collecting a reference name into `entity`.
    Entity,
    /// Just after `<`.
    Lt,
    /// After `<!`, collecting into `bang` until it is a comment or CDATA.
    Bang,
    /// Inside a start or end tag; `quote` is the open attribute quote or 0.
    Tag,
    /// Inside `<!-- ... -->`.
    Comment,
    /// Inside `<![CDATA[ ... ]]>`.
    CData,
    /// Inside `<? ... ?>`.
    Pi,
}

/// Elements whose whole content calamine accumulates: a shared string, its
/// text runs, an inline string, a cell value and a formula.
const CAPTURED: [&[u8]; 5] = [b"si", b"t", b"is", b"v", b"f"];

/// Streaming, constant-memory checker for one XML part.
struct Scanner<'a> {
    part: &'a str,
    kind: PartKind,
    max_cell: u64,
    max_strings: u64,
    /// Bound on any tag, text run, and captured element's raw XML.
    max_xml: u64,
    state: State,
    /// Raw bytes of the current text run.
    run: u64,
    /// Raw bytes of the current markup construct, `<` included.
    markup: u64,
    /// The current tag's bytes between `<` and `>` (at most `max_xml`).
    tag: Vec<u8>,
    quote: u8,
    /// Bytes after `<!` while deciding what it is (at most 7).
    bang: Vec<u8>,
    /// Name of a character/entity reference being read (at most 12 bytes).
    entity: Vec<u8>,
    /// Last two bytes seen, for the `-->`, `]]>` and `?>` terminators.
    last: [u8; 2],
    /// Open elements inside the current captured element, flattened:
    /// `names[ends[k-1]..ends[k]]` is the k-th qualified name.
    names: Vec<u8>,
    ends: Vec<usize>,
    /// Raw bytes and text bytes of the current captured element.
    captured_raw: u64,
    captured_text: u64,
    /// Shared strings (`<si>` starts) seen so far.
    strings: u64,
    /// Index of the shared string the current capture belongs to.
    string_index: Option<u64>,
    /// Reference of the last `<c>` started, e.g. "B7".
    cell: Option<String>,
}

impl<'a> Scanner<'a> {
    fn new(part: &'a str, kind: PartKind, limits: &ReadLimits) -> Self {
        Scanner {
            part,
            kind,
            max_cell: limits.max_cell_bytes,
            max_strings: limits.max_shared_strings,
            max_xml: limits.xml_bytes(),
            state: State::Text,
            run: 0,
            markup: 0,
            tag: Vec::new(),
            quote: 0,
            bang: Vec::new(),
            entity: Vec::new(),
            last: [0; 2],
            names: Vec::new(),
            ends: Vec::new(),
            captured_raw: 0,
            captured_text: 0,
            strings: 0,
            string_index: None,
            cell: None,
        }
    }

    fn capturing(&self) -> bool {
        !self.ends.is_empty()
    }

    /// Where the scan is, for error messages.
    fn location(&self) -> String {
        match (self.kind, self.string_index, &self.cell) {
            (PartKind::SharedStrings, Some(i), _) if self.capturing() => {
                format!("{}, shared string {i}", self.part)
            }
            (PartKind::Worksheet, _, Some(c)) => format!("{}, cell {c}", self.part),
            _ => self.part.to_string(),
        }
    }

    /// A refusal for text over `max_cell_bytes` (`cell`) or raw XML over the
    /// bound derived from it.
    fn too_big(&self, what: &str, cell: bool) -> Refusal {
        let (name, limit) = if cell {
            ("ReadLimits::max_cell_bytes", self.max_cell)
        } else {
            (
                "the XML bound, 8 x ReadLimits::max_cell_bytes but at least 1 MiB",
                self.max_xml,
            )
        };
        Refusal::Limit(LimitFailure::bytes(self.location(), what, name, limit))
    }

    /// Accounts `n` raw bytes of any kind.
    fn raw(&mut self, n: u64) -> Result<(), Refusal> {
        if self.capturing() {
            self.captured_raw = self.captured_raw.saturating_add(n);
            if self.captured_raw > self.max_xml {
                return Err(self.too_big("XML of one value is too long", false));
            }
        }
        Ok(())
    }

    /// Accounts `n` bytes of markup (tag, comment, CDATA, PI).
    fn markup(&mut self, n: u64) -> Result<(), Refusal> {
        self.markup = self.markup.saturating_add(n);
        if self.markup > self.max_xml {
            return Err(self.too_big("XML tag is too long", false));
        }
        self.raw(n)
    }

    /// Accounts `n` raw bytes of a text run.
    fn run(&mut self, n: u64) -> Result<(), Refusal> {
        self.run = self.run.saturating_add(n);
        if self.run > self.max_xml {
            return Err(self.too_big("XML text is too long", false));
        }
        self.raw(n)
    }

    /// Accounts `n` bytes of decoded text.
    fn text(&mut self, n: u64) -> Result<(), Refusal> {
        if self.capturing() {
            self.captured_text = self.captured_text.saturating_add(n);
            if self.captured_text > self.max_cell {
                let what = if self.string_index.is_some() {
                    "shared string is too long"
                } else {
                    "text is too long"
                };
                return Err(self.too_big(what, true));
            }
        }
        Ok(())
    }

    fn start_markup(&mut self) {
        self.run = 0;
        self.markup = 1;
    }

    fn feed(&mut self, data: &[u8]) -> Result<(), Refusal> {
        let mut i = 0;
        while i < data.len() {
            match self.state {
                State::Text => {
                    let rest = &data[i..];
                    let k = rest
                        .iter()
                        .position(|&b| b == b'<' || b == b'&')
                        .unwrap_or(rest.len());
                    self.run(k as u64)?;
                    self.text(k as u64)?;
                    i += k;
                    match data.get(i) {
                        Some(b'<') => {
                            self.start_markup();
                            self.raw(1)?;
                            self.state = State::Lt;
                        }
                        Some(_) => {
                            self.run(1)?;
                            self.entity.clear();
                            self.state = State::Entity;
                        }
                        None => break,
                    }
                    i += 1;
                }
                State::Entity => {
                    let b = data[i];
                    if b == b';' {
                        self.run(1)?;
                        let n = reference_len(&self.entity);
                        self.text(n)?;
                        self.state = State::Text;
                        i += 1;
                    } else if (b.is_ascii_alphanumeric() || b == b'#') && self.entity.len() < 12 {
                        self.run(1)?;
                        self.entity.push(b);
                        i += 1;
                    } else {
                        // Not a reference: the bytes were plain text; `b` is
                        // looked at again as text.
                        self.text(1 + self.entity.len() as u64)?;
                        self.state = State::Text;
                    }
                }
                State::Lt => match data[i] {
                    b'!' => {
                        self.markup(1)?;
                        self.bang.clear();
                        self.state = State::Bang;
                        i += 1;
                    }
                    b'?' => {
                        self.markup(1)?;
                        self.last = [0; 2];
                        self.state = State::Pi;
                        i += 1;
                    }
                    _ => {
                        self.tag.clear();
                        self.quote = 0;
                        self.state = State::Tag;
                    }
                },
                State::Bang => {
                    let b = data[i];
                    self.markup(1)?;
                    self.bang.push(b);
                    i += 1;
                    if self.bang == b"--" {
                        self.last = [0; 2];
                        self.state = State::Comment;
                    } else if self.bang == b"[CDATA[" {
                        self.last = [0; 2];
                        self.state = State::CData;
                    } else if !b"--".starts_with(&self.bang) && !b"[CDATA[".starts_with(&self.bang)
                    {
                        return Err(Refusal::Markup(
                            "contains a DOCTYPE or other <! declaration, which OOXML does not allow"
                                .into(),
                        ));
                    }
                }
                State::Tag => {
                    let rest = &data[i..];
                    let (k, hit) = if self.quote == 0 {
                        match rest
                            .iter()
                            .position(|&b| b == b'>' || b == b'"' || b == b'\'')
                        {
                            Some(k) => (k, Some(rest[k])),
                            None => (rest.len(), None),
                        }
                    } else {
                        match rest.iter().position(|&b| b == self.quote) {
                            Some(k) => (k, Some(rest[k])),
                            None => (rest.len(), None),
                        }
                    };
                    let take = if hit.is_some() { k + 1 } else { k };
                    self.markup(take as u64)?;
                    match hit {
                        Some(b'>') if self.quote == 0 => {
                            self.tag.extend_from_slice(&rest[..k]);
                            self.state = State::Text;
                            self.end_of_tag()?;
                        }
                        Some(q) => {
                            self.tag.extend_from_slice(&rest[..take]);
                            self.quote = if self.quote == 0 { q } else { 0 };
                        }
                        None => self.tag.extend_from_slice(rest),
                    }
                    i += take;
                }
                State::Comment | State::CData | State::Pi => {
                    let b = data[i];
                    self.markup(1)?;
                    let done = match self.state {
                        State::Comment => b == b'>' && self.last == *b"--",
                        State::CData => b == b'>' && self.last == *b"]]",
                        _ => b == b'>' && self.last[1] == b'?',
                    };
                    if self.state == State::CData && !done {
                        self.text(1)?;
                    }
                    self.last = [self.last[1], b];
                    if done {
                        self.state = State::Text;
                    }
                    i += 1;
                }
            }
        }
        Ok(())
    }

    /// Handles a complete tag in `self.tag` (without `<` and `>`).
    fn end_of_tag(&mut self) -> Result<(), Refusal> {
        let tag = std::mem::take(&mut self.tag);
        let result = self.handle_tag(&tag);
        self.tag = tag;
        result
    }

    fn handle_tag(&mut self, tag: &[u8]) -> Result<(), Refusal> {
        let (is_end, body) = match tag.split_first() {
            Some((b'/', rest)) => (true, rest),
            _ => (false, tag),
        };
        let name_len = body
            .iter()
            .position(|&b| b.is_ascii_whitespace() || b == b'/')
            .unwrap_or(body.len());
        let qname = &body[..name_len];
        // quick-xml's local name: everything after the first colon.
        let local = match qname.iter().position(|&b| b == b':') {
            Some(p) => &qname[p + 1..],
            None => qname,
        };
        if is_end {
            if self.kind == PartKind::Worksheet && local == b"c" && !self.capturing() {
                self.cell = None;
            }
            if self.capturing() && self.top() == qname {
                self.pop();
                if !self.capturing() {
                    self.captured_raw = 0;
                    self.captured_text = 0;
                    self.string_index = None;
                }
            }
            return Ok(());
        }
        let self_closing = body.last() == Some(&b'/');
        let attrs = &body[name_len..];
        match (self.kind, local) {
            (PartKind::SharedStrings, b"sst") => {
                if let Some(n) = attr(attrs, b"uniqueCount").and_then(parse_count)
                    && n > self.max_strings
                {
                    return Err(self.too_many(format!("declares {n} shared strings")));
                }
            }
            (PartKind::SharedStrings, b"si") => {
                self.strings += 1;
                if self.strings > self.max_strings {
                    return Err(
                        self.too_many(format!("has more than {} shared strings", self.max_strings))
                    );
                }
            }
            (PartKind::Worksheet, b"c") if !self.capturing() => {
                self.cell = attr(attrs, b"r").and_then(cell_ref);
            }
            _ => {}
        }
        if self_closing || self.kind == PartKind::Other {
            return Ok(());
        }
        if self.capturing() {
            self.push(qname);
        } else if CAPTURED.contains(&local) {
            self.push(qname);
            self.captured_raw = self.markup;
            self.captured_text = 0;
            self.string_index = (self.kind == PartKind::SharedStrings && local == b"si")
                .then(|| self.strings.saturating_sub(1));
            if self.captured_raw > self.max_xml {
                return Err(self.too_big("XML of one value is too long", false));
            }
        }
        Ok(())
    }

    fn too_many(&self, what: String) -> Refusal {
        Refusal::Limit(LimitFailure {
            location: self.part.to_string(),
            what,
            name: "ReadLimits::max_shared_strings",
            limit: self.max_strings,
            unit: "strings",
        })
    }

    fn top(&self) -> &[u8] {
        let n = self.ends.len();
        let start = if n >= 2 { self.ends[n - 2] } else { 0 };
        let end = self.ends.last().copied().unwrap_or(0);
        &self.names[start..end]
    }

    fn push(&mut self, qname: &[u8]) {
        self.names.extend_from_slice(qname);
        self.ends.push(self.names.len());
    }

    fn pop(&mut self) {
        self.ends.pop();
        self.names.truncate(self.ends.last().copied().unwrap_or(0));
    }
}

/// UTF-8 length of what `&name;` stands for: 1 for the predefined entities,
/// the character's length for a character reference, and the raw length
/// (over-counting, which is safe) for anything else.
fn reference_len(name: &[u8]) -> u64 {
    let raw = name.len() as u64 + 2;
    let code = match name {
        b"amp" | b"lt" | b"gt" | b"quot" | b"apos" => return 1,
        [b'#', b'x' | b'X', hex @ ..] => std::str::from_utf8(hex)
            .ok()
            .and_then(|h| u32::from_str_radix(h, 16).ok()),
        [b'#', dec @ ..] => std::str::from_utf8(dec).ok().and_then(|d| d.parse().ok()),
        _ => None,
    };
    code.and_then(char::from_u32)
        .map_or(raw, |c| c.len_utf8() as u64)
}

/// Value of attribute `key` in the attribute part of a tag, if well formed.
fn attr<'t>(attrs: &'t [u8], key: &[u8]) -> Option<&'t [u8]> {
    let mut i = 0;
    let len = attrs.len();
    while i < len {
        while i < len && (attrs[i].is_ascii_whitespace() || attrs[i] == b'/') {
            i += 1;
        }
        let name_start = i;
        while i < len && attrs[i] != b'=' && !attrs[i].is_ascii_whitespace() {
            i += 1;
        }
        let name = &attrs[name_start..i];
        while i < len && attrs[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= len || attrs[i] != b'=' {
            // Not `name=value`: malformed; quick-xml would reject it anyway.
            return None;
        }
        i += 1;
        while i < len && attrs[i].is_ascii_whitespace() {
            i += 1;
        }
        let quote = *attrs.get(i)?;
        if quote != b'"' && quote != b'\'' {
            return None;
        }
        i += 1;
        let value_start = i;
        while i < len && attrs[i] != quote {
            i += 1;
        }
        let value = &attrs[value_start..i.min(len)];
        i += 1;
        if name == key {
            return Some(value);
        }
    }
    None
}

/// A decimal count; saturates instead of overflowing.
fn parse_count(v: &[u8]) -> Option<u64> {
    if v.is_empty() || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(v.iter().fold(0u64, |n, d| {
        n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    }))
}

/// An A1-style reference fit for a message, or `None`.
fn cell_ref(v: &[u8]) -> Option<String> {
    let ok = (2..=12).contains(&v.len()) && v.iter().all(u8::is_ascii_alphanumeric);
    ok.then(|| String::from_utf8_lossy(v).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(kind: PartKind, xml: &str, limits: &ReadLimits) -> Result<(), String> {
        // Feed in small pieces so that every state crosses a chunk boundary.
        for chunk in [1usize, 3, 7, 4096] {
            let mut s = Scanner::new("part.xml", kind, limits);
            for piece in xml.as_bytes().chunks(chunk) {
                s.feed(piece).map_err(|r| match r {
                    Refusal::Limit(f) => f.to_string(),
                    Refusal::Markup(m) => m,
                })?;
            }
        }
        Ok(())
    }

    fn small() -> ReadLimits {
        ReadLimits {
            max_cell_bytes: 5,
            max_shared_strings: 3,
            ..ReadLimits::default()
        }
    }

    #[test]
    fn classify_parts() {
        assert_eq!(
            classify("xl/sharedStrings.xml"),
            Some(PartKind::SharedStrings)
        );
        assert_eq!(
            classify("XL\\SharedStrings.XML"),
            Some(PartKind::SharedStrings)
        );
        assert_eq!(
            classify("xl/worksheets/sheet12.xml"),
            Some(PartKind::Worksheet)
        );
        assert_eq!(
            classify("xl/_rels/workbook.xml.rels"),
            Some(PartKind::Other)
        );
        assert_eq!(classify("xl/styles.xml"), Some(PartKind::Other));
        // Any other XML part may be a sheet the relationships point at: scanned as one.
        assert_eq!(classify("xl/data/s1.xml"), Some(PartKind::Worksheet));
        assert_eq!(classify("customXml/item1.xml"), Some(PartKind::Worksheet));
        assert_eq!(classify("xl/media/image1.png"), None);
    }

    #[test]
    fn shared_string_text_is_counted_decoded() {
        let ok = r#"<?xml version="1.0"?><sst uniqueCount="3"><si><t>abcde</t></si><si><r><t>a</t></r><r><t xml:space="preserve">&amp;&#x4E2D;</t></r></si><si/></sst>"#;
        scan(PartKind::SharedStrings, ok, &small()).unwrap();
        let long = r#"<sst><si><t>abc</t></si><si><r><t>abc</t></r><r><t>def</t></r></si></sst>"#;
        let err = scan(PartKind::SharedStrings, long, &small()).unwrap_err();
        assert!(
            err.starts_with("part.xml, shared string 1: shared string is too long"),
            "{err}"
        );
        assert!(err.contains("ReadLimits::max_cell_bytes"), "{err}");
        // CDATA counts as text; comments and PIs do not.
        let cdata = r#"<sst><si><t><![CDATA[abcdef]]></t></si></sst>"#;
        assert!(scan(PartKind::SharedStrings, cdata, &small()).is_err());
        let comment = r#"<sst><si><!-- a long comment --><t>ab<?pi long?></t></si></sst>"#;
        scan(PartKind::SharedStrings, comment, &small()).unwrap();
    }

    #[test]
    fn shared_string_count_and_declared_count() {
        let four = "<sst><si><t>a</t></si><si/><si><t>c</t></si><si><t>d</t></si></sst>";
        let err = scan(PartKind::SharedStrings, four, &small()).unwrap_err();
        assert!(err.contains("has more than 3 shared strings"), "{err}");
        assert!(
            err.contains("(limit 3 strings, ReadLimits::max_shared_strings)"),
            "{err}"
        );
        let declared = r#"<sst xmlns="x" count="1" uniqueCount="99999999999999999999999"><si><t>a</t></si></sst>"#;
        let err = scan(PartKind::SharedStrings, declared, &small()).unwrap_err();
        assert!(
            err.contains("declares 18446744073709551615 shared strings"),
            "{err}"
        );
    }

    #[test]
    fn structure_games_do_not_reset_the_count() {
        // A stray </si> inside <t> does not end calamine's string, nor ours.
        let game = "<sst><si><t>abc</si>def</t></si></sst>";
        assert!(scan(PartKind::SharedStrings, game, &small()).is_err());
        // Nor does a nested <si>.
        let nested = "<sst><si><t>abc<si/>def</t></si></sst>";
        assert!(scan(PartKind::SharedStrings, nested, &small()).is_err());
    }

    #[test]
    fn worksheet_cells_name_the_cell() {
        let ok = r#"<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>hello</t></is></c></row></sheetData></worksheet>"#;
        scan(PartKind::Worksheet, ok, &small()).unwrap();
        let long = r#"<worksheet><sheetData><row r="2"><c r="C2" t="str"><f>A1</f><v>toolong</v></c></row></sheetData></worksheet>"#;
        let err = scan(PartKind::Worksheet, long, &small()).unwrap_err();
        assert!(
            err.starts_with("part.xml, cell C2: text is too long"),
            "{err}"
        );
    }

    #[test]
    fn raw_bounds_and_doctype() {
        let limits = ReadLimits::default();
        let mut big_tag = String::from("<worksheet a=\"");
        big_tag.push_str(&"x".repeat(1 << 20));
        big_tag.push_str("\">");
        let err = scan(PartKind::Other, &big_tag, &limits).unwrap_err();
        assert!(err.contains("XML tag is too long"), "{err}");
        let big_run = format!("<sst>{}</sst>", " ".repeat((1 << 20) + 1));
        let err = scan(PartKind::SharedStrings, &big_run, &limits).unwrap_err();
        assert!(err.contains("XML text is too long"), "{err}");
        // Many tiny elements inside one <f> are buffered whole by calamine.
        let many = format!("<c r=\"A1\"><f>{}</f></c>", "<x/>".repeat(300_000));
        let err = scan(PartKind::Worksheet, &many, &limits).unwrap_err();
        assert!(
            err.contains("cell A1: XML of one value is too long"),
            "{err}"
        );
        let err = scan(
            PartKind::Other,
            "<!DOCTYPE x [<!ENTITY a 'b'>]><x/>",
            &limits,
        )
        .unwrap_err();
        assert!(err.contains("DOCTYPE"), "{err}");
        // A quoted '>' does not end a tag.
        scan(PartKind::Other, r#"<a b="x>y" c='>'><b/></a>"#, &limits).unwrap();
    }

    #[test]
    fn helpers() {
        assert_eq!(attr(b" a=\"1\" b = '2' /", b"b"), Some(&b"2"[..]));
        assert_eq!(attr(b" a=\"1", b"a"), Some(&b"1"[..]));
        assert_eq!(attr(b" novalue", b"a"), None);
        assert_eq!(parse_count(b"0042"), Some(42));
        assert_eq!(parse_count(b"-1"), None);
        assert_eq!(reference_len(b"#x10FFFF"), 4);
        assert_eq!(reference_len(b"#20013"), 3);
        assert_eq!(reference_len(b"nbsp"), 6);
        assert_eq!(cell_ref(b"AB12").as_deref(), Some("AB12"));
        assert_eq!(cell_ref(b"<script>"), None);
    }
}
