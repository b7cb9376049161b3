/** Runs `./bin/cohort` as a child process, as a user would from the repository root. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = fileURLToPath(new URL('../../bin/cohort', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The environment without any COHORT_* or TIKTOK_* setting of the developer's shell. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('COHORT_') && !k.startsWith('TIKTOK_')));
  return { ...env, ...extra };
}

export function startCohort(args: readonly string[], env: NodeJS.ProcessEnv = cleanEnv()): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
}

export function runCohort(args: readonly string[], env?: NodeJS.ProcessEnv): Promise<CliResult> {
  const child = startCohort(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Everything a child printed on stdout so far, so that successive waits also see earlier lines. */
const printed = new WeakMap<ChildProcess, { text: string; listeners: Set<() => void> }>();
function stdoutOf(child: ChildProcess): { text: string; listeners: Set<() => void> } {
  let out = printed.get(child);
  if (!out) {
    const state = { text: '', listeners: new Set<() => void>() };
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      state.text += chunk;
      for (const l of state.listeners) l();
    });
    printed.set(child, state);
    out = state;
  }
  return out;
}

/** Resolves with the first stdout match of `pattern` (earlier output included), or rejects when the process ends first. */
export function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
  const out = stdoutOf(child);
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = out.text.match(pattern);
      if (!match) return false;
      done();
      resolve(match);
      return true;
    };
    const onExit = (code: number | null) => {
      done();
      reject(new Error(`exited with ${code} before a line matching ${pattern}; stdout:\n${out.text}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; stdout so far:\n${out.text}`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      out.listeners.delete(listener);
      child.off('exit', onExit);
    };
    const listener = () => void check();
    if (check()) return;
    out.listeners.add(listener);
    child.on('exit', onExit);
  });
}

export const exitOf = (child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> =>
  new Promise((resolve) => (child.exitCode !== null ? resolve({ code: child.exitCode, signal: null }) : child.on('exit', (code, signal) => resolve({ code, signal }))));

