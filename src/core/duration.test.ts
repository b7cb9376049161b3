import { expect, it } from 'vitest';
import { parseDuration } from './duration.ts';

it.each([
  ['250ms', 250],
  ['10s', 10_000],
  ['5m', 300_000],
  ['13h', 46_800_000],
  ['2d', 172_800_000],
  [' 1.5s ', 1_500],
  ['13', null],
  ['13 hours', null],
  ['-1s', null],
  ['', null],
])('parseDuration(%j) = %j', (text, ms) => expect(parseDuration(text)).toBe(ms));
