/**
 * A set of hex digests of one length (SHA-256: 32 bytes, MD5: 16), kept as bytes instead of a JavaScript Set
 * of strings. A million-user audience is 2.5 million identifiers: as strings they were ~100 bytes and a heap
 * object each, and adding them was most of the emulator's CPU in the benchmark (issue 5), which runs on the
 * same two cores as the Cohort it measures. Hex is decoded case-insensitively, so `AB…` and `ab…` are one member.
 *
 * The digests sit one after another in fixed blocks that are never moved; an open-addressing index (linear
 * probing, backward-shift deletion) of entry numbers and hashes finds them. Growing copies only the index
 * (8 bytes a slot), not the digests: fresh memory is slow to touch here (a page fault each 4 KB), and a table
 * of whole digests, copied at every doubling, touched about 2.3 times as much of it per member.
 */

/** Per char code (0–255), its hex digit's value, or -1: `0-9`, `a-f` and `A-F` are digits. */
export const HEX_VALUE = new Int8Array(256).fill(-1);
for (let d = 0; d < 16; d++) {
  HEX_VALUE['0123456789abcdef'.charCodeAt(d)] = d;
  HEX_VALUE['0123456789ABCDEF'.charCodeAt(d)] = d;
}

/** Digests per block (the first block grows up to this): 1 MB blocks of SHA-256 digests. */
const BLOCK_SHIFT = 15;
const BLOCK_MASK = (1 << BLOCK_SHIFT) - 1;

export class DigestSet {
  /** Entry e's digest: `words` words from `(e & BLOCK_MASK) × words` in `blocks[e >> BLOCK_SHIFT]`. */
  private readonly blocks: Int32Array[] = [];
  /**
   * The index: per slot, two words side by side (one cache line for both): the entry number + 1, or 0 when
   * empty, and the entry's hash (never 0), which probes and growth compare before any digest.
   */
  private index = new Int32Array(2 * 1024);
  private readonly words: number;
  private readonly scratch: Buffer;
  private readonly scratchWords: Int32Array;
  private count = 0;

  constructor(readonly bytes: number) {
    if (bytes % 4 !== 0 || bytes <= 0) throw new RangeError(`a digest of ${bytes} bytes`);
    this.words = bytes / 4;
    this.scratchWords = new Int32Array(this.words);
    this.scratch = Buffer.from(this.scratchWords.buffer);
  }

  get size(): number {
    return this.count;
  }

  /** Adds a digest (hex of exactly `bytes` × 2 characters, as validated by the caller). True if it was new. */
  add(hex: string): boolean {
    return this.insert(this.decode(hex));
  }

  /** `add` for the hex digits at `at` in `text` (ASCII bytes): no string is made. */
  addAt(text: Uint8Array, at: number): boolean {
    return this.insert(this.decodeAt(text, at));
  }

  has(hex: string): boolean {
    return this.index[2 * this.find(this.decode(hex))] !== 0;
  }

  /** Removes a digest. True if it was a member. */
  delete(hex: string): boolean {
    return this.remove(this.decode(hex));
  }

  /** `delete` for the hex digits at `at` in `text`. */
  deleteAt(text: Uint8Array, at: number): boolean {
    return this.remove(this.decodeAt(text, at));
  }

  /** Iterates the members as lowercase hex. */
  *[Symbol.iterator](): IterableIterator<string> {
    for (let e = 0; e < this.count; e++) {
      const block = this.blocks[e >> BLOCK_SHIFT]!;
      yield Buffer.from(block.buffer, block.byteOffset, block.byteLength).toString('hex', (e & BLOCK_MASK) * this.bytes, ((e & BLOCK_MASK) + 1) * this.bytes);
    }
  }

  /** Inserts the scratch digest, whose hash is `h`. */
  private insert(h: number): boolean {
    if ((this.count + 1) * 4 > this.index.length) this.grow(); // at most half the slots used
    const slot = this.find(h);
    if (this.index[2 * slot] !== 0) return false;
    const e = this.count++;
    this.blockFor(e).set(this.scratchWords, (e & BLOCK_MASK) * this.words);
    this.index[2 * slot] = e + 1;
    this.index[2 * slot + 1] = h;
    return true;
  }

  /** The block that will hold entry `e`, the next one. The first starts small and doubles: most audiences are. */
  private blockFor(e: number): Int32Array {
    const full = (BLOCK_MASK + 1) * this.words;
    const b = e >> BLOCK_SHIFT;
    let block = this.blocks[b];
    if (block === undefined) this.blocks.push((block = new Int32Array(b === 0 ? 1024 * this.words : full)));
    else if ((e & BLOCK_MASK) * this.words === block.length) {
      const grown = new Int32Array(Math.min(full, block.length * 2));
      grown.set(block);
      this.blocks[b] = block = grown;
    }
    return block;
  }

  /** Removes the scratch digest, whose hash is `h`: the last entry moves into its place. */
  private remove(h: number): boolean {
    const slot = this.find(h);
    const entry = this.index[2 * slot]! - 1;
    if (entry < 0) return false;
    this.unlink(slot);
    const last = --this.count;
    if (entry !== last) {
      // The last entry's slot: found by its hash, then by its entry number.
      const mask = this.index.length / 2 - 1;
      let s = this.hashOf(last) & mask;
      while (this.index[2 * s] !== last + 1) s = (s + 1) & mask;
      this.index[2 * s] = entry + 1;
      const from = this.blocks[last >> BLOCK_SHIFT]!;
      const at = (last & BLOCK_MASK) * this.words;
      this.blocks[entry >> BLOCK_SHIFT]!.set(from.subarray(at, at + this.words), (entry & BLOCK_MASK) * this.words);
    }
    if ((last & BLOCK_MASK) === 0) this.blocks.pop();
    return true;
  }

  /** Empties `hole` with a backward shift: later slots of its probe run move up unless their home lies after it. */
  private unlink(hole: number): void {
    const { index } = this;
    const mask = index.length / 2 - 1;
    for (let next = (hole + 1) & mask; index[2 * next] !== 0; next = (next + 1) & mask) {
      const home = index[2 * next + 1]! & mask;
      const stays = hole <= next ? home > hole && home <= next : home > hole || home <= next;
      if (stays) continue;
      index[2 * hole] = index[2 * next]!;
      index[2 * hole + 1] = index[2 * next + 1]!;
      hole = next;
    }
    index[2 * hole] = 0;
    index[2 * hole + 1] = 0;
  }

  /** `decodeAt` for a hex string. */
  private decode(hex: string): number {
    return this.decodeAt(Buffer.from(hex, 'latin1'), 0);
  }

  /** Decodes `bytes` × 2 hex digits of `text` from `at` into the scratch words and returns their hash. */
  private decodeAt(text: Uint8Array, at: number): number {
    const end = at + 2 * this.bytes;
    if (end > text.length) throw new RangeError(`not ${this.bytes * 2} hex characters`);
    for (let i = 0, p = at; p < end; i++, p += 2) {
      const hi = HEX_VALUE[text[p]!]!;
      const lo = HEX_VALUE[text[p + 1]!]!;
      if ((hi | lo) < 0) throw new RangeError(`not ${this.bytes * 2} hex characters`);
      this.scratch[i] = (hi << 4) | lo;
    }
    return hash(this.scratchWords, 0, this.words);
  }

  private hashOf(entry: number): number {
    return hash(this.blocks[entry >> BLOCK_SHIFT]!, (entry & BLOCK_MASK) * this.words, this.words);
  }

  /** The slot holding the scratch digest (hash `h`), or the empty slot where it would go. */
  private find(h: number): number {
    const { index, words, scratchWords } = this;
    const mask = index.length / 2 - 1;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const stored = index[2 * slot]!;
      if (stored === 0) return slot;
      if (index[2 * slot + 1] !== h) continue;
      const e = stored - 1;
      const block = this.blocks[e >> BLOCK_SHIFT]!;
      const base = (e & BLOCK_MASK) * words;
      let i = 0;
      while (i < words && block[base + i] === scratchWords[i]) i++;
      if (i === words) return slot;
    }
  }

  /** Doubles the index; the digests stay where they are. */
  private grow(): void {
    const old = this.index;
    const index = (this.index = new Int32Array(old.length * 2));
    const mask = index.length / 2 - 1;
    for (let s = 0; s < old.length; s += 2) {
      if (old[s] === 0) continue;
      const h = old[s + 1]!;
      let to = h & mask;
      while (index[2 * to] !== 0) to = (to + 1) & mask;
      index[2 * to] = old[s]!;
      index[2 * to + 1] = h;
    }
  }
}

/** Mixes every word (test digests are not always random: `00…01`, `ff…ff`); never 0, which marks an empty slot. */
function hash(words: Int32Array, from: number, count: number): number {
  let h = 0x811c9dc5 | 0;
  for (let i = from; i < from + count; i++) h = Math.imul(h ^ words[i]!, 0x01000193) ^ (h >>> 15);
  return h ^ (h >>> 16) || 1;
}
