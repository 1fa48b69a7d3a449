import * as E from 'fp-ts/Either'
import type { Logger } from '../log'
import { failureReason, messageDecoder, type DecodeFailure } from '../protocol/decode'
import { WorkerToEngine, type InvocationResult, type InvokeFunction } from '../protocol/messages'
import { socketFrames } from '../socket/frames'
import { ENGINE_FUNCTION_PREFIX, engineFunctions, type EngineContext } from './engine-functions'
import type { InvocationRouter } from './invocation-router'
import { failure } from './invocation-router'
import type { WorkerConnection } from './worker-connection'

const decodeWorkerMessage = messageDecoder(WorkerToEngine)

export interface SessionContext extends EngineContext {
  readonly invocations: InvocationRouter
  readonly logger: Logger
  /** Retires a previous connection of a reconnecting worker. */
  retire(previousWorkerId: string, token: string): void
}

/**
 * Serves one worker socket: every text frame is decoded once into a typed message and
 * dispatched; a frame that does not decode is answered with a `protocolerror` and logged.
 * Resolves when the socket closes, however it closes.
 */
export function serveWorker(worker: WorkerConnection, context: SessionContext): Promise<void> {
  const { logger } = context
  worker.send({ type: 'workerregistered', worker_id: worker.id, reattach_token: worker.reattachToken })
  return new Promise((resolve) => {
    socketFrames(worker.ws).subscribe({
      next: (frame) => {
        worker.alive = true
        if (frame.binary) {
          reject(worker, logger, 'binary frames are not accepted on the worker socket')
          return
        }
        const raw = frame.data.toString('utf8')
        const decoded = decodeWorkerMessage(raw)
        if (E.isLeft(decoded)) {
          onUndecodable(worker, decoded.left, context)
          return
        }
        const message = decoded.right
        switch (message.type) {
          case 'registerfunction': {
            const outcome = context.functions.register(worker, message)
            if (outcome.ok) logger.debug(`worker ${worker.id} registered function ${message.id}`)
            else {
              logger.warn(`worker ${worker.id}: function ${message.id} is owned by worker ${outcome.owner.id}`)
              worker.send({
                type: 'registrationrejected',
                code: 'function_already_registered',
                function_id: message.id,
                owner_worker_id: outcome.owner.id,
                message: `function ${message.id} is already registered by another worker`,
              })
            }
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
            context.retire(message.previous_worker_id, message.reattach_token)
            return
        }
      },
      error: () => resolve(),
      complete: () => resolve(),
    })
  })
}

function invoke(caller: WorkerConnection, message: InvokeFunction, raw: string, context: SessionContext): void {
  const awaited = message.invocation_id !== undefined && message.action?.type !== 'void'
  const answer = (result: InvocationResult) => {
    if (awaited) caller.send(result)
    else if (result.error) context.logger.warn(`fire-and-forget ${message.function_id}: ${result.error.message}`)
  }
  const invocationId = message.invocation_id ?? ''

  if (message.action?.type === 'enqueue') {
    // As an iii engine answers when no queue worker is installed.
    answer(failure(invocationId, message.function_id, {
      code: 'enqueue_error',
      message: `no queue provider: this engine does not serve queue "${message.action.queue}"`,
    }))
    return
  }

  if (message.function_id.startsWith(ENGINE_FUNCTION_PREFIX)) {
    const serve = engineFunctions[message.function_id]
    if (serve === undefined) {
      answer(failure(invocationId, message.function_id, notFound(message.function_id)))
      return
    }
    const outcome = serve(message.data, caller, context)
    answer(
      E.isRight(outcome)
        ? { type: 'invocationresult', invocation_id: invocationId, function_id: message.function_id, result: outcome.right }
        : failure(invocationId, message.function_id, outcome.left),
    )
    return
  }

  const callee = context.functions.owner(message.function_id)
  if (callee === undefined || !callee.open) {
    answer(failure(invocationId, message.function_id, notFound(message.function_id)))
    return
  }
  context.invocations.forward(caller, callee, message, raw)
}

function onResult(callee: WorkerConnection, result: InvocationResult, raw: string, context: SessionContext): void {
  if (!context.invocations.complete(callee, result, raw)) {
    context.logger.debug(`worker ${callee.id}: result for ${result.invocation_id} that nobody awaits`)
  }
}

function notFound(functionId: string) {
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
