import * as E from 'fp-ts/Either'
import type { Observer } from 'rxjs'
import { messageOf } from '../errors'
import { logsAt, type Logger } from '../log'
import { clip, failureReason, messageDecoder, type DecodeFailure } from '../protocol/decode'
import { CloseCode } from '../protocol/close-codes'
import { WorkerToEngine, type ErrorBody, type InvocationResult, type InvokeFunction } from '../protocol/messages'
import { socketFrames, SocketClosedError } from '../socket/frames'
import { ENGINE_FUNCTION_PREFIX, engineFunctions, type EngineContext } from './engine-functions'
import type { EngineEvent } from './events'
import { tellInvocation } from './invocation-log'
import type { InvocationRouter } from './invocation-router'
import { failure } from './invocation-router'
import type { WorkerConnection } from './worker-connection'

const decodeWorkerMessage = messageDecoder(WorkerToEngine)

export interface SessionContext extends EngineContext {
  readonly invocations: InvocationRouter
  readonly logger: Logger
  readonly events: Observer<EngineEvent>
  readonly maxMessageBytes: number
  /** Retires a previous connection of `worker`, which has reconnected: its functions are `worker`'s before this returns. */
  retire(worker: WorkerConnection, previousWorkerId: string, token: string): void
}

/** How a worker socket closed: `clean` when the worker closed it cleanly (1000, or 1005 from the official client). */
export type WorkerEnd = { readonly clean: true } | { readonly clean: false; readonly code: number; readonly reason: string }

/**
 * Serves one worker socket: every text frame is decoded once into a typed message and
 * dispatched; a frame that does not decode is answered with a `protocolerror` and logged.
 * Resolves when the socket closes; after a clean close its functions need not be held for a reconnect.
 */
export function serveWorker(worker: WorkerConnection, context: SessionContext): Promise<WorkerEnd> {
  const { logger } = context
  worker.send({ type: 'workerregistered', worker_id: worker.id, reattach_token: worker.reattachToken })
  return new Promise((resolve) => {
    socketFrames(worker.ws).subscribe({
      // Frames do not count as a sign of life: only pongs do (see the engine's heartbeat), since a
      // worker that sends but never reads holds everything queued for it.
      next: (frame) => {
        if (frame.binary) {
          reject(worker, 'binary frames are not accepted on the worker socket')
          return
        }
        // Nothing a worker sends may escape as an exception: in a subscriber it would crash the engine.
        try {
          dispatch(worker, frame.data.toString('utf8'), context)
        } catch (error) {
          logger.error(`worker ${worker.label}: failed to handle a frame: ${messageOf(error)}`, worker.logFields)
          worker.send({ type: 'protocolerror', code: 'internal_error', message: 'the engine failed to handle this frame' })
        }
      },
      error: (error: unknown) => {
        if (!(error instanceof SocketClosedError)) {
          resolve({ clean: false, code: CloseCode.Abnormal, reason: clip(String(error)) })
          return
        }
        if (error.closeCode === CloseCode.TooBig) {
          logger.warn(`worker ${worker.label}: closed with 1009: it sent a message over the ${context.maxMessageBytes}-byte limit (maxMessageBytes)`, {
            ...worker.logFields,
            code: CloseCode.TooBig,
          })
        }
        resolve({ clean: false, code: error.closeCode, reason: clip(error.reason) })
      },
      complete: () => resolve({ clean: true }),
    })
  })
}

function dispatch(worker: WorkerConnection, raw: string, context: SessionContext): void {
  const { logger } = context
  const decoded = decodeWorkerMessage(raw)
  if (E.isLeft(decoded)) {
    onUndecodable(worker, decoded.left)
    return
  }
  const message = decoded.right
  switch (message.type) {
    case 'registerfunction': {
      const refusal = context.functions.register(worker, message)
      if (!refusal) {
        if (logsAt(logger, 'debug')) logger.debug(`worker ${worker.label} registered function ${clip(message.id)}`, { ...worker.logFields, function_id: clip(message.id) })
        return
      }
      worker.warnings.warn(`refused_function:${refusal.code}`, `worker ${worker.label}: refused function ${clip(message.id)}: ${refusal.code}: ${clip(refusal.message)}`, {
        ...worker.logFields,
        function_id: clip(message.id),
        code: refusal.code,
      })
      worker.send({
        type: 'registrationrejected',
        code: refusal.code,
        function_id: message.id,
        ...(refusal.ownerWorkerId === undefined ? {} : { owner_worker_id: refusal.ownerWorkerId }),
        message: refusal.message,
      })
      return
    }
    case 'unregisterfunction':
      context.functions.unregister(worker, message.id)
      return
    case 'invokefunction':
      invoke(worker, message, raw, context)
      return
    case 'invocationresult':
      onResult(worker, message, raw, context)
      return
    case 'reattach':
      context.retire(worker, message.previous_worker_id, message.reattach_token)
      return
  }
}

function invoke(caller: WorkerConnection, message: InvokeFunction, raw: string, context: SessionContext): void {
  const awaited = message.invocation_id !== undefined && message.action?.type !== 'void'
  const invocationId = message.invocation_id ?? ''
  const answer = (outcome: E.Either<ErrorBody, unknown>) => {
    tellInvocation(context, {
      functionId: message.function_id,
      caller,
      outcome: E.isRight(outcome) ? 'ok' : 'error',
      code: E.isLeft(outcome) ? outcome.left.code : undefined,
    })
    if (!awaited) {
      if (E.isLeft(outcome)) {
        caller.warnings.warn(`fire_and_forget:${outcome.left.code}`, `worker ${caller.label}: fire-and-forget ${clip(message.function_id)}: ${clip(outcome.left.message)}`, {
          ...caller.logFields,
          function_id: clip(message.function_id),
          code: outcome.left.code,
        })
      }
      return
    }
    const result: InvocationResult = E.isRight(outcome)
      ? { type: 'invocationresult', invocation_id: invocationId, function_id: message.function_id, result: outcome.right }
      : failure(invocationId, message.function_id, outcome.left)
    if (!caller.trySend(result)) {
      context.logger.warn(`worker ${caller.label}: the result of ${clip(message.function_id)} cannot be serialized`, { ...caller.logFields, function_id: clip(message.function_id) })
      caller.send(failure(invocationId, message.function_id, { code: 'invocation_failed', message: 'the result cannot be serialized as JSON' }))
    }
  }

  if (message.action?.type === 'enqueue') {
    // As an iii engine answers when no queue worker is installed.
    answer(E.left({ code: 'enqueue_error', message: `no queue provider: this engine does not serve queue "${message.action.queue}"` }))
    return
  }

  if (message.function_id.startsWith(ENGINE_FUNCTION_PREFIX)) {
    const serve = engineFunctions[message.function_id]
    answer(serve === undefined ? E.left(notFound(message.function_id)) : serve(message.data, caller, context))
    return
  }

  const callee = context.functions.owner(message.function_id)
  if (callee === undefined || !callee.open) {
    answer(E.left(notFound(message.function_id)))
    return
  }
  const refused = context.invocations.forward(caller, callee, message, raw)
  if (refused === undefined) return
  const line = `worker ${caller.label}: refused an invocation of ${clip(message.function_id)}: ${refused.code}`
  const fields = { ...caller.logFields, function_id: clip(message.function_id), code: refused.code }
  // A backed-up callee logs its episode once, with a count: a line per refused call would flood the log.
  if (refused.code !== 'worker_backed_up') caller.warnings.warn(`refused_invocation:${refused.code}`, line, fields)
  else if (logsAt(context.logger, 'debug')) context.logger.debug(line, fields)
  if (awaited) answer(E.left(refused))
}

function onResult(callee: WorkerConnection, result: InvocationResult, raw: string, context: SessionContext): void {
  if (!context.invocations.complete(callee, result, raw)) {
    if (logsAt(context.logger, 'debug')) context.logger.debug(`worker ${callee.label}: dropped a result for ${clip(result.invocation_id)}, which nobody awaits`, callee.logFields)
  }
}

function notFound(functionId: string): ErrorBody {
  return { code: 'function_not_found', message: `function ${functionId} not found` }
}

function onUndecodable(worker: WorkerConnection, failed: DecodeFailure): void {
  if (failed.kind === 'unknown_type') {
    worker.warnings.warn('unknown_type', `worker ${worker.label}: ignored ${failed.reason}`, worker.logFields)
    return
  }
  const reason = failureReason(failed)
  reject(worker, reason)
  if (failed.kind === 'invalid_fields' && failed.type === 'invokefunction' && failed.invocation_id !== undefined) {
    worker.send(failure(failed.invocation_id, '', { code: 'invalid_message', message: reason }))
  }
}

function reject(worker: WorkerConnection, reason: string): void {
  worker.warnings.warn('rejected_frame', `worker ${worker.label}: rejected frame: ${reason}`, worker.logFields)
  worker.send({ type: 'protocolerror', code: 'invalid_message', message: reason })
}
