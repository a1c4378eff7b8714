import re, sys, collections
TYPES = {'person_name','address','cn_resident_id','cn_mobile','cn_landline','email','bank_card','cn_uscc','cn_license_plate','passport',
         'cn_hk_macau_permit','cn_taiwan_permit','ip_address','date_of_birth','postal_code','organization_name','ignore'}
SPAN = re.compile(r'\[\[([^\[\]]*?)\]\]')
path = sys.argv[1] if len(sys.argv) > 1 else '/work/main/eval/redaction/test.txt'
counts = collections.Counter(); nrec = 0; errors = []; seen = collections.defaultdict(list); lens = []; nopii = 0; warns = []
for ln, line in enumerate(open(path, encoding='utf-8'), 1):
    line = line.rstrip('\n')
    if line.startswith('#') or not line.strip(): continue
    nrec += 1
    if '\r' in line or '\t' in line: errors.append((ln, 'control char'))
    spans = SPAN.findall(line)
    rest = SPAN.sub('', line)
    if '[[' in rest or ']]' in rest: errors.append((ln, 'unbalanced brackets'))
    plain = SPAN.sub(lambda m: m.group(1).split(':', 1)[1] if ':' in m.group(1) else '', line)
    lens.append(len(plain))
    if not (10 <= len(plain) <= 300): errors.append((ln, 'length %d' % len(plain)))
    real = 0
    for sp in spans:
        if ':' not in sp: errors.append((ln, 'no type: ' + sp)); continue
        t, v = sp.split(':', 1)
        if t not in TYPES: errors.append((ln, 'unknown type ' + t))
        if ':' in v or '[' in v or ']' in v: errors.append((ln, 'bad char in value ' + v))
        if not v.strip() or v != v.strip(): errors.append((ln, 'empty/padded value %r' % v))
        counts[t] += 1
        if t != 'ignore':
            real += 1
            if t not in ('person_name', 'organization_name', 'address', 'postal_code'): seen[(t, v)].append(ln)
        # value repeated unmarked elsewhere in the same record?
        if t in ('person_name', 'organization_name', 'ignore') and len(v) >= 2 and v in rest:
            warns.append((ln, 'unmarked repeat of %s %s' % (t, v)))
    if real == 0: nopii += 1
    for m in re.finditer(r'[\u4e00-\u9fff]某+|[\u4e00-\u9fff][×X]{1,2}(?![A-Za-z0-9])|\d{3}\*{4}\d{4}', rest): warns.append((ln, 'unmarked anonymised form ' + m.group(0)))
for k, lns in seen.items():
    if len(lns) > 1: errors.append((lns, 'reused value %s %s' % k))
for e in errors: print('ERROR', e)
for w in warns: print('WARN', w)
print('records:', nrec, ' without PII spans:', nopii, ' plain length min/max/mean: %d/%d/%.0f' % (min(lens), max(lens), sum(lens)/len(lens)))
for t in sorted(TYPES, key=lambda t: -counts[t]): print('%-20s %d' % (t, counts[t]))
