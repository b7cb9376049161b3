import fc from 'fast-check';
import { Metadata, getCountries, getCountryCallingCode, getExampleNumber, parsePhoneNumberFromString } from 'libphonenumber-js';
import examples from 'libphonenumber-js/mobile/examples';
import { describe, expect, it } from 'vitest';
import {
  IDENTIFIER_FIELDS,
  hashIdentifier,
  hashProfileIdentifiers,
  normaliseDeviceId,
  normaliseEmail,
  normaliseIdentifier,
  normalisePhone,
  sha256Hex,
  type IdentifierField,
  type Normalised,
  type PhoneContext,
} from './identifiers.ts';

const ok = (value: string, prehashed = false): Normalised => ({ ok: true, value, prehashed });
const no = (reason: string) => ({ ok: false, reason });
const HEX64 = /^[0-9a-f]{64}$/;
// A 64-hex value in upper case; taken as a hash, lowercased and never hashed again.
const UPPER_HASH = '584C4423C421DF49955759498A71495ABA49B8780EB9387DFF333B6F0982C777';

describe('known-answer vectors (reference tiktok-marketing-api.md §4.5)', () => {
  // Exact bytes → SHA-256, as listed in §4.5 (computed there with sha256sum).
  it.each([
    ['testing@testing.com', '584c4423c421df49955759498a71495aba49b8780eb9387dff333b6f0982c777'],
    ['1234567890', 'c775e7b757ede630cd0aa1113bd102661ab38829ca52a6422ab782862f268646'],
    ['4242', '0315b4020af3eccab7706679580ac87a710d82970733b8719e70af9b57e7b9e6'],
    ['+1 (555) 555-5555', 'e5aaca26e304714083dccf6d2dbc16466e9cde94ca54feefa3dca412e2eeb74e'],
    ['+15555555555', '910a625c4ba147b544e6bd2f267e130ae14c591b6ba9c25cb8573322dedbebd0'],
    ['15555555555', '009875cdd7e8a0abe6dc0444d693ff435599e9c68793dac5bc277066d4bc0dc3'],
    ['+129988776655', '31e78a3bf9ce2b43316f64fe883a531d6266938091e94e2f2480272481163dee'],
  ])('sha256Hex(%j) = %s', (text, hash) => expect(sha256Hex(text)).toBe(hash));

  it.each<[IdentifierField, unknown, PhoneContext | undefined, string]>([
    ['email', 'testing@testing.com', undefined, '584c4423c421df49955759498a71495aba49b8780eb9387dff333b6f0982c777'],
    ['email', ' \tTESTING@Testing.COM \n', undefined, '584c4423c421df49955759498a71495aba49b8780eb9387dff333b6f0982c777'],
    ['email', 'scroogemcduck@disney.com', undefined, '77bc071241f37b4736df28c0c1cb0a99163d1050696134325b99246b2183d408'],
    ['email', 'alex@email.com', undefined, 'ac0f1baec38a9ef3cfcb56db981df7d9bab2568c7f53ef3776d1c059ec58e72b'],
    ['email', 'amy@abc.com', undefined, '49eaeca26c878f268ad33af8cfa8194ca5b8b8e448b1c775bf9153a2de734579'],
    ['email', 'van@abc.com', undefined, '2048acfa84a01121060ca2fc8a673a76d427176dc37224d4408c21973bd90e5c'],
    // We hash E.164, so Segment's raw-string vector e5aaca… must NOT come out; 910a… (§4.5, "ours") must.
    ['phone', '+1 (555) 555-5555', undefined, '910a625c4ba147b544e6bd2f267e130ae14c591b6ba9c25cb8573322dedbebd0'],
    ['phone', '+15555555555', undefined, '910a625c4ba147b544e6bd2f267e130ae14c591b6ba9c25cb8573322dedbebd0'],
    ['phone', '15555555555', { country: 'US' }, '910a625c4ba147b544e6bd2f267e130ae14c591b6ba9c25cb8573322dedbebd0'],
    ['phone', 15555555555, { country: 'US' }, '910a625c4ba147b544e6bd2f267e130ae14c591b6ba9c25cb8573322dedbebd0'],
    // printf %s '+14155552671' | sha256sum
    ['phone', '(415) 555-2671', { country: 'US' }, 'cb6880e416769253645cb9c6b8989154bf66a56a77fc14c81fb1019663cbb928'],
    ['idfa', '4242', undefined, '0315b4020af3eccab7706679580ac87a710d82970733b8719e70af9b57e7b9e6'],
    ['gaid', ' 4242\t', undefined, '0315b4020af3eccab7706679580ac87a710d82970733b8719e70af9b57e7b9e6'],
  ])('hashIdentifier(%s, %j, %j) = %s', (field, raw, ctx, hash) => {
    expect(hashIdentifier(field, raw, ctx)).toEqual({ ok: true, hash });
  });

  it('does not strip dots or +tags: Test.User+tag@Testing.com is not Segment’s hash', () => {
    const h = hashIdentifier('email', 'Test.User+tag@Testing.com');
    // printf %s 'test.user+tag@testing.com' | sha256sum
    expect(h).toEqual({ ok: true, hash: '4742a7637e284b861f7abcaa7b0421d4c7052f93cb9cfc77500d57d2025b6fca' });
    expect(h).not.toEqual({ ok: true, hash: '2458778dc6906a947a016ee3bef93b57099bb130945b8f717f7d8794beb69bca' });
  });

  it('+129988776655 (RudderStack fixture) is not a possible number: 11 national digits under +1', () => {
    expect(hashIdentifier('phone', '+129988776655')).toEqual(no('invalid_phone'));
  });
});

describe('normaliseEmail', () => {
  it.each<[unknown, Normalised | ReturnType<typeof no>]>([
    ['a@b.co', ok('a@b.co')],
    ['  Alex@Email.COM\t', ok('alex@email.com')],
    ['\u00a0first.last+news@sub.example.org\n', ok('first.last+news@sub.example.org')],
    ['ÉLODIE@exemple.fr', ok('élodie@exemple.fr')],
    [UPPER_HASH, ok(UPPER_HASH.toLowerCase(), true)],
    [` ${UPPER_HASH}\t`, ok(UPPER_HASH.toLowerCase(), true)],
    [null, no('missing')],
    [undefined, no('missing')],
    ['', no('missing')],
    [' \t ', no('missing')],
    ['alex.email.com', no('invalid_email')],
    ['a@b@c.com', no('invalid_email')],
    ['a@localhost', no('invalid_email')],
    ['@b.com', no('invalid_email')],
    ['a@.com', no('invalid_email')],
    ['a@com.', no('invalid_email')],
    ['a@b..com', no('invalid_email')],
    ['a b@c.com', no('invalid_email')],
    ['a@b c.com', no('invalid_email')],
    ['a@b.com\tx', no('invalid_email')],
    [UPPER_HASH.slice(1), no('invalid_email')], // 63 hex: not a hash, and not an address either
    [42, no('invalid_email')],
    [true, no('invalid_email')],
    [{ email: 'a@b.co' }, no('invalid_email')],
    [['a@b.co'], no('invalid_email')],
  ])('normaliseEmail(%j) -> %j', (raw, expected) => expect(normaliseEmail(raw)).toEqual(expected));
});

describe('normalisePhone', () => {
  it.each<[unknown, PhoneContext | undefined, Normalised | ReturnType<typeof no>]>([
    ['+1 (555) 555-5555', undefined, ok('+15555555555')],
    ['  +15555555555\t', undefined, ok('+15555555555')],
    ['+1\t555\t555\t5555', undefined, ok('+15555555555')], // libphonenumber alone rejects tabs
    ['+1 555/555.5555', undefined, ok('+15555555555')],
    ['(415) 555-2671', { country: 'US' }, ok('+14155552671')],
    ['415.555.2671', { country: null, defaultCountry: 'US' }, ok('+14155552671')],
    ['020 7946 0958', { country: 'GB' }, ok('+442079460958')],
    ['020 7946 0958', { country: 'gb' }, ok('+442079460958')],
    ['020 7946 0958', { country: ' gb ' }, ok('+442079460958')],
    ['020 7946 0958', { country: 'GB', defaultCountry: 'US' }, ok('+442079460958')], // profile wins
    ['020 7946 0958', { country: 'XX', defaultCountry: 'GB' }, ok('+442079460958')], // unknown → absent
    ['020 7946 0958', { country: 'UK', defaultCountry: 'GB' }, ok('+442079460958')],
    ['06 12 34 56 78', { country: 'FR' }, ok('+33612345678')],
    ['030/12345678', { country: 'DE' }, ok('+493012345678')],
    // `00` international prefix, with or without a country, also split by spaces/dashes
    ['0044 20 7946 0958', undefined, ok('+442079460958')],
    ['00 44 20 7946 0958', { country: 'US' }, ok('+442079460958')],
    ['00-44-20-7946-0958', undefined, ok('+442079460958')],
    ['0044\t20 7946 0958', { country: 'FR' }, ok('+442079460958')],
    ['011 44 20 7946 0958', { country: 'US' }, ok('+442079460958')], // the country's own IDD prefix
    // `+` numbers ignore the country
    ['+44 20 7946 0958', { country: 'US' }, ok('+442079460958')],
    ['+44 (0) 20 7946 0958', undefined, ok('+442079460958')],
    ['+33 6 12 34 56 78', { country: 'DE', defaultCountry: 'US' }, ok('+33612345678')],
    [14155552671, { country: 'US' }, ok('+14155552671')],
    // no country information
    ['(415) 555-2671', undefined, no('phone_without_country')],
    ['(415) 555-2671', { country: 'XX', defaultCountry: 'ZZ' }, no('phone_without_country')],
    ['(415) 555-2671', { country: '', defaultCountry: null }, no('phone_without_country')],
    [4155552671, undefined, no('phone_without_country')],
    // garbage, letters, too short, too long
    ['call me', { country: 'US' }, no('invalid_phone')],
    ['555-CALL-NOW', { country: 'US' }, no('invalid_phone')],
    ['+1 555 555 5555 ext. 12', undefined, no('invalid_phone')],
    ['+1 555 555 5555 x12', undefined, no('invalid_phone')],
    ['(+44) 20 7946 0958', undefined, no('invalid_phone')],
    ['+', undefined, no('invalid_phone')],
    ['()-', { country: 'US' }, no('invalid_phone')],
    ['12', { country: 'US' }, no('invalid_phone')],
    ['555-2671', { country: 'US' }, no('invalid_phone')],
    ['+1555', undefined, no('invalid_phone')],
    ['+1 555 555 55555', undefined, no('invalid_phone')],
    ['+999 1234567', undefined, no('invalid_phone')], // unassigned calling code
    ['+0123456789', undefined, no('invalid_phone')],
    ['00', undefined, no('invalid_phone')],
    // ambiguous: libphonenumber strips a trunk `0` from its own output again (+358000000 → +35800000)
    ['+3580000000', undefined, no('invalid_phone')],
    [`+1${'5'.repeat(300)}`, undefined, no('invalid_phone')],
    // 64 hex passes through before parsing; 63/65 hex are not phone numbers
    [UPPER_HASH, undefined, ok(UPPER_HASH.toLowerCase(), true)],
    [UPPER_HASH.slice(1), { country: 'US' }, no('invalid_phone')],
    [`${UPPER_HASH}A`, { country: 'US' }, no('invalid_phone')],
    // non-strings
    [null, { country: 'US' }, no('missing')],
    [undefined, undefined, no('missing')],
    ['', { country: 'US' }, no('missing')],
    ['   ', { country: 'US' }, no('missing')],
    [-4155552671, { country: 'US' }, no('invalid_phone')],
    [4155552671.5, { country: 'US' }, no('invalid_phone')],
    [Number.NaN, { country: 'US' }, no('invalid_phone')],
    [true, { country: 'US' }, no('invalid_phone')],
    [['+15555555555'], undefined, no('invalid_phone')],
  ])('normalisePhone(%j, %j) -> %j', (raw, ctx, expected) => expect(normalisePhone(raw, ctx)).toEqual(expected));
});

describe('every country’s example number, in the spellings people type', () => {
  // libphonenumber's own example mobile number per country: national (read in the country),
  // international, with a `00` prefix, and international with an unrelated country in context.
  it.each(getCountries())('%s', (country) => {
    const ex = getExampleNumber(country, examples)!;
    const other = country === 'US' ? 'GB' : 'US';
    expect(normalisePhone(ex.formatNational(), { country })).toEqual(ok(ex.number));
    expect(normalisePhone(ex.formatInternational())).toEqual(ok(ex.number));
    expect(normalisePhone(ex.number.replace('+', '00'))).toEqual(ok(ex.number));
    expect(normalisePhone(ex.formatInternational(), { country: other })).toEqual(ok(ex.number));
  });
});

describe('normaliseDeviceId', () => {
  it.each<[unknown, Normalised | ReturnType<typeof no>]>([
    ['4242', ok('4242')],
    [' 6D92078A-8246-4BA4-AE5B-76104861E7DC \t', ok('6d92078a-8246-4ba4-ae5b-76104861e7dc')],
    ['38400000-8cf0-11bd-b23e-10b96e40000d', ok('38400000-8cf0-11bd-b23e-10b96e40000d')],
    [UPPER_HASH, ok(UPPER_HASH.toLowerCase(), true)],
    [UPPER_HASH.slice(1), ok(UPPER_HASH.slice(1).toLowerCase())], // 63 hex: hashed normally
    [`${UPPER_HASH}A`, ok(`${UPPER_HASH}A`.toLowerCase())], // 65 hex: hashed normally
    ['00000000-0000-0000-0000-000000000000', no('invalid_device_id')],
    [' 00000000-0000-0000-0000-000000000000\n', no('invalid_device_id')],
    ['00000000000000000000000000000000', no('invalid_device_id')],
    [null, no('missing')],
    ['', no('missing')],
    [' ', no('missing')],
    [4242, no('invalid_device_id')],
    [{}, no('invalid_device_id')],
  ])('normaliseDeviceId(%j) -> %j', (raw, expected) => expect(normaliseDeviceId(raw)).toEqual(expected));
});

describe('64-hex passthrough in every field', () => {
  it.each(IDENTIFIER_FIELDS)('%s: an upper-case SHA-256 is lowercased, not hashed again', (field) => {
    expect(normaliseIdentifier(field, ` ${UPPER_HASH} `)).toEqual(ok(UPPER_HASH.toLowerCase(), true));
    expect(hashIdentifier(field, UPPER_HASH)).toEqual({ ok: true, hash: UPPER_HASH.toLowerCase() });
  });
  it.each<[IdentifierField, string, unknown]>([
    ['email', UPPER_HASH.slice(1), no('invalid_email')],
    ['phone', UPPER_HASH.slice(1), no('invalid_phone')],
    ['idfa', UPPER_HASH.slice(1), { ok: true, hash: sha256Hex(UPPER_HASH.slice(1).toLowerCase()) }],
    ['gaid', `${UPPER_HASH}0`, { ok: true, hash: sha256Hex(`${UPPER_HASH}0`.toLowerCase()) }],
  ])('%s: %s (not 64 chars) is treated as a raw value', (field, raw, expected) => {
    expect(hashIdentifier(field, raw, { country: 'US' })).toEqual(expected);
  });
});

describe('hashProfileIdentifiers', () => {
  const h = (text: string) => sha256Hex(text);
  it.each<[string, Record<string, unknown>, IdentifierField[], string | null | undefined, object]>([
    ['all four usable', { email: 'A@B.co', phone: '+15555555555', idfa: '4242', gaid: 'AbC' }, ['email', 'phone', 'idfa', 'gaid'], undefined,
      { hashes: { email: h('a@b.co'), phone: h('+15555555555'), idfa: h('4242'), gaid: h('abc') }, unusable: {} }],
    ['a mix: missing, invalid, not selected', { email: 'nope', phone: '020 7946 0958', country: 'GB', gaid: '00000000-0000-0000-0000-000000000000', idfa: '4242' },
      ['email', 'phone', 'gaid'], undefined,
      { hashes: { phone: h('+442079460958') }, unusable: { email: 'invalid_email', gaid: 'invalid_device_id' } }],
    ['a selected field the profile lacks is reported missing', { idfa: '4242' }, ['email', 'idfa'], 'US',
      { hashes: { idfa: h('4242') }, unusable: { email: 'missing' } }],
    ['phone falls back to the workspace default country', { phone: '(415) 555-2671', country: null }, ['phone'], 'us',
      { hashes: { phone: h('+14155552671') }, unusable: {} }],
    ['an unknown profile country falls back too', { phone: '(415) 555-2671', country: 'Narnia' }, ['phone'], 'US',
      { hashes: { phone: h('+14155552671') }, unusable: {} }],
    ['no country anywhere', { phone: '(415) 555-2671', country: 7 }, ['phone'], null,
      { hashes: {}, unusable: { phone: 'phone_without_country' } }],
    ['pre-hashed values pass through', { email: UPPER_HASH }, ['email'], undefined,
      { hashes: { email: UPPER_HASH.toLowerCase() }, unusable: {} }],
    ['nothing selected', { email: 'a@b.co' }, [], undefined, { hashes: {}, unusable: {} }],
  ])('%s', (_name, profile, fields, defaultCountry, expected) => {
    expect(hashProfileIdentifiers(profile, fields, defaultCountry)).toEqual(expected);
  });
});

// libphonenumber on its own, as the reference the phone results are compared with.
const library = (text: string) => {
  const p = parsePhoneNumberFromString(text, { extract: false });
  return p?.isPossible() ? ok(p.number) : no('invalid_phone');
};

// ---- property tests ----

const ws = fc.stringMatching(/^[ \t\n\u00a0]{0,3}$/);
const padded = (a: fc.Arbitrary<string>) => fc.tuple(ws, a, ws).map(([l, s, r]) => l + s + r);
const emails = padded(fc.mixedCase(fc.emailAddress()));
const callingCodes = [...new Set(getCountries().map((c) => getCountryCallingCode(c)))];
const e164 = fc.tuple(fc.constantFrom(...callingCodes), fc.stringMatching(/^\d{4,13}$/)).map(([cc, d]) => `+${cc}${d}`);
// Inserts formatting characters between digits: the result must not change.
const formatted = (s: string, seps: string[]) => [...s].map((ch, i) => ch + (seps[i % seps.length] ?? '')).join('');
const formattedE164 = fc.tuple(e164, fc.array(fc.constantFrom('', ' ', '-', '.', ' (', ') '), { minLength: 1 })).map(([s, seps]) => `+${formatted(s.slice(1), seps)}`);
const nationalPhones = fc.tuple(fc.constantFrom(...getCountries()), fc.stringMatching(/^0?\d{5,12}$/));
const deviceIds = padded(fc.oneof(fc.mixedCase(fc.uuid()), fc.stringMatching(/^[0-9a-zA-Z-]{1,40}$/), fc.string()));
const anyText = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.stringMatching(/^[0-9a-fA-F]{64}$/));

describe('properties', () => {
  const idempotent = (f: (x: string) => Normalised) => (x: string) => {
    const first = f(x);
    if (first.ok) expect(f(first.value)).toEqual(first);
  };

  it('email normalisation is idempotent', () => {
    fc.assert(fc.property(fc.oneof(emails, anyText), idempotent(normaliseEmail)), { numRuns: 500 });
  });
  it('device-id normalisation is idempotent', () => {
    fc.assert(fc.property(fc.oneof(deviceIds, anyText), idempotent(normaliseDeviceId)), { numRuns: 500 });
  });
  it('phone normalisation is idempotent, and its output needs no country', () => {
    fc.assert(fc.property(fc.oneof(padded(e164), formattedE164, anyText), idempotent((x) => normalisePhone(x))), { numRuns: 1000 });
    fc.assert(
      fc.property(nationalPhones, ([country, digits]) => {
        const first = normalisePhone(digits, { country });
        if (first.ok) expect(normalisePhone(first.value)).toEqual(first);
      }),
      { numRuns: 1000 },
    );
  });
  it('formatting characters never change the phone result, and libphonenumber agrees', () => {
    fc.assert(
      fc.property(e164, fc.array(fc.constantFrom(' ', '-', '.', ' (', ') ', '/'), { minLength: 1 }), (s, seps) => {
        const spelled = `+${formatted(s.slice(1), seps)}`;
        const ours = normalisePhone(spelled);
        expect(ours).toEqual(normalisePhone(s));
        if (ours.ok) expect(library(spelled)).toEqual(ours);
      }),
      { numRuns: 1000 },
    );
  });

  it('every ok hash is 64 lowercase hex characters', () => {
    const inputs = fc.tuple(fc.constantFrom(...IDENTIFIER_FIELDS), fc.oneof(emails, padded(e164), deviceIds, anyText));
    fc.assert(
      fc.property(inputs, ([field, raw]) => {
        const h = hashIdentifier(field, raw, { defaultCountry: 'US' });
        if (h.ok) expect(h.hash).toMatch(HEX64);
      }),
      { numRuns: 1000 },
    );
  });

  it('no input ever throws', () => {
    const ctx = fc.oneof(fc.constant(undefined), fc.record({ country: fc.anything(), defaultCountry: fc.anything() }), fc.anything());
    fc.assert(
      fc.property(fc.constantFrom(...IDENTIFIER_FIELDS), fc.oneof(fc.anything(), fc.string(), anyText), ctx, (field, raw, c) => {
        normaliseIdentifier(field, raw, c as PhoneContext);
        hashIdentifier(field, raw, c as PhoneContext);
      }),
      { numRuns: 2000 },
    );
    const profile = fc.record({ email: fc.anything(), phone: fc.oneof(fc.anything(), fc.string()), idfa: fc.anything(), gaid: fc.anything(), country: fc.anything() }, { requiredKeys: [] });
    fc.assert(
      fc.property(profile, fc.subarray([...IDENTIFIER_FIELDS]), fc.option(fc.string()), (p, fields, dc) => {
        const { hashes, unusable } = hashProfileIdentifiers(p, fields, dc);
        expect(Object.keys(hashes).length + Object.keys(unusable).length).toBe(fields.length);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('the +1 fast path is exactly the library path', () => {
  it('rests on: every NANP country allows 10-digit national numbers', () => {
    const nanp = getCountries().filter((c) => getCountryCallingCode(c) === '1');
    expect(nanp.length).toBeGreaterThan(20);
    const m = new Metadata();
    for (const c of nanp) {
      m.selectNumberingPlan(c);
      expect(m.numberingPlan?.possibleLengths(), c).toContain(10);
    }
  });
  it('matches libphonenumber for every area code 200-999', () => {
    for (let area = 200; area <= 999; area++) {
      for (const rest of ['0000000', '5550123', '9999999']) {
        const text = `+1${area}${rest}`;
        expect(normalisePhone(text), text).toEqual(library(text));
      }
    }
  });
  it('matches libphonenumber, and the formatted (slow-path) spelling, on random canonical +1 numbers', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\+1[2-9]\d{9}$/), (text) => {
        const fast = normalisePhone(text);
        expect(fast).toEqual(ok(text));
        expect(fast).toEqual(library(text));
        const spelled = `+1 (${text.slice(2, 5)}) ${text.slice(5, 8)}-${text.slice(8)}`;
        expect(normalisePhone(spelled)).toEqual(fast);
        expect(library(spelled)).toEqual(fast);
        expect(normalisePhone(spelled.slice(3), { country: 'US' })).toEqual(fast); // national spelling
        expect(normalisePhone(`1${text.slice(2)}`, { country: 'CA' })).toEqual(fast); // trunk prefix 1
      }),
      { numRuns: 2000 },
    );
  });
});
