//! Upper bounds on what the readers accept ([`ReadLimits`]).

/// One KiB.
const KIB: u64 = 1024;
/// One MiB.
const MIB: u64 = 1024 * KIB;
/// One GiB.
const GIB: u64 = 1024 * MIB;

/// Upper bounds on what [`open`](crate::open) and the [`TableReader`](crate::TableReader)
/// accept, against decompression bombs and unbounded cells.
///
/// Every limit is checked before (or while) the data it guards is read into
/// memory, so a hostile file is refused with a
/// [`TableError::LimitExceeded`](crate::TableError::LimitExceeded) instead of
/// exhausting memory. Errors name the file, the position and the limit, never
/// a cell's content. Text lengths are in bytes of UTF-8 (after decoding
/// GB18030 input). [`ReadLimits::unlimited`] switches every check off, for
/// trusted input only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// CSV/TSV: longest field (default 1 MiB). The error names the line and
    /// the 1-based column.
    pub max_field_bytes: u64,
    /// CSV/TSV: longest record, counted as the bytes from the end of the
    /// previous record to the end of this one (quotes, delimiters, line
    /// break and any blank lines before it included; default 16 MiB).
    /// Checked while reading, so an unterminated quote cannot pull the rest
    /// of the file into memory.
    pub max_record_bytes: u64,
    /// JSON Lines: longest line without its line break (default 16 MiB).
    /// Checked while reading: at most this many bytes of a line are ever
    /// buffered.
    pub max_line_bytes: u64,
    /// XLSX: sum of the uncompressed sizes of all parts, from the zip central
    /// directory, checked before anything is decompressed (default 1 GiB).
    /// The zip reader enforces the declared sizes, so a part cannot inflate
    /// past them.
    pub max_workbook_bytes: u64,
    /// XLSX: uncompressed size of the shared-strings part (default 256 MiB).
    /// Unlike the worksheet, which is streamed, the whole shared-strings
    /// table is loaded when the workbook is opened and stays in memory for
    /// the whole read.
    pub max_shared_strings_bytes: u64,
    /// XLSX: number of shared strings (default 5 million). Each costs about
    /// 50 bytes of bookkeeping besides its text, so this bounds a table of
    /// millions of tiny strings; the `uniqueCount` the file declares is
    /// checked too, since it is used to pre-allocate the table.
    pub max_shared_strings: u64,
    /// XLSX: longest cell text, whether a shared string, an inline string or
    /// a formula result (default 128 KiB).
    ///
    /// Excel itself caps a cell at 32,767 UTF-16 code units, which is at most
    /// 98,301 bytes of UTF-8 (3 bytes per BMP character; a surrogate pair
    /// counts twice and is 4 bytes). 128 KiB therefore accepts every cell
    /// Excel can write, with headroom, while a hostile cell costs at most a
    /// fraction of a MiB. Longer cells do not come from Excel, and CSV
    /// (1 MiB per field) is the better format for them. Phonetic guides count towards
    /// the length of their string. The raw XML of one cell or shared string
    /// may be at most 8 times this (at least 1 MiB), which leaves room for
    /// escaping such as `&quot;`.
    pub max_cell_bytes: u64,
    /// Parquet: largest uncompressed row group (its metadata's total byte
    /// size) and largest uncompressed column chunk (default 1 GiB), checked
    /// from the footer before any data page is read. The reader decodes one
    /// row group's pages at a time.
    pub max_row_group_bytes: u64,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            max_field_bytes: MIB,
            max_record_bytes: 16 * MIB,
            max_line_bytes: 16 * MIB,
            max_workbook_bytes: GIB,
            max_shared_strings_bytes: 256 * MIB,
            max_shared_strings: 5_000_000,
            max_cell_bytes: 128 * KIB,
            max_row_group_bytes: GIB,
        }
    }
}

impl ReadLimits {
    /// No limits at all (every field `u64::MAX`). For trusted input only.
    pub fn unlimited() -> Self {
        ReadLimits {
            max_field_bytes: u64::MAX,
            max_record_bytes: u64::MAX,
            max_line_bytes: u64::MAX,
            max_workbook_bytes: u64::MAX,
            max_shared_strings_bytes: u64::MAX,
            max_shared_strings: u64::MAX,
            max_cell_bytes: u64::MAX,
            max_row_group_bytes: u64::MAX,
        }
    }

    /// Bound on the raw XML of one cell or shared string, and on any single
    /// XML text run or tag in the parts the XLSX reader parses: 8 times
    /// [`max_cell_bytes`](Self::max_cell_bytes), at least 1 MiB.
    pub(crate) fn xml_bytes(&self) -> u64 {
        self.max_cell_bytes.saturating_mul(8).max(MIB)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_derived_bounds() {
        let d = ReadLimits::default();
        // Any cell Excel can write fits.
        assert!(d.max_cell_bytes >= 32_767 * 3);
        assert_eq!(d.xml_bytes(), MIB);
        let tiny = ReadLimits {
            max_cell_bytes: 10,
            ..d
        };
        assert_eq!(tiny.xml_bytes(), MIB);
        assert_eq!(ReadLimits::unlimited().xml_bytes(), u64::MAX);
    }
}
