#!/usr/bin/env python3
"""Sanity check for the annotated redaction corpus: parse every record, validate spans, print counts per type."""
import re, sys, collections

TYPES = {'person_name','address','cn_resident_id','cn_mobile','cn_landline','email','bank_card','cn_uscc',
         'cn_license_plate','passport','cn_hk_macau_permit','cn_taiwan_permit','ip_address','date_of_birth',
         'postal_code','organization_name','ignore'}
ID_W = [7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2]
USCC_CH = '0123456789ABCDEFGHJKLMNPQRTUWXY'
USCC_W = [1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28]

def id_ok(v):
    v = v.replace(' ', '').upper()
    return len(v) == 18 and '10X98765432'[sum(int(c)*w for c,w in zip(v[:17], ID_W)) % 11] == v[17]

def luhn_ok(v):
    d = [int(c) for c in v if c.isdigit()]
    s = sum(x if i % 2 == 0 else (x*2 - 9 if x*2 > 9 else x*2) for i, x in enumerate(reversed(d)))
    return s % 10 == 0

def uscc_ok(v):
    if len(v) != 18 or any(c not in USCC_CH for c in v): return False
    t = sum(USCC_CH.index(c)*w for c,w in zip(v[:17], USCC_W))
    return USCC_CH[(31 - t % 31) % 31] == v[17]

def parse(rec):
    """Return (plain_text, [(type, value, start, end)]) or raise ValueError."""
    out, spans, i = [], [], 0
    pos = 0
    while i < len(rec):
        if rec.startswith('[[', i):
            j = rec.find(']]', i)
            if j < 0: raise ValueError('unclosed [[')
            inner = rec[i+2:j]
            if '[[' in inner: raise ValueError('nested [[')
            if ':' not in inner: raise ValueError(f'no type in [[{inner}]]')
            t, v = inner.split(':', 1)
            if t not in TYPES: raise ValueError(f'unknown type {t!r}')
            if ':' in v: raise ValueError(f'colon in value {v!r}')
            if not v or v != v.strip(): raise ValueError(f'empty or padded value {v!r}')
            spans.append((t, v, pos, pos + len(v)))
            out.append(v); pos += len(v); i = j + 2
        elif rec.startswith(']]', i):
            raise ValueError('stray ]]')
        else:
            out.append(rec[i]); pos += 1; i += 1
    return ''.join(out), spans

def main(path):
    counts, n, errors = collections.Counter(), 0, 0
    seen = collections.defaultdict(list)
    stats = collections.Counter()
    lengths = []
    for ln, line in enumerate(open(path, encoding='utf-8'), 1):
        line = line.rstrip('\n')
        if not line or line.startswith('#'): continue
        n += 1
        try:
            text, spans = parse(line)
        except ValueError as e:
            print(f'line {ln}: {e}'); errors += 1; continue
        if re.search(r'\{\w+\}', text): print(f'line {ln}: leftover placeholder'); errors += 1
        lengths.append(len(text.replace('\\n', '\n')))
        for t, v, _, _ in spans:
            counts[t] += 1
            if t not in ('person_name', 'organization_name', 'address', 'ignore'):
                seen[(t, v)].append(ln)
            if t == 'cn_resident_id' and len(v.replace(' ', '')) == 18: stats['id_ok' if id_ok(v) else 'id_bad'] += 1
            if t == 'cn_resident_id' and len(v) == 15: stats['id15'] += 1
            if t == 'bank_card': stats['card_ok' if luhn_ok(v) else 'card_bad'] += 1
            if t == 'cn_uscc': stats['uscc_ok' if uscc_ok(v) else 'uscc_bad'] += 1
    for (t, v), lns in seen.items():
        if len(lns) > 1: print(f'duplicate {t} {v!r} on lines {lns}'); errors += 1
    print(f'records: {n}  errors: {errors}  text length min/max: {min(lengths)}/{max(lengths)}')
    for t, c in counts.most_common(): print(f'{t:20s} {c}')
    print('checksums:', dict(stats))
    return errors

if __name__ == '__main__':
    sys.exit(1 if main(sys.argv[1] if len(sys.argv) > 1 else 'dev.txt') else 0)
