/** The benchmark's child processes: `cohort` commands run exactly as a user runs them. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/cohort', import.meta.url));

export interface Child {
  process: ChildProcess;
  /** Resolves with the first stdout match of `pattern` (earlier output included). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Like waitFor, but only in what the process prints from now on. */
  waitForNext(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** The process's peak resident memory so far (Linux VmHWM), in MB. */
  peakRssMb(): number;
  stop(): Promise<void>;
}

/** `COHORT_BENCH_PROFILE_DIR=dir`: every long-running child writes a V8 CPU profile there (DEVELOPERS.md). */
function nodeFlags(env: Record<string, string | undefined>): string[] {
  const dir = env.COHORT_BENCH_PROFILE_DIR;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
}

export function startCohortProcess(args: readonly string[], env: Record<string, string | undefined>): Child {
  const child = spawn(process.execPath, [...nodeFlags(env), BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const listeners = new Set<() => void>();
  let printed = 0;
  child.stdout!.setEncoding('utf8').on('data', (c: string) => {
    printed += c.length;
    out += c;
    if (out.length > 1_000_000) out = out.slice(-500_000);
    for (const l of listeners) l();
  });
  child.stderr!.resume();
  const waitIn = (text: () => string, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const m = text().match(pattern);
        if (m) {
          listeners.delete(check);
          clearTimeout(timer);
          resolve(m);
        }
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`cohort ${args[0]}: no output matching ${pattern} within ${timeoutMs} ms`));
      }, timeoutMs);
      listeners.add(check);
      check();
    });
  return {
    process: child,
    waitFor(pattern, timeoutMs = 60_000) {
      return waitIn(() => out, pattern, timeoutMs);
    },
    waitForNext(pattern, timeoutMs = 60_000) {
      // The buffer may be trimmed meanwhile: remember how much was printed, not where it stood.
      const before = printed;
      return waitIn(() => out.slice(Math.max(0, out.length - (printed - before))), pattern, timeoutMs);
    },
    peakRssMb() {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        return m ? Math.round(Number(m[1]) / 1024) : NaN;
      } catch {
        return NaN;
      }
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export async function runCohortOnce(args: readonly string[], env: Record<string, string | undefined>): Promise<string> {
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  if (code !== 0) throw new Error(`cohort ${args.join(' ')} exited with ${code}`);
  return out;
}
