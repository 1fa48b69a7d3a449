import * as E from 'fp-ts/Either'
import type { Logger } from '../log'
import { clip, failureReason, messageDecoder, type DecodeFailure } from '../protocol/decode'
import { CloseCode } from '../protocol/close-codes'
import { WorkerToEngine, type ErrorBody, type InvocationResult, type InvokeFunction } from '../protocol/messages'
import { socketFrames, SocketClosedError } from '../socket/frames'
import { ENGINE_FUNCTION_PREFIX, engineFunctions, type EngineContext } from './engine-functions'
import type { InvocationRouter } from './invocation-router'
import { failure } from './invocation-router'
import type { WorkerConnection } from './worker-connection'

const decodeWorkerMessage = messageDecoder(WorkerToEngine)

export interface SessionContext extends EngineContext {
  readonly invocations: InvocationRouter
  readonly logger: Logger
  readonly maxMessageBytes: number
  /** Retires a previous connection of `worker`, which has reconnected: its functions are `worker`'s before this returns. */
  retire(worker: WorkerConnection, previousWorkerId: string, token: string): void
}

/**
 * Serves one worker socket: every text frame is decoded once into a typed message and
 * dispatched; a frame that does not decode is answered with a `protocolerror` and logged.
 * Resolves when the socket closes: `clean` when the worker closed it cleanly (1000, or 1005
 * from the official client), so its functions need not be held for a reconnect.
 */
export function serveWorker(worker: WorkerConnection, context: SessionContext): Promise<{ readonly clean: boolean }> {
  const { logger } = context
  worker.send({ type: 'workerregistered', worker_id: worker.id, reattach_token: worker.reattachToken })
  return new Promise((resolve) => {
    socketFrames(worker.ws).subscribe({
      // Frames do not count as a sign of life: only pongs do (see the engine's heartbeat), since a
      // worker that sends but never reads holds everything queued for it.
      next: (frame) => {
        if (frame.binary) {
          reject(worker, logger, 'binary frames are not accepted on the worker socket')
          return
        }
        // Nothing a worker sends may escape as an exception: in a subscriber it would crash the engine.
        try {
          dispatch(worker, frame.data.toString('utf8'), context)
        } catch (error) {
          logger.error(`worker ${worker.id}: failed to handle a frame: ${(error as Error).message}`)
          worker.send({ type: 'protocolerror', code: 'internal_error', message: 'the engine failed to handle this frame' })
        }
      },
      error: (error: unknown) => {
        if (error instanceof SocketClosedError && error.closeCode === CloseCode.TooBig) {
          logger.warn(`worker ${worker.id}: closed with 1009: it sent a message over the ${context.maxMessageBytes}-byte limit (maxMessageBytes)`)
        } else if (error instanceof SocketClosedError && error.closeCode !== CloseCode.Abnormal) {
          logger.info(`worker ${worker.id}: socket closed with ${error.closeCode}: ${clip(error.reason)}`)
        }
        resolve({ clean: false })
      },
      complete: () => resolve({ clean: true }),
    })
  })
}

function dispatch(worker: WorkerConnection, raw: string, context: SessionContext): void {
  const { logger } = context
  const decoded = decodeWorkerMessage(raw)
  if (E.isLeft(decoded)) {
    onUndecodable(worker, decoded.left, context)
    return
  }
  const message = decoded.right
  switch (message.type) {
    case 'registerfunction': {
      const refusal = context.functions.register(worker, message)
      if (!refusal) {
        logger.debug(`worker ${worker.id} registered function ${clip(message.id)}`)
        return
      }
      logger.warn(`worker ${worker.id}: refused function ${clip(message.id)}: ${refusal.code}: ${clip(refusal.message)}`)
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
    if (!awaited) {
      if (E.isLeft(outcome)) context.logger.warn(`worker ${caller.id}: fire-and-forget ${clip(message.function_id)}: ${clip(outcome.left.message)}`)
      return
    }
    const result: InvocationResult = E.isRight(outcome)
      ? { type: 'invocationresult', invocation_id: invocationId, function_id: message.function_id, result: outcome.right }
      : failure(invocationId, message.function_id, outcome.left)
    if (!caller.trySend(result)) {
      context.logger.warn(`worker ${caller.id}: the result of ${clip(message.function_id)} cannot be serialized`)
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
  const line = `worker ${caller.id}: refused an invocation of ${clip(message.function_id)}: ${refused.code}`
  // A backed-up callee logs its episode once, with a count: a line per refused call would flood the log.
  if (refused.code === 'worker_backed_up') context.logger.debug(line)
  else context.logger.warn(line)
  if (awaited) answer(E.left(refused))
}

function onResult(callee: WorkerConnection, result: InvocationResult, raw: string, context: SessionContext): void {
  if (!context.invocations.complete(callee, result, raw)) {
    context.logger.debug(`worker ${callee.id}: dropped a result for ${clip(result.invocation_id)}, which nobody awaits`)
  }
}

function notFound(functionId: string): ErrorBody {
  return { code: 'function_not_found', message: `function ${functionId} not found` }
}

function onUndecodable(worker: WorkerConnection, failed: DecodeFailure, context: SessionContext): void {
  if (failed.kind === 'unknown_type') {
    context.logger.warn(`worker ${worker.id}: ignored ${failed.reason}`)
    return
  }
  const reason = failureReason(failed)
  reject(worker, context.logger, reason)
  if (failed.kind === 'invalid_fields' && failed.type === 'invokefunction' && failed.invocation_id !== undefined) {
    worker.send(failure(failed.invocation_id, '', { code: 'invalid_message', message: reason }))
  }
}

function reject(worker: WorkerConnection, logger: Logger, reason: string): void {
  logger.warn(`worker ${worker.id}: rejected frame: ${reason}`)
  worker.send({ type: 'protocolerror', code: 'invalid_message', message: reason })
}
