import { Observable, type Subscriber } from 'rxjs'
import type { PausableSource } from '../flow/source'

export interface InboxHooks {
  /** A first subscriber arrived: time to connect. */
  readonly onDemand: () => void
  /** The last subscriber left before the end. */
  readonly onAbandoned: () => void
  /** The backlog changed; the owner pauses or resumes its socket from it. */
  readonly onBacklog: () => void
}

/**
 * Values received for one stream of a channel end (chunks or messages). Values that arrive
 * with no subscriber, or while paused, are kept and delivered in order to the next
 * subscriber, so nothing is lost between connecting and subscribing. Live values go to
 * every current subscriber; a subscriber that comes after the end gets the end at once.
 */
export class Inbox<T> implements PausableSource<T> {
  private readonly queue: T[] = []
  private readonly subscribers = new Set<Subscriber<T>>()
  private paused = false
  private ended?: { readonly error?: unknown }
  private demanded = false
  private flushing = false
  backlogBytes = 0

  constructor(
    private readonly hooks: InboxHooks,
    private readonly sizeOf: (value: T) => number,
  ) {}

  readonly values$ = new Observable<T>((subscriber) => {
    this.subscribers.add(subscriber)
    if (!this.demanded) {
      this.demanded = true
      this.hooks.onDemand()
    }
    this.flush()
    return () => {
      const wasMember = this.subscribers.delete(subscriber)
      if (wasMember && this.subscribers.size === 0 && this.ended === undefined) this.hooks.onAbandoned()
    }
  })

  get subscriberCount(): number {
    return this.subscribers.size
  }

  get backlogLength(): number {
    return this.queue.length
  }

  push(value: T): void {
    if (this.ended) return
    if (!this.paused && !this.flushing && this.subscribers.size > 0 && this.queue.length === 0) {
      for (const subscriber of this.subscribers) subscriber.next(value)
      return
    }
    this.queue.push(value)
    this.backlogBytes += this.sizeOf(value)
    this.hooks.onBacklog()
  }

  /** Ends the stream after the values already kept; `error` makes it fail instead of complete. */
  end(error?: unknown): void {
    if (this.ended) return
    this.ended = error === undefined ? {} : { error }
    this.flush()
  }

  pause(): void {
    this.paused = true
  }

  resume(): void {
    this.paused = false
    this.flush()
  }

  /** Delivers kept values in order. Not re-entrant: a subscriber that resumes from inside
   * `next` must not get later values before the current one has been handled. */
  private flush(): void {
    if (this.flushing) return
    this.flushing = true
    let delivered = false
    try {
      while (!this.paused && this.subscribers.size > 0 && this.queue.length > 0) {
        const value = this.queue.shift() as T
        this.backlogBytes -= this.sizeOf(value)
        delivered = true
        for (const subscriber of this.subscribers) subscriber.next(value)
      }
    } finally {
      this.flushing = false
    }
    if (delivered) this.hooks.onBacklog()
    if (this.ended && this.queue.length === 0) {
      for (const subscriber of [...this.subscribers]) {
        this.subscribers.delete(subscriber)
        if (this.ended.error === undefined) subscriber.complete()
        else subscriber.error(this.ended.error)
      }
    }
  }
}
