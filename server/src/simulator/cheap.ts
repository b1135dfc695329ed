/**
 * Blocks served by the C library (malloc/calloc/realloc, and pymalloc's fall-back for requests of 0
 * or more than the threshold): tracked one slot per live block, not laid out in memory.
 *
 * A handle is -(slot + 1). Released slots are reused last-in first-out, which is also what glibc's
 * tcache does for same-sized chunks; nothing here depends on that beyond handle reuse.
 */

export class CHeap {
  size = new Float64Array(64);
  tag = new Uint8Array(64);
  site = new Int32Array(64);
  /** Slots ever handed out; slots at or above this index were never allocated. */
  used = 0;
  private freeSlots = new Int32Array(64);
  private nFree = 0;
  liveBlocks = 0;
  liveBytes = 0;

  alloc(nbytes: number, tag: number, site: number): number {
    let slot: number;
    if (this.nFree > 0) slot = this.freeSlots[--this.nFree];
    else {
      if (this.used === this.size.length) this.grow();
      slot = this.used++;
    }
    this.size[slot] = nbytes;
    this.tag[slot] = tag;
    this.site[slot] = site;
    this.liveBlocks++;
    this.liveBytes += nbytes;
    return -(slot + 1);
  }

  /** Whether handle h (negative) is a live C block. */
  isLive(h: number): boolean {
    const slot = -h - 1;
    return slot < this.used && this.tag[slot] !== 0;
  }

  /** Whether handle h was handed out at some point (live or released). */
  wasAllocated(h: number): boolean {
    return -h - 1 < this.used;
  }

  tagOf(h: number): number {
    return this.tag[-h - 1];
  }

  siteOf(h: number): number {
    return this.site[-h - 1];
  }

  sizeOf(h: number): number {
    return this.size[-h - 1];
  }

  resize(h: number, nbytes: number, tag: number, site: number): void {
    const slot = -h - 1;
    this.liveBytes += nbytes - this.size[slot];
    this.size[slot] = nbytes;
    this.tag[slot] = tag;
    this.site[slot] = site;
  }

  free(h: number): void {
    const slot = -h - 1;
    this.tag[slot] = 0;
    this.liveBlocks--;
    this.liveBytes -= this.size[slot];
    if (this.nFree === this.freeSlots.length) {
      const b = new Int32Array(this.freeSlots.length * 2);
      b.set(this.freeSlots);
      this.freeSlots = b;
    }
    this.freeSlots[this.nFree++] = slot;
  }

  private grow(): void {
    const n = this.size.length * 2;
    const s = new Float64Array(n);
    s.set(this.size);
    this.size = s;
    const t = new Uint8Array(n);
    t.set(this.tag);
    this.tag = t;
    const si = new Int32Array(n);
    si.set(this.site);
    this.site = si;
  }
}
