/**
 * The dashboard's bundle stays small (issue 17: under 1 MB gzipped): every file `cohort serve` sends
 * from web/dist, compressed as a browser would receive it. A size, not a timing: it does not vary by machine.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const DIST = resolve(import.meta.dirname, '../../web/dist');
const LIMIT = 1024 * 1024;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

const built = existsSync(join(DIST, 'index.html'));

describe.skipIf(!built && !process.env.CI)(`web bundle${built ? '' : ' (skipped: web/dist is not built; run npm run build:web)'}`, () => {
  it('is under 1 MB gzipped in all, with no source maps and nothing fetched from elsewhere', () => {
    const all = files(DIST);
    const gzipped = all.reduce((sum, path) => sum + gzipSync(readFileSync(path), { level: 9 }).length, 0);
    expect(gzipped).toBeLessThan(LIMIT);
    expect(all.filter((p) => p.endsWith('.map'))).toEqual([]);
    // No CDN, no external font or script: nothing in the page or the code loads from another origin.
    const index = readFileSync(join(DIST, 'index.html'), 'utf8');
    expect(index).not.toMatch(/(src|href)="(https?:)?\/\//);
    for (const css of all.filter((p) => p.endsWith('.css'))) expect(readFileSync(css, 'utf8')).not.toMatch(/url\((['"]?)(https?:)?\/\//);
  });
});
