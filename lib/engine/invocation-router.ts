import type { ErrorBody, InvocationResult, InvokeFunction } from '../protocol/messages'
import type { InvocationPeer } from './invocation-peer'

/**
 * Carries invocations from callers to the workers that serve them and their results back,
 * and knows who waits on what. The engine uses it only through this interface, so that an
 * implementation reaching workers on other nodes can take the place of the local one
 * (`LocalInvocationRouter` in local-invocation-router.ts).
 */
export interface InvocationRouter {
  /** Invocations forwarded and not yet answered. */
  readonly size: number
  /** Invocations refused since the engine started because their callee was backed up, awaited or not. */
  readonly shed: number
  /**
   * Forwards `raw` (the caller's frame, unchanged unless its id is taken at the callee) to the
   * callee and remembers who waits. Returns the error to answer the caller with instead, if
   * the invocation is refused.
   */
  forward(caller: InvocationPeer, callee: InvocationPeer, message: InvokeFunction, raw: string): ErrorBody | undefined
  /** Routes a callee's result back to its caller; false when nobody waits for it. */
  complete(callee: InvocationPeer, result: InvocationResult, raw: string): boolean
  /** A worker left: its callers learn now, and results owed to it are no longer awaited. */
  workerGone(worker: InvocationPeer, reason: string): void
  /** Fails every pending invocation with `error`: used when the engine shuts down. */
  failAll(error: ErrorBody): void
}

/** The result that fails invocation `invocationId` of `functionId` with `error`. */
export function failure(invocationId: string, functionId: string, error: ErrorBody): InvocationResult {
  return { type: 'invocationresult', invocation_id: invocationId, function_id: functionId, error }
}
