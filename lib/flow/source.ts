import type { Observable } from 'rxjs'

/**
 * A push source whose producer can be held back: the contract between a socket that can
 * stop reading and a consumer that must apply backpressure (a Node Readable, a web stream).
 */
export interface PausableSource<T> {
  readonly values$: Observable<T>
  /** Stop delivering; values that still arrive are kept, not dropped. */
  pause(): void
  /** Deliver what was kept, then resume live delivery. */
  resume(): void
}
