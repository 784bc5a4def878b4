/**
 * A Bloom filter of strings: "certainly never added" or "maybe added", in a fixed number of
 * bits whatever is added. `customers import` asks it which of a row's identities could belong
 * to some customer; only those are looked up in the store, whose index probes (page reads of
 * three large indexes) cost more than the insert itself.
 */
export class BloomFilter {
  private readonly bits: Int32Array;
  private readonly mask: number;

  /** `bits` is rounded up to a power of two; with 10 bits per string about 1% of misses are answered "maybe". */
  constructor(bits: number) {
    let size = 1 << 10;
    while (size < bits && size < 2 ** 31) size *= 2;
    this.bits = new Int32Array(size / 32);
    this.mask = size - 1;
  }

  add(text: string): void {
    this.probe(text, true);
  }

  /** Adds `text`; false only when it had certainly never been added before (one pass, not mayHave + add). */
  addAndCheck(text: string): boolean {
    return this.probe(text, true);
  }

  /** False only when `text` was never added. */
  mayHave(text: string): boolean {
    return this.probe(text, false);
  }

  // Three positions from two 32-bit FNV-1a-style hashes (h1 + i·h2, Kirsch–Mitzenmacher).
  private probe(text: string, set: boolean): boolean {
    let h1 = 0x811c9dc5;
    let h2 = 0x01000193;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    }
    h2 = (h2 ^ (h2 >>> 15)) | 1;
    let all = true;
    for (let i = 0; i < 3; i++) {
      const bit = (h1 + i * h2) & this.mask;
      const word = bit >>> 5;
      const flag = 1 << (bit & 31);
      if ((this.bits[word]! & flag) === 0) {
        all = false;
        if (set) this.bits[word] = this.bits[word]! | flag;
      }
    }
    return all;
  }
}
