//! Byte-level helpers shared by the recognizers.

/// Length of the run of ASCII digits starting at `i` (0 past the end).
#[inline]
pub(crate) fn digit_run(b: &[u8], i: usize) -> usize {
    b.get(i..)
        .map_or(0, |s| s.iter().take_while(|c| c.is_ascii_digit()).count())
}

/// True for bytes that continue an ASCII word: a number or code glued to one is not a token.
#[inline]
pub(crate) fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// True when a token may start at `i`: not glued to a preceding word, and not the tail of a
/// dotted or dashed word (`1.2.3.4.5` has no IP starting at `2`).
#[inline]
pub(crate) fn starts_token(b: &[u8], i: usize) -> bool {
    match i.checked_sub(1).map(|p| b[p]) {
        None => true,
        Some(p) if is_word(p) => false,
        Some(b'.' | b'-') => i < 2 || !is_word(b[i - 2]),
        Some(_) => true,
    }
}

/// True when a token may end at `end` (exclusive): the mirror image of [`starts_token`].
#[inline]
pub(crate) fn ends_token(b: &[u8], end: usize) -> bool {
    match b.get(end) {
        None => true,
        Some(&n) if is_word(n) => false,
        Some(b'.' | b'-') => !b.get(end + 1).is_some_and(|&c| c.is_ascii_alphanumeric()),
        Some(_) => true,
    }
}

/// True for CJK unified ideographs (basic block and extension A), the characters of names.
#[inline]
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}')
}

/// A set of CJK characters (U+3400..U+9FFF) as a bitmap: membership is one load, where
/// `str::contains(char)` would scan the whole list on every character of the text.
pub(crate) struct CharSet {
    bits: Box<[u64; CharSet::WORDS]>,
}

impl CharSet {
    const BASE: u32 = 0x3400;
    const WORDS: usize = ((0xA000 - 0x3400) / 64) as usize;

    /// The CJK characters of `chars` (others are ignored: sets hold ideographs only).
    pub(crate) fn new<'a>(chars: impl IntoIterator<Item = &'a str>) -> CharSet {
        let mut bits = Box::new([0u64; CharSet::WORDS]);
        for c in chars.into_iter().flat_map(str::chars) {
            if let Some(i) = Self::index(c) {
                bits[i / 64] |= 1 << (i % 64);
            }
        }
        CharSet { bits }
    }

    #[inline]
    fn index(c: char) -> Option<usize> {
        let i = (c as u32).checked_sub(Self::BASE)? as usize;
        (i < Self::WORDS * 64).then_some(i)
    }

    /// True when `c` is in the set.
    #[inline]
    pub(crate) fn contains(&self, c: char) -> bool {
        Self::index(c).is_some_and(|i| self.bits[i / 64] & (1 << (i % 64)) != 0)
    }
}
