/**
 * Timestamps in a sliding 1-second window. The contract (spec §6) is "at most 50 mapping requests in any
 * sliding 1-second window per app_id", so this is an exact log of timestamps, not a token bucket: a bucket
 * lets a burst of 50 follow a full second of 50 and would let 100 through a window that straddles them.
 */
export const WINDOW_MS = 1_000;

export class SlidingWindow {
  private times: number[] = [];
  private head = 0;

  /** Forgets timestamps ≤ t − 1000, i.e. keeps those in the window (t − 1000, t]; returns how many remain. */
  countAt(t: number): number {
    const times = this.times;
    let head = this.head;
    while (head < times.length && times[head]! <= t - WINDOW_MS) head++;
    // Compact now and then so a long run does not keep every timestamp ever seen.
    if (head > 1024 && head * 2 > times.length) {
      this.times = times.slice(head);
      head = 0;
    }
    this.head = head;
    return this.times.length - head;
  }

  push(t: number): void {
    this.times.push(t);
  }
}

/** One window per key (an app_id); `tryAdmit` pushes only when the window holds fewer than `limit`. */
export class KeyedWindows {
  private readonly windows = new Map<string, SlidingWindow>();

  private of(key: string): SlidingWindow {
    let w = this.windows.get(key);
    if (!w) {
      w = new SlidingWindow();
      this.windows.set(key, w);
    }
    return w;
  }

  /** Admits the event at t if fewer than `limit` were admitted in the window; a refused event is not recorded. */
  tryAdmit(key: string, t: number, limit: number): boolean {
    const w = this.of(key);
    if (w.countAt(t) >= limit) return false;
    w.push(t);
    return true;
  }

  /** Records the event unconditionally and returns the window's size including it. */
  record(key: string, t: number): number {
    const w = this.of(key);
    w.push(t);
    return w.countAt(t);
  }

  clear(): void {
    this.windows.clear();
  }
}
