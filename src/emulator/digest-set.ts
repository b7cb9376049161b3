/**
 * A set of hex digests of one length (SHA-256: 32 bytes, MD5: 16), kept as bytes in one open-addressing
 * table (linear probing, backward-shift deletion) instead of a JavaScript Set of strings. A million-user
 * audience is 2.5 million identifiers: as strings they were ~100 bytes and a heap object each, and adding
 * them was most of the emulator's CPU in the benchmark (issue 5), which runs on the same two cores as the
 * Cohort it measures. Hex is decoded case-insensitively, so `AB…` and `ab…` are one member.
 */
export class DigestSet {
  /** Slots of `words` 32-bit words each. */
  private table: Int32Array;
  private full: Uint8Array;
  private readonly words: number;
  private readonly scratch: Buffer;
  private readonly scratchWords: Int32Array;
  private count = 0;

  constructor(readonly bytes: number) {
    if (bytes % 4 !== 0 || bytes <= 0) throw new RangeError(`a digest of ${bytes} bytes`);
    this.words = bytes / 4;
    this.scratchWords = new Int32Array(this.words);
    this.scratch = Buffer.from(this.scratchWords.buffer);
    this.table = new Int32Array(1024 * this.words);
    this.full = new Uint8Array(1024);
  }

  get size(): number {
    return this.count;
  }

  /** Adds a digest (hex of exactly `bytes` × 2 characters, as validated by the caller). True if it was new. */
  add(hex: string): boolean {
    this.decode(hex);
    if ((this.count + 1) * 2 > this.full.length) this.grow();
    const slot = this.find();
    if (this.full[slot]) return false;
    this.table.set(this.scratchWords, slot * this.words);
    this.full[slot] = 1;
    this.count++;
    return true;
  }

  has(hex: string): boolean {
    this.decode(hex);
    return this.full[this.find()] === 1;
  }

  /** Removes a digest. True if it was a member. */
  delete(hex: string): boolean {
    this.decode(hex);
    let hole = this.find();
    if (!this.full[hole]) return false;
    // Backward shift: move later entries of the probe run into the hole when their home allows it.
    const mask = this.full.length - 1;
    for (let next = (hole + 1) & mask; this.full[next]; next = (next + 1) & mask) {
      const home = this.homeOf(next);
      const between = hole <= next ? home > hole && home <= next : home > hole || home <= next;
      if (between) continue;
      this.table.copyWithin(hole * this.words, next * this.words, (next + 1) * this.words);
      hole = next;
    }
    this.full[hole] = 0;
    this.count--;
    return true;
  }

  *[Symbol.iterator](): IterableIterator<string> {
    const bytes = Buffer.from(this.table.buffer, this.table.byteOffset, this.table.byteLength);
    for (let slot = 0; slot < this.full.length; slot++) if (this.full[slot]) yield bytes.toString('hex', slot * this.bytes, (slot + 1) * this.bytes);
  }

  private decode(hex: string): void {
    if (this.scratch.write(hex, 0, this.bytes, 'hex') !== this.bytes) throw new RangeError(`not ${this.bytes * 2} hex characters`);
  }

  /** The slot holding the scratch digest, or the empty slot where it would go. */
  private find(): number {
    const mask = this.full.length - 1;
    const w = this.words;
    const key = this.scratchWords;
    for (let slot = hash(key) & mask; ; slot = (slot + 1) & mask) {
      if (!this.full[slot]) return slot;
      const base = slot * w;
      let same = true;
      for (let i = 0; i < w; i++) {
        if (this.table[base + i] !== key[i]) {
          same = false;
          break;
        }
      }
      if (same) return slot;
    }
  }

  private homeOf(slot: number): number {
    return hash(this.table.subarray(slot * this.words, (slot + 1) * this.words)) & (this.full.length - 1);
  }

  private grow(): void {
    const { table, full, words } = this;
    this.table = new Int32Array(full.length * 2 * words);
    this.full = new Uint8Array(full.length * 2);
    const mask = this.full.length - 1;
    for (let slot = 0; slot < full.length; slot++) {
      if (!full[slot]) continue;
      const entry = table.subarray(slot * words, (slot + 1) * words);
      let to = hash(entry) & mask;
      while (this.full[to]) to = (to + 1) & mask;
      this.table.set(entry, to * words);
      this.full[to] = 1;
    }
  }
}

/** Mixes every word: test digests are not always random (`00…01`, `ff…ff`), real ones are. */
function hash(words: Int32Array): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i]!, 0x01000193) ^ (h >>> 15);
  return (h ^ (h >>> 16)) >>> 0;
}
