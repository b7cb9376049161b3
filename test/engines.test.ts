/**
 * Cohort runs on Node 20.19+ and 22.12+ (package.json `engines`; spec Guidance: Node 20). Every installed
 * package must say it does too (issue 16 finding 9: content-disposition 3, under @fastify/static, and
 * cookie 2, under @fastify/cookie, declare Node ≥ 22; `overrides` pin versions of the same API that run on
 * 20). What the production tree needs must admit both lower bounds; dev tools need only admit Node 20.19
 * (ESLint 10 wants 22.13+ on Node 22, which concerns contributors, not deployments).
 */
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// semver (a dev dependency here; fastify uses it too) is npm's own reading of `engines`.
const semver = createRequire(import.meta.url)('semver') as { satisfies(version: string, range: string, o?: { includePrerelease?: boolean }): boolean };

const ROOT = resolve(import.meta.dirname, '..');
const NODE_MODULES = realpathSync(join(ROOT, 'node_modules'));

interface Manifest {
  name?: string;
  version?: string;
  engines?: { node?: string };
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}
const read = (dir: string): Manifest => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;

/** Every package folder under `dir`'s node_modules, nested ones included. */
function installed(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.name.startsWith('@')) installed(path, out);
    else if (existsSync(join(path, 'package.json'))) {
      out.push(path);
      installed(join(path, 'node_modules'), out);
    }
  }
  return out;
}

/** Node's lookup: `name` in the node_modules of `from` or of a folder above it, up to the project's. */
function locate(name: string, from: string): string | null {
  for (let dir = from; dir.startsWith(dirname(NODE_MODULES)); dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === dirname(dir)) break;
  }
  return null;
}

/** The packages `npm ci --omit=dev` would install: the dependencies of dependencies of package.json's. */
function productionTree(): string[] {
  const seen = new Set<string>();
  const queue: [string, string][] = Object.keys(read(ROOT).dependencies ?? {}).map((name) => [name, dirname(NODE_MODULES)]);
  while (queue.length > 0) {
    const [name, from] = queue.shift()!;
    const dir = locate(name, from);
    if (dir === null || seen.has(dir)) continue; // an optional dependency of another platform is absent
    seen.add(dir);
    const m = read(dir);
    for (const dep of Object.keys({ ...m.dependencies, ...m.optionalDependencies })) queue.push([dep, dir]);
  }
  return [...seen];
}

const refusing = (dirs: readonly string[], node: string): string[] =>
  dirs
    .map((dir) => ({ dir, m: read(dir) }))
    .filter(({ m }) => m.engines?.node !== undefined && !semver.satisfies(node, m.engines.node, { includePrerelease: true }))
    .map(({ dir, m }) => `${m.name}@${m.version} (${dir.slice(NODE_MODULES.length + 1)}) wants node ${m.engines!.node}`);

describe('engines', () => {
  it('Cohort itself says Node 20.19+ or 22.12+', () => {
    const range = read(ROOT).engines!.node!;
    for (const ok of ['20.19.0', '20.20.2', '22.12.0', '24.0.0']) expect(semver.satisfies(ok, range), ok).toBe(true);
    for (const no of ['20.18.3', '21.7.0', '22.11.0']) expect(semver.satisfies(no, range), no).toBe(false);
  });

  it('every production package runs on Node 20.19.0 and 22.12.0', () => {
    const tree = productionTree();
    expect(tree.length).toBeGreaterThan(50);
    expect(tree.some((dir) => dir.endsWith(join('@fastify', 'static')))).toBe(true);
    for (const node of ['20.19.0', '22.12.0']) expect(refusing(tree, node), `on Node ${node}`).toEqual([]);
  });

  it('every installed package, dev tools included, runs on Node 20.19.0', () => {
    expect(refusing(installed(NODE_MODULES), '20.19.0')).toEqual([]);
  });
});
