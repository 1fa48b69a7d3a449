import { Subject } from 'rxjs'
import type { FlowSink } from '../../lib'

/** Lets pending callbacks and promise continuations run, to show that something did not happen. */
export const settle = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve))

/** A FlowSink whose saturation, drain and close the test controls; it records every call. */
export class FakeSink<T> implements FlowSink<T> {
  readonly received: T[] = []
  readonly errors: unknown[] = []
  completed = false
  saturated = false
  readonly drain = new Subject<void>()
  readonly closed = new Subject<void>()
  readonly drain$ = this.drain.asObservable()
  readonly closed$ = this.closed.asObservable()

  next(value: T): void {
    this.received.push(value)
  }

  error(error: unknown): void {
    this.errors.push(error)
  }

  complete(): void {
    this.completed = true
  }
}
