/**
 * The loop behind the journey worker, the TikTok sender and the leadership check: run `pass` while
 * started; after a pass that did work, yield to the event loop (store calls on SQLite are
 * synchronous and would otherwise starve the API) and go again; after an idle pass, sleep `idleMs`
 * unless `wake()` comes first.
 */
export interface PollLoop {
  start(): void;
  /** Stops after the current pass, then runs `onStop`. */
  stop(): Promise<void>;
  wake(): void;
  /** For readiness: 'ok' while running and its last pass did not throw; otherwise what is wrong. */
  health(): 'ok' | string;
}

export function pollLoop(pass: () => Promise<boolean>, o: { idleMs: number; onError?: (error: unknown) => void; onStop?: () => Promise<void> }): PollLoop {
  let running = false;
  let loop: Promise<void> | null = null;
  let wakeUp: (() => void) | null = null;
  let lastError: string | null = null;

  async function run(): Promise<void> {
    while (running) {
      let worked = false;
      try {
        worked = await pass();
        lastError = null;
      } catch (error) {
        lastError = error instanceof Error ? error.message : String(error);
        o.onError?.(error);
      }
      if (worked) await new Promise<void>((resolve) => setImmediate(resolve));
      else if (running) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, o.idleMs);
          wakeUp = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wakeUp = null;
      }
    }
    await o.onStop?.();
  }

  return {
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    async stop() {
      running = false;
      wakeUp?.();
      await loop;
    },
    wake: () => wakeUp?.(),
    health: () => (!running ? 'stopped' : lastError === null ? 'ok' : `failing: ${lastError}`),
  };
}
