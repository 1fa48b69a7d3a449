import type { Observable, Observer } from 'rxjs'

/**
 * An Observer that says when it is full. Producers that respect it offer the next value
 * only while `saturated` is false, or after `drain$` emits.
 */
export interface FlowSink<T> extends Observer<T> {
  /** True while the sink holds more than its high-water mark. */
  readonly saturated: boolean
  /** Emits each time the sink falls back under its low-water mark. */
  readonly drain$: Observable<void>
  /** Completes once the end has been accepted downstream; errors if the sink failed. */
  readonly closed$: Observable<void>
}
