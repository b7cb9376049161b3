import { describe, expect, it } from 'vitest';
import { identifierObjects, identifierRowsText, keepIdentifierRows, type IdentifierValues } from './identifier-rows.ts';

const people: IdentifierValues[] = [
  { email: 'a@example.com', phone: null, idfa: null, gaid: null, country: 'FR' },
  { email: null, phone: '+14155550100', idfa: 'IDFA', gaid: null, country: null },
  { email: 'quote"and\\backslash@example.com', phone: null, idfa: null, gaid: 'g', country: null },
  { email: null, phone: null, idfa: null, gaid: null, country: null },
];

describe('identifier rows text', () => {
  it('round-trips profiles in order, nulls included', () => {
    expect(identifierObjects(identifierRowsText(people))).toEqual(people);
    expect(JSON.parse(identifierRowsText(people.slice(0, 1)))).toEqual([['a@example.com', null, null, null, 'FR']]);
  });

  it('keeps the rows of the ids kept, in order, and hands back the text itself when all are kept', () => {
    const chunk = { ids: [3, 8, 9, 15], rows: identifierRowsText(people) };
    expect(keepIdentifierRows(chunk, [3, 8, 9, 15])).toBe(chunk.rows);
    expect(identifierObjects(keepIdentifierRows(chunk, [8, 15]))).toEqual([people[1], people[3]]);
    expect(identifierObjects(keepIdentifierRows(chunk, [3]))).toEqual([people[0]]);
    expect(identifierObjects(keepIdentifierRows(chunk, []))).toEqual([]);
  });
});
