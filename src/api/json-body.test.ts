import { describe, expect, it } from 'vitest';
import { ValidationError } from '../core/errors.ts';
import { parseJsonBody } from './json-body.ts';

const parse = (text: string, allowEmpty = false) => parseJsonBody(text, { allowEmpty });
function refusal(text: string): ValidationError {
  try {
    parse(text);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error(`accepted ${text.slice(0, 80)}`);
}

describe('parseJsonBody', () => {
  it('parses JSON, a leading byte order mark, and an empty body only where allowed', () => {
    expect(parse('{"a":[1,"x",null]}')).toEqual({ a: [1, 'x', null] });
    expect(parse('\ufeff{"a":1}')).toEqual({ a: 1 });
    expect(parse('', true)).toBeUndefined();
    expect(refusal('').message).toBe('the body is empty, but its content-type says application/json: send JSON, or no content-type');
    expect(parse('{"constructor":1,"prototype":2,"x":{"constructor":{"name":"ok"}}}')).toEqual({ constructor: 1, prototype: 2, x: { constructor: { name: 'ok' } } });
  });

  it('says where malformed JSON breaks, without quoting the body back', () => {
    const e = refusal('{"secret-ish text": tru');
    expect(e.code).toBe('bad_request');
    expect(e.message).toMatch(/^the body is not valid JSON( \(at character \d+\))?$/);
  });

  it.each([
    ['a __proto__ key', '{"attributes":[{"external_id":"u","__proto__":{"admin":true}}]}', 'attributes.0["__proto__"]'],
    ['an escaped __proto__ key', '{"a":{"\\u005f_proto__":1}}', 'a["__proto__"]'],
    ['constructor.prototype', '{"set":{"constructor":{"prototype":{"polluted":1}}}}', 'set["constructor"]["prototype"]'],
    ['a __proto__ key 100,000 deep', `${'['.repeat(100_000)}{"__proto__":1}${']'.repeat(100_000)}`, '0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.…(99,977 more)….0.0.0.0.0.0.0["__proto__"]'],
  ])('refuses %s, naming its place quoted', (_what, text, where) => {
    const e = refusal(text);
    expect(e.code).toBe('bad_request');
    expect(e.message).toBe(`the body has a key ${where} that is refused: keys named "__proto__", and "prototype" inside "constructor", could reach the server's object prototypes`);
  });
});
