/**
 * Maps that forget a key as soon as nothing is left under it, so that per-worker and
 * per-address bookkeeping does not grow with every worker or address ever seen.
 */

/** A count per key; a key whose count falls to zero (or below) is deleted. */
export class Tally<K> {
  private readonly counts = new Map<K, number>()

  /** Keys with a count above zero. */
  get size(): number {
    return this.counts.size
  }

  of(key: K): number {
    return this.counts.get(key) ?? 0
  }

  /** Adds `delta` (negative to take away) to the count of `key`. */
  add(key: K, delta: number): void {
    const count = this.of(key) + delta
    if (count > 0) this.counts.set(key, count)
    else this.counts.delete(key)
  }
}

/** Values by group and key; a group whose last value is deleted is deleted with it. */
export class Groups<G, K, V> {
  private readonly groups = new Map<G, Map<K, V>>()

  get(group: G): ReadonlyMap<K, V> | undefined {
    return this.groups.get(group)
  }

  set(group: G, key: K, value: V): void {
    let members = this.groups.get(group)
    if (!members) this.groups.set(group, (members = new Map()))
    members.set(key, value)
  }

  delete(group: G, key: K): void {
    const members = this.groups.get(group)
    if (!members) return
    members.delete(key)
    if (members.size === 0) this.groups.delete(group)
  }

  /** Every group that holds a value. */
  values(): IterableIterator<ReadonlyMap<K, V>> {
    return this.groups.values()
  }
}
