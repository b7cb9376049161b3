/**
 * Runs the sender only in the process that leads for this TikTok app (store.tryLead), so several
 * workers on one PostgreSQL database share one 50-a-second budget. Another worker takes over
 * within a few seconds when the leader dies (its session and advisory lock die with it).
 */
import { pollLoop } from '../core/poll-loop.ts';
import type { Leadership, Store } from '../store/port.ts';
import type { Sender } from './sender.ts';

export interface SyncRunner {
  start(): void;
  stop(): Promise<void>;
  wake(): void;
  /** True while this process leads and its sender runs. */
  leading(): boolean;
  /** 'ok' while the leadership loop runs and its last pass succeeded (GET /readyz); a process that does not lead is ready too. */
  health(): 'ok' | string;
}

export function createSyncRunner(o: { store: Store; appId: string; makeSender: () => Sender; checkMs?: number; onLeadership?: (leading: boolean) => void }): SyncRunner {
  let lead: Leadership | null = null;
  let sender: Sender | null = null;

  async function stepDown(): Promise<void> {
    const [l, s] = [lead, sender];
    lead = null;
    sender = null;
    await s?.stop();
    if (l) {
      await l.release().catch(() => undefined);
      o.onLeadership?.(false);
    }
  }

  // One pass: take the lead if it is free, or check that we still hold it. Never "work": the
  // sender runs its own loop, this one only looks every `checkMs`.
  async function pass(): Promise<boolean> {
    if (!lead) {
      lead = await o.store.tryLead(`cohort-tiktok-sender:${o.appId}`).catch(() => null);
      if (lead) {
        sender = o.makeSender();
        sender.start();
        o.onLeadership?.(true);
      }
    } else if (!(await lead.stillHeld())) {
      await stepDown();
    }
    return false;
  }

  const loop = pollLoop(pass, { idleMs: o.checkMs ?? 2_000, onStop: stepDown });
  return {
    start: () => loop.start(),
    stop: () => loop.stop(),
    wake: () => sender?.wake(),
    leading: () => sender !== null,
    health: () => loop.health(),
  };
}
