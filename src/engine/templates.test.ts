import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CohortError } from '../core/errors.ts';
import type { AttributeReader } from '../core/filter.ts';
import { MAX_JSON_DEPTH } from '../core/json-limits.ts';
import { RenderBudget, renderJson, renderTemplate } from './templates.ts';

const attrs: Record<string, unknown> = { first_name: 'Ann', plan: 'gold', n: 3, tags: ['a', 'b'], big: 'x'.repeat(1_000) };
const read: AttributeReader = (name) => (name === 'external_id' ? 'u1' : attrs[name]);

/** The recursive renderer this module had before (issue 16): the reference for what rendering means. */
function reference(value: unknown, context: Record<string, unknown> | null): unknown {
  if (typeof value === 'string') return renderTemplate(value, read, context);
  if (Array.isArray(value)) return value.map((v) => reference(v, context));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [renderTemplate(k, read, context), reference(v, context)]));
  return value;
}

/** `{"a":{"a":…"leaf"…}}` nested `depth` objects deep, built as text and parsed (JSON.parse does not recurse). */
const nestedObject = (depth: number, leaf = '"{{external_id}}"'): unknown => JSON.parse('{"a":'.repeat(depth) + leaf + '}'.repeat(depth));
const nestedArray = (depth: number): unknown => JSON.parse('['.repeat(depth) + '"x"' + ']'.repeat(depth));

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return e instanceof CohortError ? e.code : `not a CohortError: ${String(e)}`;
  }
  return 'no error';
}

describe('renderTemplate', () => {
  it('renders external_id, attributes, context keys; unknown names are empty; objects are JSON', () => {
    expect(renderTemplate('/u/{{external_id}}/{{ first_name }}/{{context.offer.code}}/{{nope}}/{{tags}}/{{n}}', read, { offer: { code: 'SPRING' } })).toBe('/u/u1/Ann/SPRING//["a","b"]/3');
  });
  it('stops at the size cap while expanding, not after', () => {
    expect(codeOf(() => renderTemplate('{{big}}'.repeat(2_000), read, null))).toBe('template_too_large');
    expect(codeOf(() => renderTemplate('{{big}}', read, null, new RenderBudget(999)))).toBe('template_too_large');
    expect(renderTemplate('{{big}}', read, null, new RenderBudget(1_000))).toHaveLength(1_000);
  });
  it('refuses a context value nested past the depth cap (no stack overflow)', () => {
    expect(codeOf(() => renderTemplate('{{context.deep}}', read, { deep: nestedArray(100_000) }))).toBe('template_too_deep');
  });
});

describe('renderJson', () => {
  it('renders what the recursive renderer rendered, for any JSON within the caps', () => {
    const strings = fc.oneof(fc.string(), fc.constantFrom('{{external_id}}', '{{first_name}}', 'x{{plan}}y', '{{context.k}}', '{{tags}}', '{{nope}}', '__proto__', ''));
    const json = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, strings, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), tie('array'), tie('object')),
      array: fc.array(tie('value'), { maxLength: 4 }),
      object: fc.dictionary(strings, tie('value'), { maxKeys: 4 }),
    })).value;
    fc.assert(
      fc.property(json, fc.dictionary(fc.string(), fc.string()), (value, context) => {
        expect(JSON.stringify(renderJson(value, read, context))).toBe(JSON.stringify(reference(value, context)));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps a rendered `__proto__` key as a key, not a prototype', () => {
    const out = renderJson(JSON.parse('{"__proto__":{"x":"{{first_name}}"}}'), read, null) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"x":"Ann"}}');
  });

  it(`renders ${MAX_JSON_DEPTH} levels and refuses one more`, () => {
    expect(JSON.stringify(renderJson(nestedObject(MAX_JSON_DEPTH), read, null))).toBe('{"a":'.repeat(MAX_JSON_DEPTH) + '"u1"' + '}'.repeat(MAX_JSON_DEPTH));
    expect(codeOf(() => renderJson(nestedObject(MAX_JSON_DEPTH + 1), read, null))).toBe('template_too_deep');
  });

  it('a body nested 100,000 deep is a clean typed error, not a stack overflow', () => {
    expect(codeOf(() => renderJson(nestedObject(100_000), read, null))).toBe('template_too_deep');
    expect(codeOf(() => renderJson(nestedArray(100_000), read, null))).toBe('template_too_deep');
  });

  it('refuses a body that renders past the size cap, and one that is large by itself', () => {
    expect(codeOf(() => renderJson({ items: Array.from({ length: 2_000 }, () => '{{big}}') }, read, null))).toBe('template_too_large');
    expect(codeOf(() => renderJson(Array.from({ length: 1_100_000 }, () => 0), read, null))).toBe('template_too_large');
    expect(JSON.stringify(renderJson({ items: Array.from({ length: 900 }, () => '{{big}}') }, read, null)).length).toBeGreaterThan(900_000);
  });

  it('shares one budget between the parts of a request', () => {
    const budget = new RenderBudget(2_500);
    renderTemplate('{{big}}', read, null, budget);
    expect(codeOf(() => renderJson(['{{big}}', '{{big}}'], read, null, budget))).toBe('template_too_large');
  });
});
