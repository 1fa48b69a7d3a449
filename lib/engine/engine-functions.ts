import * as t from 'io-ts'
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import { describeErrors } from '../protocol/decode'
import type { ErrorBody } from '../protocol/messages'
import type { ChannelRegistry } from './channels'
import type { FunctionRegistry } from './function-registry'
import type { WorkerConnection } from './worker-connection'

export const ENGINE_FUNCTION_PREFIX = 'engine::'

export interface EngineContext {
  readonly channels: ChannelRegistry
  readonly functions: FunctionRegistry
  readonly workers: ReadonlyMap<string, WorkerConnection>
}

type EngineFunction = (input: unknown, caller: WorkerConnection, context: EngineContext) => E.Either<ErrorBody, unknown>

const CreateChannelInput = t.union([
  t.undefined,
  t.null,
  t.partial({ buffer_size: t.union([t.number, t.null]) }),
])

function invalidInput(functionId: string, errors: t.Errors): ErrorBody {
  return { code: 'invalid_input', message: `${functionId}: ${describeErrors(errors)}` }
}

const createChannel: EngineFunction = (input, caller, { channels }) =>
  pipe(
    CreateChannelInput.decode(input),
    E.mapLeft((errors) => invalidInput('engine::channels::create', errors)),
    E.chain((decoded) => {
      const requested = decoded?.buffer_size ?? undefined
      if (requested !== undefined && (!Number.isInteger(requested) || requested < 1)) {
        return E.left({ code: 'invalid_input', message: `buffer_size must be a whole number >= 1, got ${requested}` })
      }
      return channels.create(requested, caller.id)
    }),
  )

const registerWorker: EngineFunction = (input, caller) => {
  caller.metadata = input
  return E.right(null)
}

const listFunctions: EngineFunction = (_input, _caller, { functions }) => E.right({ functions: functions.list() })

const listWorkers: EngineFunction = (_input, _caller, { workers }) =>
  E.right({
    workers: [...workers.values()].map((worker) => ({
      worker_id: worker.id,
      connected_at: worker.connectedAt.toISOString(),
      functions: [...worker.functions.keys()],
      metadata: worker.metadata ?? null,
    })),
  })

/** Functions the engine serves itself, by id. */
export const engineFunctions: Readonly<Record<string, EngineFunction>> = {
  'engine::channels::create': createChannel,
  'engine::workers::register': registerWorker,
  'engine::functions::list': listFunctions,
  'engine::workers::list': listWorkers,
}
