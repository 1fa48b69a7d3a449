import type { EngineLimits } from './limits'
import { Tally } from './pruned-maps'

/** Something paused for lack of budget, to be asked again when budget frees up. */
export interface BudgetWaiter {
  pace(): void
}

type SharedLimits = Pick<EngineLimits, 'maxHeldBytes' | 'maxHeldBytesPerWorker'>

/**
 * Bytes the engine holds for readers, engine-wide and per creating worker, against their
 * limits. Writers pause while a budget is at its limit. A shared budget frees up when it is
 * back under its limit (not at half, as a channel's own budget does): other channels, such as
 * one whose reader never reads, may hold more than half of it for good, and a writer whose own
 * channel has drained must still get going again.
 */
export class HeldBytesBudget {
  private held = 0
  private readonly byWorker = new Tally<string>()
  private readonly waiters = new Set<BudgetWaiter>()

  constructor(private readonly limits: SharedLimits) {}

  get total(): number {
    return this.held
  }

  ofWorker(workerId: string): number {
    return this.byWorker.of(workerId)
  }

  /** Whether a channel created by `workerId` must hold back its writer. */
  isFull(workerId: string): boolean {
    return this.held >= this.limits.maxHeldBytes || this.ofWorker(workerId) >= this.limits.maxHeldBytesPerWorker
  }

  /** Counts `delta` more (or, negative, fewer) bytes held for a channel of `workerId`. */
  add(workerId: string, delta: number): void {
    if (delta === 0) return
    const heldBefore = this.held
    const workerBefore = this.ofWorker(workerId)
    this.held += delta
    this.byWorker.add(workerId, delta)
    const freed =
      crossedBelow(heldBefore, this.held, this.limits.maxHeldBytes) ||
      crossedBelow(workerBefore, this.ofWorker(workerId), this.limits.maxHeldBytesPerWorker)
    if (freed) for (const waiter of [...this.waiters]) waiter.pace()
  }

  /** `waiter` is paced again whenever a budget it may be waiting on frees up, until {@link stopWaiting}. */
  wait(waiter: BudgetWaiter): void {
    this.waiters.add(waiter)
  }

  stopWaiting(waiter: BudgetWaiter): void {
    this.waiters.delete(waiter)
  }
}

const crossedBelow = (before: number, after: number, limit: number) => before >= limit && after < limit
