import type { Observer, Subscriber } from 'rxjs'

/**
 * The observer an operator subscribes to its source with: `next` and `complete` run the
 * operator's own handlers, and whatever they throw (a user callback, a codec, a value of the
 * wrong type) errors the output stream. Without this, RxJS reports the throw as unhandled
 * and the stream never settles.
 */
export function operatorObserver<In, Out>(
  subscriber: Subscriber<Out>,
  handlers: { readonly next: (value: In) => void; readonly complete?: () => void },
): Observer<In> {
  const guarded = (run: () => void) => {
    try {
      run()
    } catch (error) {
      subscriber.error(error)
    }
  }
  return {
    next: (value) => guarded(() => handlers.next(value)),
    error: (error: unknown) => subscriber.error(error),
    complete: () => guarded(handlers.complete ?? (() => subscriber.complete())),
  }
}
