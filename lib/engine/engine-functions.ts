import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import { CreateChannelInput, type ChannelList, type FunctionList, type WorkerList } from '../protocol/engine-functions'
import type { ErrorBody } from '../protocol/messages'
import { invalidInput } from './invalid-input'
import { jsonBytes } from './json-bytes'
import { workerName } from './log-words'
import { decodePageRequest, withCursor } from './list-page'
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

const createChannel: EngineFunction = (input, caller, { channels }) =>
  pipe(
    CreateChannelInput.decode(input),
    E.mapLeft((errors) => invalidInput('engine::channels::create', errors)),
    E.chain((decoded) => {
      const requested = decoded?.buffer_size ?? undefined
      if (requested !== undefined && (!Number.isInteger(requested) || requested < 1)) {
        return E.left({ code: 'invalid_input', message: `buffer_size must be a whole number >= 1, got ${requested}` })
      }
      return channels.create(requested, caller)
    }),
  )

/** Worker metadata is bounded as registrations are: every listing of workers carries it. */
const registerWorker: EngineFunction = (input, caller, { functions }) => {
  const { maxRegistrationBytes } = functions.limits
  const size = jsonBytes(input)
  if (size === undefined || size > maxRegistrationBytes) {
    return E.left({
      code: 'registration_too_large',
      message: `worker metadata must be JSON of at most ${maxRegistrationBytes} bytes (maxRegistrationBytes)${size === undefined ? '; it cannot be serialized' : `, got ${size}`}`,
    })
  }
  caller.metadata = input
  caller.name = workerName(input)
  functions.described(caller)
  return E.right(null)
}

const listFunctions: EngineFunction = (input, _caller, { functions }) =>
  pipe(
    decodePageRequest('engine::functions::list', input),
    E.map(({ cursor, bounds }): FunctionList => {
      const page = functions.listFunctions(cursor, bounds)
      return withCursor({ functions: page.items }, page.nextCursor)
    }),
  )

const listWorkers: EngineFunction = (input, _caller, { functions }) =>
  pipe(
    decodePageRequest('engine::workers::list', input),
    E.map(({ cursor, bounds }): WorkerList => {
      const page = functions.listWorkers(cursor, bounds)
      return withCursor({ workers: page.items }, page.nextCursor)
    }),
  )

/** The channels this engine holds (on a cluster node, those that live on it), with their counts; never their keys. */
const listChannels: EngineFunction = (input, _caller, { channels }) =>
  pipe(
    decodePageRequest('engine::channels::list', input),
    E.map(({ cursor, bounds }): ChannelList => {
      const page = channels.list(cursor, bounds)
      return withCursor({ channels: page.items }, page.nextCursor)
    }),
  )

/** Functions the engine serves itself, by id. */
export const engineFunctions: Readonly<Record<string, EngineFunction>> = {
  'engine::channels::create': createChannel,
  'engine::workers::register': registerWorker,
  'engine::functions::list': listFunctions,
  'engine::workers::list': listWorkers,
  'engine::channels::list': listChannels,
}
