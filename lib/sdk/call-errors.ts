import { InvocationError, type ConnectionError, type WorkerError } from '../errors'
import { CloseCode } from '../protocol/close-codes'
import { redactUrl } from '../socket/redact-url'
import type { Outbox } from './outbox'
import type { Drop } from './worker-socket'

/** An invocation its timeout found still in the outbox was never sent: it says so, and why, rather than TIMEOUT. */
export function notSentError(engineUrl: string, timeoutMs: number, cause: ConnectionError | undefined, functionId: string): InvocationError {
  const why = cause ? `the engine at ${redactUrl(engineUrl)} cannot be reached: ${cause.message}` : `the connection to the engine at ${redactUrl(engineUrl)} is not open`
  return new InvocationError('not_connected', `not sent within ${timeoutMs} ms: ${why}`, functionId, undefined, { cause })
}

/** An invocation refused because the outbox is full, with its limits and the last connection error. */
export function outboxFullError(outbox: Outbox, cause: ConnectionError | undefined, functionId: string): InvocationError {
  const { maxEntries, maxBytes } = outbox.limits
  return new InvocationError(
    'outbox_full',
    `not connected, and the outbox already holds ${outbox.size} frames of ${outbox.bytes} bytes ` +
      `(outbox.maxEntries ${maxEntries}, outbox.maxBytes ${maxBytes})${cause ? `; last connection error: ${cause.message}` : ''}`,
    functionId,
    undefined,
    { cause },
  )
}

/** An invocation of a client that gave up connecting carries the reason it gave up. */
export function refusedInvocationError(refusal: WorkerError, functionId: string): InvocationError {
  return new InvocationError(refusal.code, refusal.message, functionId, undefined, { cause: refusal.cause })
}

/** The result of a sent invocation cannot come back after `drop`: the engine shut down, or the connection was lost. */
export function droppedInvocationError(drop: Drop | undefined, functionId: string): InvocationError {
  const [code, message] =
    drop?.closeCode === CloseCode.GoingAway
      ? ['engine_shutting_down', `the engine closed the connection: ${drop.reason}`]
      : ['connection_lost', `the connection to the engine was lost before the result arrived${drop ? ` (${drop.reason})` : ''}`]
  return new InvocationError(code, message, functionId, undefined, { cause: drop?.cause })
}
