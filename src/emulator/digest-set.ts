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
  /** Per slot, its digest's hash (never 0), or 0 when the slot is empty: probes and growth read only this. */
  private hashes: Int32Array;
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
    this.hashes = new Int32Array(1024);
  }

  get size(): number {
    return this.count;
  }

  /** Adds a digest (hex of exactly `bytes` × 2 characters, as validated by the caller). True if it was new. */
  add(hex: string): boolean {
    const h = this.decode(hex);
    if ((this.count + 1) * 2 > this.hashes.length) this.grow();
    const slot = this.find(h);
    if (this.hashes[slot] !== 0) return false;
    const base = slot * this.words;
    for (let i = 0; i < this.words; i++) this.table[base + i] = this.scratchWords[i]!;
    this.hashes[slot] = h;
    this.count++;
    return true;
  }

  has(hex: string): boolean {
    return this.hashes[this.find(this.decode(hex))] !== 0;
  }

  /** Removes a digest. True if it was a member. */
  delete(hex: string): boolean {
    let hole = this.find(this.decode(hex));
    if (this.hashes[hole] === 0) return false;
    // Backward shift: move later entries of the probe run into the hole unless their home lies after it.
    const mask = this.hashes.length - 1;
    for (let next = (hole + 1) & mask; this.hashes[next] !== 0; next = (next + 1) & mask) {
      const home = this.hashes[next]! & mask;
      const stays = hole <= next ? home > hole && home <= next : home > hole || home <= next;
      if (stays) continue;
      this.table.copyWithin(hole * this.words, next * this.words, (next + 1) * this.words);
      this.hashes[hole] = this.hashes[next]!;
      hole = next;
    }
    this.hashes[hole] = 0;
    this.count--;
    return true;
  }

  *[Symbol.iterator](): IterableIterator<string> {
    const bytes = Buffer.from(this.table.buffer, this.table.byteOffset, this.table.byteLength);
    for (let slot = 0; slot < this.hashes.length; slot++) if (this.hashes[slot] !== 0) yield bytes.toString('hex', slot * this.bytes, (slot + 1) * this.bytes);
  }

  /** Decodes into the scratch words and returns their hash. */
  private decode(hex: string): number {
    if (this.scratch.write(hex, 0, this.bytes, 'hex') !== this.bytes) throw new RangeError(`not ${this.bytes * 2} hex characters`);
    return hash(this.scratchWords, 0, this.words);
  }

  /** The slot holding the scratch digest (hash `h`), or the empty slot where it would go. */
  private find(h: number): number {
    const mask = this.hashes.length - 1;
    const w = this.words;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const stored = this.hashes[slot]!;
      if (stored === 0) return slot;
      if (stored !== h) continue;
      const base = slot * w;
      let i = 0;
      while (i < w && this.table[base + i] === this.scratchWords[i]) i++;
      if (i === w) return slot;
    }
  }

  private grow(): void {
    const { table, hashes, words } = this;
    this.table = new Int32Array(hashes.length * 2 * words);
    this.hashes = new Int32Array(hashes.length * 2);
    const mask = this.hashes.length - 1;
    // By the stored hashes, word by word: a million-member audience grows through every size.
    for (let slot = 0; slot < hashes.length; slot++) {
      const h = hashes[slot]!;
      if (h === 0) continue;
      let to = h & mask;
      while (this.hashes[to] !== 0) to = (to + 1) & mask;
      for (let i = 0, from = slot * words, base = to * words; i < words; i++) this.table[base + i] = table[from + i]!;
      this.hashes[to] = h;
    }
  }
}

/** Mixes every word (test digests are not always random: `00…01`, `ff…ff`); never 0, which marks an empty slot. */
function hash(words: Int32Array, from: number, count: number): number {
  let h = 0x811c9dc5 | 0;
  for (let i = from; i < from + count; i++) h = Math.imul(h ^ words[i]!, 0x01000193) ^ (h >>> 15);
  return h ^ (h >>> 16) || 1;
}
