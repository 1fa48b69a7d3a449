import { randomUUID } from 'crypto'
import type { Observer } from 'rxjs'
import type { Logger } from '../log'
import { clip } from '../protocol/decode'
import type { ErrorBody, InvocationResult, InvokeFunction } from '../protocol/messages'
import type { EngineEvent } from './events'
import { tellInvocation, type InvocationTelling } from './invocation-log'
import { failure, type InvocationRouter } from './invocation-router'
import type { InvocationSpan, InvocationTracing } from './invocation-tracing'
import { Groups } from './pruned-maps'
import type { InvocationPeer } from './invocation-peer'

interface PendingInvocation {
  readonly caller: InvocationPeer
  /** The id the caller chose: its result goes back under it. */
  readonly callerId: string
  readonly callee: InvocationPeer
  /** The id the callee was given: the caller's own, unless another caller of this callee has that one pending. */
  readonly calleeId: string
  readonly functionId: string
  readonly forwardedAt: number
  readonly span?: InvocationSpan
}

/**
 * The invocation router of one engine on its own, in memory: invocations forwarded to a worker
 * and not yet answered, indexed by the callee so that a callee that disconnects fails every
 * caller at once instead of leaving them to time out, and by the caller, whose ids they are:
 * each caller chooses its own, so that no worker can have more than `maxPendingPerCaller`
 * waiting, nor fail another caller's call by reusing an id.
 */
export class LocalInvocationRouter implements InvocationRouter {
  private readonly byCallee = new Groups<InvocationPeer, string, PendingInvocation>()
  private readonly byCaller = new Groups<InvocationPeer, string, PendingInvocation>()
  shed = 0
  private readonly telling: InvocationTelling

  constructor(
    /** How many invocations `caller` may wait on at once: a number for every caller, or one per caller. */
    private readonly maxPendingPerCaller: number | ((caller: InvocationPeer) => number),
    logger: Logger,
    events: Observer<EngineEvent>,
    private readonly now: () => number,
    /** Given, each invocation forwarded gets a span, and its callee a traceparent naming it. */
    private readonly tracing?: InvocationTracing,
  ) {
    this.telling = { logger, events }
  }

  get size(): number {
    let count = 0
    for (const pending of this.byCallee.values()) count += pending.size
    return count
  }

  forward(caller: InvocationPeer, callee: InvocationPeer, message: InvokeFunction, raw: string): ErrorBody | undefined {
    if (callee.backlog.backedUp) {
      callee.backlog.refuse()
      this.shed++
      return {
        code: 'worker_backed_up',
        message: `the worker serving ${clip(message.function_id)} has ${callee.backlog.queuedBytes} bytes queued and unread, over the engine's limit (maxQueuedBytesPerWorker)`,
      }
    }
    const invocationId = message.invocation_id
    if (invocationId === undefined || message.action?.type === 'void') {
      const span = this.tracing?.start(message.function_id, message.traceparent, caller, callee)
      callee.sendRaw(span === undefined ? raw : JSON.stringify({ ...message, traceparent: span.traceparent }))
      span?.end('sent')
      tellInvocation(this.telling, { functionId: message.function_id, caller, callee, outcome: 'sent' })
      return undefined
    }
    const mine = this.byCaller.get(caller)
    const waiting = mine?.size ?? 0
    const limit = typeof this.maxPendingPerCaller === 'number' ? this.maxPendingPerCaller : this.maxPendingPerCaller(caller)
    if (waiting >= limit) {
      return {
        code: 'too_many_pending_invocations',
        message: `this worker already waits on ${waiting} invocations, the engine's limit (maxPendingInvocationsPerWorker)`,
      }
    }
    if (mine?.has(invocationId)) return { code: 'invalid_message', message: `invocation_id ${invocationId} is already pending` }
    const theirs = this.byCallee.get(callee)
    const calleeId = theirs?.has(invocationId) ? freeId(theirs) : invocationId
    const span = this.tracing?.start(message.function_id, message.traceparent, caller, callee)
    const invocation: PendingInvocation = { caller, callerId: invocationId, callee, calleeId, functionId: message.function_id, forwardedAt: this.now(), span }
    this.byCaller.set(caller, invocationId, invocation)
    this.byCallee.set(callee, calleeId, invocation)
    // Rewritten only on a collision or for a span: ids are UUIDs in practice, and the common case stays free of JSON work.
    if (span !== undefined) callee.sendRaw(JSON.stringify({ ...message, invocation_id: calleeId, traceparent: span.traceparent }))
    else callee.sendRaw(calleeId === invocationId ? raw : JSON.stringify({ ...message, invocation_id: calleeId }))
    return undefined
  }

  /** Routes a callee's result back to its caller, under the caller's id; results nobody waits for are dropped. */
  complete(callee: InvocationPeer, result: InvocationResult, raw: string): boolean {
    const invocation = this.byCallee.get(callee)?.get(result.invocation_id)
    if (!invocation) return false
    this.remove(invocation)
    invocation.caller.sendRaw(invocation.calleeId === invocation.callerId ? raw : JSON.stringify({ ...result, invocation_id: invocation.callerId }))
    this.ended(invocation, result.error === undefined ? 'ok' : 'error', result.error?.code)
    return true
  }

  workerGone(worker: InvocationPeer, reason: string): void {
    this.failCallsTo(worker, { code: 'invocation_stopped', message: reason })
    this.forgetCallsFrom(worker)
  }

  /** Fails every invocation pending at `callee` with `error`: its results can no longer arrive. */
  failCallsTo(callee: InvocationPeer, error: ErrorBody): void {
    for (const invocation of [...(this.byCallee.get(callee)?.values() ?? [])]) {
      this.remove(invocation)
      invocation.caller.send(failure(invocation.callerId, invocation.functionId, error))
      this.ended(invocation, 'error', error.code)
    }
  }

  /** Results owed to `caller` are no longer awaited: they are dropped when they come. */
  forgetCallsFrom(caller: InvocationPeer): void {
    for (const invocation of [...(this.byCaller.get(caller)?.values() ?? [])]) {
      this.remove(invocation)
      this.ended(invocation, 'caller gone')
    }
  }

  failAll(error: ErrorBody): void {
    for (const pending of [...this.byCallee.values()]) {
      for (const invocation of [...pending.values()]) {
        this.remove(invocation)
        invocation.caller.send(failure(invocation.callerId, invocation.functionId, error))
        this.ended(invocation, 'error', error.code)
      }
    }
  }

  private ended(invocation: PendingInvocation, outcome: 'ok' | 'error' | 'caller gone', code?: string): void {
    const { functionId, caller, callee, forwardedAt } = invocation
    invocation.span?.end(outcome, code)
    tellInvocation(this.telling, { functionId, caller, callee, outcome, code, durationMs: this.now() - forwardedAt })
  }

  private remove(invocation: PendingInvocation): void {
    this.byCallee.delete(invocation.callee, invocation.calleeId)
    this.byCaller.delete(invocation.caller, invocation.callerId)
  }
}

/** An engine-made id that the callee has not pending. */
function freeId(pending: ReadonlyMap<string, PendingInvocation>): string {
  let id = randomUUID()
  while (pending.has(id)) id = randomUUID()
  return id
}
