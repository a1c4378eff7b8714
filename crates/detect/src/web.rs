//! E-mail and IP addresses.

use crate::util::digit_run;

/// Characters of an unquoted local part (RFC 5322 dot-atom text).
#[inline]
pub(crate) fn is_local_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b".!#$%&'*+/=?^_`{|}~-".contains(&c)
}

/// Characters of a domain name.
#[inline]
pub(crate) fn is_domain_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-' || c == b'.'
}

fn local_ok(l: &[u8]) -> bool {
    (1..=64).contains(&l.len())
        && l.iter().all(|&c| is_local_char(c))
        && l[0] != b'.'
        && l[l.len() - 1] != b'.'
        && !l.windows(2).any(|w| w == b"..")
}

fn domain_ok(d: &[u8]) -> bool {
    if d.len() > 253 || d.is_empty() {
        return false;
    }
    let mut labels = 0;
    let mut last: &[u8] = &[];
    for label in d.split(|&c| c == b'.') {
        let ok = (1..=63).contains(&label.len())
            && label
                .iter()
                .all(|c| c.is_ascii_alphanumeric() || *c == b'-')
            && label[0] != b'-'
            && label[label.len() - 1] != b'-';
        if !ok {
            return false;
        }
        labels += 1;
        last = label;
    }
    labels >= 2 && last.len() >= 2 && last.iter().all(u8::is_ascii_alphabetic)
}

/// True for `local@domain` in the practical subset: dot-atom local part, at least two domain
/// labels and an alphabetic top-level domain of two or more letters (no quoted or IP forms).
pub(crate) fn is_email(v: &[u8]) -> bool {
    let Some(at) = v.iter().position(|&c| c == b'@') else {
        return false;
    };
    local_ok(&v[..at]) && domain_ok(&v[at + 1..])
}

/// Given the byte offset of an `@` in text, the e-mail address around it, as (start, end).
/// The local part is taken back to the first non-local character and stripped of leading
/// dots; the domain forward, stripped of trailing dots and dashes (sentence punctuation).
pub(crate) fn email_around(b: &[u8], at: usize) -> Option<(usize, usize)> {
    let mut start = at;
    while start > 0 && is_local_char(b[start - 1]) && at - start < 64 {
        start -= 1;
    }
    let glued_left = start > 0 && is_local_char(b[start - 1]);
    while start < at && b[start] == b'.' {
        start += 1;
    }
    let mut end = at + 1;
    while end < b.len() && is_domain_char(b[end]) && end - at <= 253 {
        end += 1;
    }
    let glued = glued_left || b.get(end).is_some_and(|&c| is_domain_char(c));
    while end > at + 1 && matches!(b[end - 1], b'.' | b'-') {
        end -= 1;
    }
    (!glued && is_email(&b[start..end])).then_some((start, end))
}

/// A dotted-quad IPv4 address at `i`: four octets 0-255 without leading zeros.
pub(crate) fn ipv4_at(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    for k in 0..4 {
        if k > 0 {
            if b.get(j) != Some(&b'.') {
                return None;
            }
            j += 1;
        }
        let n = digit_run(b, j);
        if n == 0 || n > 3 || (n > 1 && b[j] == b'0') {
            return None;
        }
        if crate::checks::digits_value(&b[j..j + n])? > 255 {
            return None;
        }
        j += n;
    }
    Some(j)
}

/// An IPv6 address at `i`: the longest run of hex digits, colons and dots that std parses,
/// with at least two colons (so times like `10:30` never qualify).
pub(crate) fn ipv6_at(s: &str, i: usize) -> Option<usize> {
    let b = s.as_bytes();
    let mut end = i;
    while end < b.len()
        && end - i < 45
        && (b[end].is_ascii_hexdigit() || b[end] == b':' || b[end] == b'.')
    {
        end += 1;
    }
    let ok = |e: usize| {
        let cand = &s[i..e];
        cand.bytes().filter(|&c| c == b':').count() >= 2
            && cand.parse::<std::net::Ipv6Addr>().is_ok()
    };
    if ok(end) {
        return Some(end);
    }
    // Sentence punctuation (`2001:db8::1.`) may have been swallowed.
    let trimmed = i + s[i..end].trim_end_matches(['.', ':']).len();
    if trimmed < end && ok(trimmed) {
        return Some(trimmed);
    }
    None
}

/// True when the whole value is an IPv4 or IPv6 address.
pub(crate) fn is_ip(v: &str) -> bool {
    ipv4_at(v.as_bytes(), 0) == Some(v.len())
        || (v.contains(':') && v.parse::<std::net::Ipv6Addr>().is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        for ok in [
            "zhang.wei@example.com",
            "a+b@mail.zju.edu.cn",
            "x_1@163.com",
            "O'Neil@ex-ample.org",
        ] {
            assert!(is_email(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "zhang@localhost",
            "a..b@x.com",
            ".a@x.com",
            "a@x.c",
            "a@x.c0m",
            "a@-x.com",
            "@x.com",
            "a@",
            "a b@x.com",
            "a@@x.com",
            "a@x..com",
        ] {
            assert!(!is_email(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn emails_in_text() {
        let t = "邮箱：zhang.wei@example.com。";
        let at = t.find('@').expect("@");
        let (s, e) = email_around(t.as_bytes(), at).expect("found");
        assert_eq!(&t[s..e], "zhang.wei@example.com");
        let t = "see .x@y.org. now";
        let at = t.find('@').expect("@");
        let (s, e) = email_around(t.as_bytes(), at).expect("found");
        assert_eq!(&t[s..e], "x@y.org");
    }

    #[test]
    fn ips() {
        for ok in [
            "192.168.1.1",
            "0.0.0.0",
            "255.255.255.255",
            "2001:db8::1",
            "::1",
            "fe80::1:2:3:4",
        ] {
            assert!(is_ip(ok), "{ok}");
        }
        for bad in [
            "256.1.1.1",
            "01.2.3.4",
            "1.2.3",
            "1.2.3.4.5",
            "10:30",
            "1.2.3.4 ",
            "00:1A:2B:3C:4D:5E",
        ] {
            assert!(!is_ip(bad), "{bad}");
        }
        let t = "from 2001:db8::1, at 10:30:00";
        assert_eq!(ipv6_at(t, 5), Some(16));
        assert_eq!(ipv6_at(t, 22), None);
    }
}
