//! Streaming text decoding: any supported encoding in, strict UTF-8 out.
//!
//! Decoding is strict on purpose: replacing a malformed byte with U+FFFD would
//! silently corrupt resident IDs and names, so a malformed sequence becomes an
//! error that names the physical line and byte offset instead.

use std::fmt;
use std::io::{self, Read};
use std::path::Path;

use encoding_rs::{Decoder, DecoderResult, Encoding, GB18030, UTF_8};

use crate::error::{LimitFailure, TableError, file_label};

/// How many leading bytes [`TextEncoding::Auto`] inspects.
pub const SNIFF_LEN: usize = 64 * 1024;

/// Text encoding of CSV/TSV/JSON Lines input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TextEncoding {
    /// UTF-8 (a leading BOM is stripped) unless the first 64 KiB are not valid
    /// UTF-8, in which case GB18030 (a superset of GBK and GB2312).
    #[default]
    Auto,
    /// Strict UTF-8; a leading BOM is stripped.
    Utf8,
    /// Strict GB18030, which also decodes GBK and GB2312 files.
    Gb18030,
}

/// True if `prefix` is valid UTF-8, allowing the last character to be cut off
/// (the prefix is usually a fixed-size window of a larger file).
pub fn sniff_is_utf8(prefix: &[u8]) -> bool {
    match std::str::from_utf8(prefix) {
        Ok(_) => true,
        // `error_len() == None` means "ran out of input mid-character".
        Err(e) => e.error_len().is_none() && prefix.len() - e.valid_up_to() < 4,
    }
}

/// Public name of an encoding as reported by `TableReader::encoding`.
fn display_name(enc: &'static Encoding) -> &'static str {
    if enc == UTF_8 { "UTF-8" } else { "GB18030" }
}

/// Payload of the `io::Error` a [`DecodingReader`] returns, so that callers
/// layered on `Read` (the csv crate, `BufRead::read_line`) can hand the
/// position back to us intact.
#[derive(Debug, Clone)]
pub(crate) struct DecodeFailure {
    line: u64,
    byte: u64,
    encoding: &'static str,
    hint: &'static str,
}

impl fmt::Display for DecodeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, byte {}: invalid {} byte sequence",
            self.line, self.byte, self.encoding
        )
    }
}

impl std::error::Error for DecodeFailure {}

/// Converts an `io::Error` from a reader stack that contains a
/// [`DecodingReader`] into a [`TableError`].
pub(crate) fn map_read_error(path: &Path, err: io::Error) -> TableError {
    if let Some(f) = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<DecodeFailure>())
    {
        return TableError::Decode {
            file: file_label(path),
            line: f.line,
            byte: f.byte,
            encoding: f.encoding,
            hint: f.hint,
        };
    }
    if let Some(f) = err.get_ref().and_then(|e| e.downcast_ref::<LimitFailure>()) {
        return f.clone().into_error(file_label(path));
    }
    TableError::Io {
        file: file_label(path),
        action: "read",
        source: err,
    }
}

/// A `Read` adapter that decodes its input to UTF-8 chunk by chunk.
///
/// Memory is two fixed 64 KiB buffers regardless of file size.
pub(crate) struct DecodingReader<R> {
    inner: R,
    decoder: Decoder,
    encoding: &'static str,
    hint: &'static str,
    inbuf: Box<[u8]>,
    in_start: usize,
    in_end: usize,
    eof: bool,
    outbuf: Box<[u8]>,
    out_start: usize,
    out_end: usize,
    /// Raw input bytes handed to the decoder so far.
    consumed: u64,
    /// Newlines among the consumed bytes. Counting raw 0x0A is exact for both
    /// encodings: neither uses bytes below 0x30 inside multi-byte sequences.
    newlines: u64,
    done: bool,
    failure: Option<DecodeFailure>,
    total_input: u64,
}

impl<R: Read> DecodingReader<R> {
    /// Reads the sniffing prefix, picks the encoding and returns the reader.
    pub(crate) fn new(mut inner: R, encoding: TextEncoding) -> io::Result<Self> {
        let mut inbuf = vec![0u8; SNIFF_LEN].into_boxed_slice();
        let mut filled = 0;
        let mut eof = false;
        while filled < inbuf.len() {
            match inner.read(&mut inbuf[filled..]) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let (enc, hint) = match encoding {
            TextEncoding::Utf8 => (UTF_8, ""),
            TextEncoding::Gb18030 => (GB18030, ""),
            TextEncoding::Auto if sniff_is_utf8(&inbuf[..filled]) => (
                UTF_8,
                " (encoding was auto-detected as UTF-8 from the first 64 KiB; \
                 if the file is GBK, read it with encoding GB18030)",
            ),
            TextEncoding::Auto => (
                GB18030,
                " (encoding was auto-detected as GB18030 because the first 64 KiB \
                 are not valid UTF-8)",
            ),
        };
        Ok(DecodingReader {
            inner,
            decoder: enc.new_decoder_with_bom_removal(),
            encoding: display_name(enc),
            hint,
            inbuf,
            in_start: 0,
            in_end: filled,
            eof,
            // Worst case GB18030 -> UTF-8 growth is 3/2; any size works since
            // the decoder reports OutputFull, but a larger buffer means fewer calls.
            outbuf: vec![0u8; SNIFF_LEN * 2].into_boxed_slice(),
            out_start: 0,
            out_end: 0,
            consumed: 0,
            newlines: 0,
            done: false,
            failure: None,
            total_input: filled as u64,
        })
    }

    /// Name of the encoding in use ("UTF-8" or "GB18030").
    pub(crate) fn encoding_name(&self) -> &'static str {
        self.encoding
    }

    /// True if the underlying input had no bytes at all.
    pub(crate) fn input_is_empty(&self) -> bool {
        self.eof && self.total_input == 0
    }

    /// Raw input bytes read from the underlying reader so far.
    pub(crate) fn bytes_read(&self) -> u64 {
        self.total_input
    }

    fn refill(&mut self) -> io::Result<()> {
        self.in_start = 0;
        self.in_end = 0;
        loop {
            match self.inner.read(&mut self.inbuf) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.in_end = n;
                    self.total_input += n as u64;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    fn account(&mut self, src_consumed: usize) {
        let src = &self.inbuf[self.in_start..self.in_start + src_consumed];
        self.newlines += src.iter().filter(|&&b| b == b'\n').count() as u64;
        self.consumed += src_consumed as u64;
        self.in_start += src_consumed;
    }
}

impl<R: Read> Read for DecodingReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.out_start < self.out_end {
                let n = out.len().min(self.out_end - self.out_start);
                out[..n].copy_from_slice(&self.outbuf[self.out_start..self.out_start + n]);
                self.out_start += n;
                return Ok(n);
            }
            if let Some(f) = &self.failure {
                return Err(io::Error::new(io::ErrorKind::InvalidData, f.clone()));
            }
            if self.done {
                return Ok(0);
            }
            if self.in_start == self.in_end && !self.eof {
                self.refill()?;
                continue;
            }
            let last = self.eof;
            let src = &self.inbuf[self.in_start..self.in_end];
            let (result, read, written) =
                self.decoder
                    .decode_to_utf8_without_replacement(src, &mut self.outbuf, last);
            self.out_start = 0;
            self.out_end = written;
            match result {
                DecoderResult::InputEmpty => {
                    self.account(read);
                    if last {
                        self.done = true;
                    }
                }
                DecoderResult::OutputFull => self.account(read),
                DecoderResult::Malformed(bad, extra) => {
                    // The bad sequence ends `extra` bytes before the read
                    // position and may have begun in an earlier chunk.
                    let bad_end = read.saturating_sub(usize::from(extra));
                    let local_start = bad_end.saturating_sub(usize::from(bad));
                    let before = &src[..local_start];
                    let line =
                        self.newlines + before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
                    let byte = (self.consumed + bad_end as u64).saturating_sub(u64::from(bad));
                    self.failure = Some(DecodeFailure {
                        line,
                        byte,
                        encoding: self.encoding,
                        hint: self.hint,
                    });
                    self.account(read);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(bytes: &[u8], enc: TextEncoding) -> Result<String, String> {
        let mut r = DecodingReader::new(bytes, enc).map_err(|e| e.to_string())?;
        let mut s = String::new();
        r.read_to_string(&mut s).map_err(|e| e.to_string())?;
        Ok(s)
    }

    #[test]
    fn sniff_allows_truncated_trailing_char() {
        let s = "ab中".as_bytes();
        assert!(sniff_is_utf8(s));
        assert!(sniff_is_utf8(&s[..s.len() - 1]));
        assert!(!sniff_is_utf8(b"ab\xff"));
        let (gbk, _, _) = encoding_rs::GBK.encode("张三");
        assert!(!sniff_is_utf8(&gbk));
    }

    #[test]
    fn strips_bom_and_decodes_gbk() {
        assert_eq!(
            decode_all(b"\xEF\xBB\xBFa,b\n", TextEncoding::Auto).unwrap(),
            "a,b\n"
        );
        let (gbk, _, _) = encoding_rs::GBK.encode("姓名\n张三\n");
        assert_eq!(
            decode_all(&gbk, TextEncoding::Auto).unwrap(),
            "姓名\n张三\n"
        );
    }

    #[test]
    fn malformed_reports_line_and_byte() {
        let err = decode_all(b"a\nb\nc\xffd\n", TextEncoding::Utf8).unwrap_err();
        assert!(err.contains("line 3, byte 5"), "{err}");
        // Truncated sequence at end of input is also malformed.
        let err = decode_all(b"ok\n\xe4\xb8", TextEncoding::Utf8).unwrap_err();
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn large_input_crosses_buffers() {
        let line = "张三,北京市朝阳区\n";
        let text: String = std::iter::repeat_n(line, 20_000).collect();
        let (gbk, _, _) = encoding_rs::GBK.encode(&text);
        let mut bad = gbk.to_vec();
        bad.push(0x81); // lone lead byte at EOF
        assert_eq!(decode_all(&gbk, TextEncoding::Gb18030).unwrap(), text);
        let err = decode_all(&bad, TextEncoding::Gb18030).unwrap_err();
        assert!(err.contains("line 20001"), "{err}");
    }
}
