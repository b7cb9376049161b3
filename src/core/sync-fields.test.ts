import { describe, expect, it } from 'vitest';
import { rowFromHex } from './digest-rows.ts';
import { fieldsMask, fieldsOfMask } from './sync-fields.ts';

const h = (c: string) => c.repeat(64);

describe('sync fields mask', () => {
  it('names the fields sent that the member has a digest of, and reads back', () => {
    const row = rowFromHex({ email: h('a'), gaid: h('b') });
    expect(fieldsOfMask(fieldsMask(['email', 'phone', 'gaid'], row))).toEqual(['email', 'gaid']);
    // A field the step does not send is not "sent", even when the user has it.
    expect(fieldsOfMask(fieldsMask(['phone', 'gaid'], row))).toEqual(['gaid']);
    expect(fieldsMask(['email'], null)).toBe(0);
    expect(fieldsOfMask(0)).toEqual([]);
  });
});
