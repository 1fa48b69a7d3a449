import { asError, messageOf } from '../errors'
import type { Logger } from '../log'
import type { InvocationResult, InvokeFunction } from '../protocol/messages'
import type { FunctionHandler } from './api'
import type { Outbox } from './outbox'
import type { WorkerSocket } from './worker-socket'

/**
 * Serves the engine's invocations of this worker's functions: runs the handler on the input
 * with its channel refs made live, and sends the result back (held in the outbox while not
 * connected). A fire-and-forget invocation gets no answer; its failure is logged.
 */
export class InvocationServer {
  constructor(
    private readonly handlerOf: (functionId: string) => FunctionHandler | undefined,
    private readonly socket: WorkerSocket,
    private readonly outbox: Outbox,
    /** The input with its channel refs made live ends, opened through the given engine. */
    private readonly materialize: (input: unknown, engineUrl: string) => unknown,
    private readonly logger: Logger,
  ) {}

  /** `engineUrl`: the engine that sent the invocation, which the refs in its input are opened through. */
  async serve(message: InvokeFunction, engineUrl: string): Promise<void> {
    const { invocation_id: invocationId, function_id: functionId } = message
    const awaited = invocationId !== undefined && message.action?.type !== 'void'
    const reply = (body: Pick<InvocationResult, 'result' | 'error'>) => {
      if (!awaited) {
        if (body.error) this.logger.warn(`fire-and-forget ${functionId} failed: ${body.error.message}`)
        return
      }
      const text = resultFrame({ type: 'invocationresult', invocation_id: invocationId, function_id: functionId, ...body })
      if (this.socket.send(text) || this.outbox.add(crypto.randomUUID(), text)) return
      this.logger.warn(`dropped the result of ${functionId}: not connected, and the outbox is full`)
    }

    const handler = this.handlerOf(functionId)
    if (!handler) {
      reply({ error: { code: 'function_not_found', message: `function ${functionId} is not registered on this worker` } })
      return
    }
    try {
      const input = this.materialize(message.data, engineUrl)
      reply({ result: await handler(input, message.metadata) })
    } catch (error) {
      const failed = asError(error)
      reply({ error: { code: 'invocation_failed', message: failed.message, stacktrace: failed.stack } })
    }
  }
}

/** The result as a frame; a result that is not JSON becomes an `invocation_failed` error. */
function resultFrame(result: InvocationResult): string {
  try {
    return JSON.stringify(result)
  } catch (error) {
    return JSON.stringify({
      ...result,
      result: undefined,
      error: { code: 'invocation_failed', message: `result is not JSON-serializable: ${messageOf(error)}` },
    })
  }
}
