//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};

use arrow_array::{Array, RecordBatch, StringArray};
use pubdata_tables::{ReadOptions, TableError, open};

/// A table as plain rows of optional strings.
pub type Rows = Vec<Vec<Option<String>>>;

pub fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

pub fn opts() -> ReadOptions {
    ReadOptions::default()
}

pub fn batch_rows(batch: &RecordBatch) -> Rows {
    let cols: Vec<&StringArray> = batch
        .columns()
        .iter()
        .map(|c| {
            c.as_any()
                .downcast_ref::<StringArray>()
                .expect("utf8 column")
        })
        .collect();
    (0..batch.num_rows())
        .map(|r| {
            cols.iter()
                .map(|c| (!c.is_null(r)).then(|| c.value(r).to_string()))
                .collect()
        })
        .collect()
}

/// Reads a whole table: column names and all rows.
pub fn read_all(path: &Path, o: &ReadOptions) -> Result<(Vec<String>, Rows), TableError> {
    let reader = open(path, o)?;
    let names = reader
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let mut rows = Vec::new();
    for b in reader {
        rows.extend(batch_rows(&b?));
    }
    Ok((names, rows))
}

pub fn row(vals: &[Option<&str>]) -> Vec<Option<String>> {
    vals.iter().map(|v| v.map(str::to_string)).collect()
}

/// One cell of a hand-built worksheet.
#[derive(Clone, Debug)]
pub enum Cell {
    /// Shared string.
    S(String),
    /// Number as written in the XML.
    N(String),
    /// Boolean.
    B(bool),
    /// Serial date number with a date format applied.
    D(f64),
}

fn col_letters(mut c: usize) -> String {
    let mut s = Vec::new();
    c += 1;
    while c > 0 {
        s.push(b'A' + ((c - 1) % 26) as u8);
        c = (c - 1) / 26;
    }
    s.reverse();
    String::from_utf8(s).unwrap()
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Writes a minimal but valid .xlsx: `sheets` maps a name to rows of
/// optional cells (None = no cell). Rows are placed starting at `first_row`
/// (0-based) so blank leading rows can be tested.
pub fn write_xlsx(path: &Path, sheets: &[(&str, Vec<Vec<Option<Cell>>>)]) {
    write_xlsx_with_shared_strings(path, sheets, None);
}

/// Streams a custom `xl/sharedStrings.xml` into the zip.
pub type SharedStringsWriter<'a> = &'a mut dyn FnMut(&mut dyn Write);

/// Like [`write_xlsx`], but `sst_writer`, when given, writes the shared-strings part
/// instead of the one built from the `Cell::S` values (whose indices the
/// sheet still uses). It writes straight into the deflate stream, so a large
/// but compressible part never needs to be in memory.
pub fn write_xlsx_with_shared_strings(
    path: &Path,
    sheets: &[(&str, Vec<Vec<Option<Cell>>>)],
    sst_writer: Option<SharedStringsWriter<'_>>,
) {
    use zip::write::SimpleFileOptions;
    let file = std::fs::File::create(path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let o = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    let rns = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let mut strings: Vec<String> = Vec::new();
    let mut sheet_xml = Vec::new();
    for (_, rows) in sheets {
        let mut x =
            format!(r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{ns}"><sheetData>"#);
        for (r, cells) in rows.iter().enumerate() {
            if cells.iter().all(Option::is_none) {
                continue;
            }
            x += &format!(r#"<row r="{}">"#, r + 1);
            for (c, cell) in cells.iter().enumerate() {
                let Some(cell) = cell else { continue };
                let rf = format!("{}{}", col_letters(c), r + 1);
                x += &match cell {
                    Cell::S(s) => {
                        strings.push(s.clone());
                        format!(r#"<c r="{rf}" t="s"><v>{}</v></c>"#, strings.len() - 1)
                    }
                    Cell::N(n) => format!(r#"<c r="{rf}"><v>{n}</v></c>"#),
                    Cell::B(b) => format!(r#"<c r="{rf}" t="b"><v>{}</v></c>"#, u8::from(*b)),
                    Cell::D(d) => format!(r#"<c r="{rf}" s="1"><v>{d}</v></c>"#),
                };
            }
            x += "</row>";
        }
        x += "</sheetData></worksheet>";
        sheet_xml.push(x);
    }
    let mut ct = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>"#,
    );
    let mut wb = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{ns}" xmlns:r="{rns}"><sheets>"#
    );
    let mut rels = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
    );
    for (i, (name, _)) in sheets.iter().enumerate() {
        let n = i + 1;
        ct += &format!(
            r#"<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#
        );
        wb += &format!(
            r#"<sheet name="{}" sheetId="{n}" r:id="rId{n}"/>"#,
            esc(name)
        );
        rels += &format!(
            r#"<Relationship Id="rId{n}" Type="{rns}/worksheet" Target="worksheets/sheet{n}.xml"/>"#
        );
    }
    let k = sheets.len() + 1;
    rels += &format!(r#"<Relationship Id="rId{k}" Type="{rns}/styles" Target="styles.xml"/>"#);
    rels += &format!(
        r#"<Relationship Id="rId{}" Type="{rns}/sharedStrings" Target="sharedStrings.xml"/>"#,
        k + 1
    );
    rels += "</Relationships>";
    ct += "</Types>";
    wb += "</sheets></workbook>";
    let mut sst = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{ns}" count="{0}" uniqueCount="{0}">"#,
        strings.len()
    );
    for s in &strings {
        sst += &format!(r#"<si><t xml:space="preserve">{}</t></si>"#, esc(s));
    }
    sst += "</sst>";
    let styles = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{ns}"><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs></styleSheet>"#
    );
    let root_rels = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
    let mut parts: Vec<(String, &str)> = vec![
        ("[Content_Types].xml".into(), &ct),
        ("_rels/.rels".into(), root_rels),
        ("xl/workbook.xml".into(), &wb),
        ("xl/_rels/workbook.xml.rels".into(), &rels),
        ("xl/styles.xml".into(), &styles),
    ];
    if sst_writer.is_none() {
        parts.push(("xl/sharedStrings.xml".into(), &sst));
    }
    for (i, x) in sheet_xml.iter().enumerate() {
        parts.push((format!("xl/worksheets/sheet{}.xml", i + 1), x));
    }
    for (name, body) in parts {
        zip.start_file(name, o).unwrap();
        zip.write_all(body.as_bytes()).unwrap();
    }
    if let Some(w) = sst_writer {
        zip.start_file("xl/sharedStrings.xml", o).unwrap();
        w(&mut zip);
    }
    zip.finish().unwrap();
}

pub fn s(v: &str) -> Option<Cell> {
    Some(Cell::S(v.to_string()))
}

pub fn n(v: &str) -> Option<Cell> {
    Some(Cell::N(v.to_string()))
}
