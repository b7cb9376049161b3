/**
 * Runs the sender only in the process that leads for this TikTok app (store.tryLead), so several
 * workers on one PostgreSQL database share one 50-a-second budget. Another worker takes over
 * within a few seconds when the leader dies (its session and advisory lock die with it).
 */
import type { Leadership, Store } from '../store/port.ts';
import type { Sender } from './sender.ts';

export interface SyncRunner {
  start(): void;
  stop(): Promise<void>;
  wake(): void;
  /** True while this process leads and its sender runs. */
  leading(): boolean;
}

export function createSyncRunner(o: { store: Store; appId: string; makeSender: () => Sender; checkMs?: number; onLeadership?: (leading: boolean) => void }): SyncRunner {
  const checkMs = o.checkMs ?? 2_000;
  let running = false;
  let loop: Promise<void> | null = null;
  let sender: Sender | null = null;
  let wakeUp: (() => void) | null = null;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      wakeUp = () => {
        clearTimeout(t);
        resolve();
      };
    });

  async function run(): Promise<void> {
    while (running) {
      const lead: Leadership | null = await o.store.tryLead(`cohort-tiktok-sender:${o.appId}`).catch(() => null);
      if (!lead) {
        await pause(checkMs);
        continue;
      }
      sender = o.makeSender();
      sender.start();
      o.onLeadership?.(true);
      while (running && (await lead.stillHeld())) await pause(checkMs);
      const s = sender;
      sender = null;
      await s.stop();
      await lead.release().catch(() => undefined);
      o.onLeadership?.(false);
    }
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
    wake: () => sender?.wake(),
    leading: () => sender !== null,
  };
}
