/** A place in a {@link PagedIndex}: keep it to remove the value later. */
export interface Slot<V> {
  readonly seq: number
  readonly value: V
  live: boolean
}

/** One page of a listing, and the cursor of the next one when there is more. */
export interface Page<V> {
  readonly items: V[]
  readonly nextCursor?: number
}

/** How much one page may hold: at most `limit` items and about `maxBytes` (always at least one item). */
export interface PageBounds {
  readonly limit: number
  readonly maxBytes: number
}

/**
 * Values in the order they were added, listed a page at a time. A cursor is the sequence
 * number of the last value a page held, so a page costs a binary search plus the page itself,
 * whatever the size of the index, and values added or removed between pages neither repeat
 * nor shift the others. Removal marks a slot dead; dead slots are compacted away once they
 * outnumber the live ones, so removal is O(1) amortized and a page skips few of them.
 */
export class PagedIndex<V> {
  private slots: Array<Slot<V>> = []
  private dead = 0
  private nextSeq = 1

  get size(): number {
    return this.slots.length - this.dead
  }

  add(value: V): Slot<V> {
    const slot = { seq: this.nextSeq++, value, live: true }
    this.slots.push(slot)
    return slot
  }

  remove(slot: Slot<V>): void {
    if (!slot.live) return
    slot.live = false
    this.dead++
    if (this.dead > 64 && this.dead > this.slots.length / 2) {
      this.slots = this.slots.filter((candidate) => candidate.live)
      this.dead = 0
    }
  }

  /** The live values after `cursor` (from the start without one), within `bounds`; `sizeOf` is a value's size in bytes. */
  page(cursor: number | undefined, bounds: PageBounds, sizeOf: (value: V) => number): Page<V> {
    const items: V[] = []
    let bytes = 0
    let lastSeq = 0
    let index = cursor === undefined ? 0 : this.firstAfter(cursor)
    for (; index < this.slots.length; index++) {
      const slot = this.slots[index]
      if (!slot.live) continue
      const size = sizeOf(slot.value)
      if (items.length === bounds.limit || (items.length > 0 && bytes + size > bounds.maxBytes)) {
        return { items, nextCursor: lastSeq }
      }
      items.push(slot.value)
      bytes += size
      lastSeq = slot.seq
    }
    return { items }
  }

  private firstAfter(seq: number): number {
    let low = 0
    let high = this.slots.length
    while (low < high) {
      const middle = (low + high) >>> 1
      if (this.slots[middle].seq <= seq) low = middle + 1
      else high = middle
    }
    return low
  }
}
