//! JSON Lines reading (all columns as nullable Utf8).
//!
//! Values are taken from the raw JSON text (`serde_json::value::RawValue`)
//! rather than a parsed `Value`, so numbers keep their exact digits (no f64
//! rounding of long IDs) and nested objects keep their key order.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::ReadOptions;
use crate::batch::{StringBatchBuilder, string_schema};
use crate::decode::{DecodingReader, map_read_error};
use crate::error::{LimitFailure, TableError, file_label, one_line};

/// A top-level object as (key, raw value) pairs in document order.
struct RawObject<'a>(Vec<(String, &'a RawValue)>);

impl<'de> Deserialize<'de> for RawObject<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawObject<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry::<String, &'de RawValue>()? {
                    out.push(entry);
                }
                Ok(RawObject(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// One parsed line: (key, cell value) in document order.
type Pairs = Vec<(String, Option<String>)>;

/// Removes insignificant whitespace from valid JSON text.
fn compact(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in json.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if !matches!(c, ' ' | '\t' | '\n' | '\r') {
            if c == '"' {
                in_string = true;
            }
            out.push(c);
        }
    }
    out
}

/// Renders one JSON value as the cell string (`None` = null).
fn render(raw: &RawValue) -> Result<Option<String>, serde_json::Error> {
    let text = raw.get().trim();
    Ok(match text.as_bytes().first() {
        Some(b'"') => Some(serde_json::from_str::<String>(text)?),
        Some(b'{' | b'[') => Some(compact(text)),
        _ if text == "null" => None,
        // Numbers and booleans: their JSON text, digits exactly as written.
        _ => Some(text.to_string()),
    })
}

fn kind_of(text: &str) -> &'static str {
    match text.trim_start().as_bytes().first() {
        Some(b'[') => "array",
        Some(b'"') => "string",
        Some(b't' | b'f') => "boolean",
        Some(b'n') => "null",
        _ => "number",
    }
}

/// Streaming JSON Lines source.
pub(crate) struct JsonSource {
    path: PathBuf,
    file: String,
    reader: BufReader<DecodingReader<File>>,
    line: String,
    line_no: u64,
    /// [`crate::ReadLimits::max_line_bytes`].
    max_line: u64,
    schema: SchemaRef,
    index: HashMap<String, usize>,
    builder: StringBatchBuilder,
    batch_size: usize,
    /// Rows read while fixing the schema, emitted as the first batch.
    first: Option<RecordBatch>,
    eof: bool,
    done: bool,
}

impl JsonSource {
    /// Reads the first batch eagerly: its keys define the schema.
    pub(crate) fn open(
        path: &Path,
        file: File,
        opts: &ReadOptions,
    ) -> Result<JsonSource, TableError> {
        let decoder =
            DecodingReader::new(file, opts.encoding).map_err(|e| map_read_error(path, e))?;
        let mut src = JsonSource {
            path: path.to_path_buf(),
            file: file_label(path),
            reader: BufReader::new(decoder),
            line: String::new(),
            line_no: 0,
            max_line: opts.limits.max_line_bytes,
            schema: string_schema(Vec::new()),
            index: HashMap::new(),
            builder: StringBatchBuilder::new(string_schema(Vec::new()), 0),
            batch_size: opts.batch_size,
            first: None,
            eof: false,
            done: false,
        };
        let mut names: Vec<String> = Vec::new();
        let mut rows: Vec<Vec<(usize, Option<String>)>> = Vec::new();
        while rows.len() < src.batch_size {
            let Some(obj) = src.next_object()? else { break };
            let mut row = Vec::with_capacity(obj.len());
            for (key, value) in obj {
                let next = src.index.len();
                let col = *src.index.entry(key.clone()).or_insert_with(|| {
                    names.push(key);
                    next
                });
                row.push((col, value));
            }
            rows.push(row);
        }
        if rows.is_empty() {
            return Err(TableError::Empty {
                file: src.file,
                what: "no JSON objects",
            });
        }
        src.schema = string_schema(names);
        src.builder = StringBatchBuilder::new(src.schema.clone(), src.batch_size);
        let width = src.index.len();
        for row in rows {
            src.builder
                .append_row(spread(width, row).iter().map(Option::as_deref));
        }
        src.first = Some(src.builder.finish(&src.file)?);
        Ok(src)
    }

    pub(crate) fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    pub(crate) fn encoding(&self) -> &'static str {
        self.reader.get_ref().encoding_name()
    }

    pub(crate) fn bytes_read(&self) -> u64 {
        self.reader.get_ref().bytes_read()
    }

    /// Next non-blank line parsed into (key, value) pairs; `None` at EOF.
    fn next_object(&mut self) -> Result<Option<Pairs>, TableError> {
        loop {
            if self.eof {
                return Ok(None);
            }
            if !self.read_line()? {
                self.eof = true;
                return Ok(None);
            }
            if self.line.trim().is_empty() {
                continue;
            }
            return self.parse_line().map(Some);
        }
    }

    /// Reads the next line into `self.line`, buffering at most the line
    /// limit plus a CRLF; `false` at end of input.
    fn read_line(&mut self) -> Result<bool, TableError> {
        let mut buf = std::mem::take(&mut self.line).into_bytes();
        buf.clear();
        let cap = self.max_line.saturating_add(2);
        let n = (&mut self.reader)
            .take(cap)
            .read_until(b'\n', &mut buf)
            .map_err(|e| map_read_error(&self.path, e))?;
        if n == 0 {
            return Ok(false);
        }
        self.line_no += 1;
        let complete = buf.last() == Some(&b'\n');
        let mut content = buf.len() - usize::from(complete);
        if complete && content > 0 && buf[content - 1] == b'\r' {
            content -= 1;
        }
        if content as u64 > self.max_line || (!complete && n as u64 >= cap) {
            return Err(LimitFailure::bytes(
                format!("line {}", self.line_no),
                "line is too long",
                "ReadLimits::max_line_bytes",
                self.max_line,
            )
            .into_error(self.file.clone()));
        }
        // The decoder only ever yields whole UTF-8 characters and a line
        // break never falls inside one, so this cannot fail.
        self.line = String::from_utf8(buf).map_err(|_| TableError::Internal {
            file: self.file.clone(),
            message: format!("line {} is not valid UTF-8 after decoding", self.line_no),
        })?;
        Ok(true)
    }

    fn parse_line(&self) -> Result<Pairs, TableError> {
        let text = self.line.as_str();
        if !text.trim_start().starts_with('{') {
            // Distinguish "not JSON" from "JSON but not an object".
            return Err(match serde_json::from_str::<IgnoredAny>(text) {
                Err(e) => self.json_error(&e),
                Ok(_) => TableError::JsonNotObject {
                    file: self.file.clone(),
                    line: self.line_no,
                    found: kind_of(text),
                },
            });
        }
        let obj: RawObject = serde_json::from_str(text).map_err(|e| self.json_error(&e))?;
        obj.0
            .into_iter()
            .map(|(k, v)| Ok((k, render(v).map_err(|e| self.json_error(&e))?)))
            .collect()
    }

    fn json_error(&self, e: &serde_json::Error) -> TableError {
        let full = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let message = full.strip_suffix(&suffix).unwrap_or(&full);
        TableError::Json {
            file: self.file.clone(),
            line: self.line_no,
            column: e.column(),
            message: one_line(message),
        }
    }

    /// Reads up to one batch. `None` at end of input.
    pub(crate) fn next_batch(&mut self) -> Option<Result<RecordBatch, TableError>> {
        if let Some(first) = self.first.take() {
            return Some(Ok(first));
        }
        if self.done {
            return None;
        }
        let filled = self.fill();
        self.builder.next_batch(filled, &mut self.done, &self.file)
    }

    fn fill(&mut self) -> Result<(), TableError> {
        let width = self.index.len();
        while self.builder.rows() < self.batch_size {
            let Some(obj) = self.next_object()? else {
                break;
            };
            let mut row = Vec::with_capacity(obj.len());
            for (key, value) in obj {
                let Some(&col) = self.index.get(&key) else {
                    return Err(TableError::JsonNewKey {
                        file: self.file.clone(),
                        line: self.line_no,
                        key,
                        batch_size: self.batch_size,
                    });
                };
                row.push((col, value));
            }
            self.builder
                .append_row(spread(width, row).iter().map(Option::as_deref));
        }
        Ok(())
    }
}

/// Places (column, value) pairs into a full-width row; later duplicates of a
/// key win, as in most JSON parsers.
fn spread(width: usize, pairs: Vec<(usize, Option<String>)>) -> Vec<Option<String>> {
    let mut out = vec![None; width];
    for (col, value) in pairs {
        if let Some(slot) = out.get_mut(col) {
            *slot = value;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_keeps_string_whitespace() {
        assert_eq!(
            compact(r#"{ "a b" : [1, 2, "x\" y"] }"#),
            r#"{"a b":[1,2,"x\" y"]}"#
        );
    }

    #[test]
    fn numbers_keep_their_digits() {
        let raw: &RawValue = serde_json::from_str("123456789012345678901234567890").unwrap();
        assert_eq!(
            render(raw).unwrap().as_deref(),
            Some("123456789012345678901234567890")
        );
    }
}
