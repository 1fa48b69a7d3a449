import * as t from 'io-ts'

/**
 * Codecs for the control messages of the worker socket (protocol sections 1 and 2).
 * Each codec is the single source of truth for its message: the static type is derived
 * from it. `t.type` keeps unknown fields, so a message can be forwarded unchanged; a message
 * the engine stores and shows to other workers (a registration) is exact instead, so fields
 * the protocol does not define are dropped when it is decoded.
 */

const optionalTrace = t.partial({
  traceparent: t.string,
  baggage: t.string,
  metadata: t.unknown,
})

export const ErrorBody = t.intersection([
  t.type({ code: t.string, message: t.string }),
  t.partial({ stacktrace: t.string }),
])
export type ErrorBody = t.TypeOf<typeof ErrorBody>

export const TriggerAction = t.union([
  t.type({ type: t.literal('void') }),
  t.type({ type: t.literal('enqueue'), queue: t.string }),
])
export type TriggerAction = t.TypeOf<typeof TriggerAction>

/** What a registration says of its function besides its id; `engine::functions::list` shows the same. */
export const FunctionDetails = t.partial({
  description: t.string,
  request_format: t.unknown,
  response_format: t.unknown,
  metadata: t.unknown,
  invocation: t.unknown,
})
export type FunctionDetails = t.TypeOf<typeof FunctionDetails>

/** Exact: the engine stores a registration and lists it to every worker, so it keeps only these fields. */
export const RegisterFunction = t.exact(t.intersection([t.type({ type: t.literal('registerfunction'), id: t.string }), FunctionDetails]))
export type RegisterFunction = t.TypeOf<typeof RegisterFunction>

export const UnregisterFunction = t.type({ type: t.literal('unregisterfunction'), id: t.string })
export type UnregisterFunction = t.TypeOf<typeof UnregisterFunction>

export const InvokeFunction = t.intersection([
  t.type({ type: t.literal('invokefunction'), function_id: t.string }),
  t.partial({ invocation_id: t.string, data: t.unknown, action: TriggerAction }),
  optionalTrace,
])
export type InvokeFunction = t.TypeOf<typeof InvokeFunction>

export const InvocationResult = t.intersection([
  t.type({ type: t.literal('invocationresult'), invocation_id: t.string }),
  t.partial({ function_id: t.string, result: t.unknown, error: ErrorBody }),
  optionalTrace,
])
export type InvocationResult = t.TypeOf<typeof InvocationResult>

export const WorkerRegistered = t.type({
  type: t.literal('workerregistered'),
  worker_id: t.string,
  reattach_token: t.string,
})
export type WorkerRegistered = t.TypeOf<typeof WorkerRegistered>

export const Reattach = t.type({
  type: t.literal('reattach'),
  previous_worker_id: t.string,
  reattach_token: t.string,
})
export type Reattach = t.TypeOf<typeof Reattach>

/** `owner_worker_id` names the worker that owns (or is owed) the id; refusals for a limit name none. */
export const RegistrationRejected = t.intersection([
  t.type({
    type: t.literal('registrationrejected'),
    code: t.string,
    function_id: t.string,
  }),
  t.partial({ owner_worker_id: t.string, message: t.string }),
])
export type RegistrationRejected = t.TypeOf<typeof RegistrationRejected>

/** Sent by our engine in answer to a frame it could not decode; compatible clients ignore it. */
export const ProtocolErrorMessage = t.type({
  type: t.literal('protocolerror'),
  code: t.string,
  message: t.string,
})
export type ProtocolErrorMessage = t.TypeOf<typeof ProtocolErrorMessage>

/** What a worker may send to the engine. */
export const WorkerToEngine = {
  registerfunction: RegisterFunction,
  unregisterfunction: UnregisterFunction,
  invokefunction: InvokeFunction,
  invocationresult: InvocationResult,
  reattach: Reattach,
} as const
export type WorkerToEngine = t.TypeOf<(typeof WorkerToEngine)[keyof typeof WorkerToEngine]>

/** What the engine may send to a worker. */
export const EngineToWorker = {
  workerregistered: WorkerRegistered,
  invokefunction: InvokeFunction,
  invocationresult: InvocationResult,
  registrationrejected: RegistrationRejected,
  protocolerror: ProtocolErrorMessage,
} as const
export type EngineToWorker = t.TypeOf<(typeof EngineToWorker)[keyof typeof EngineToWorker]>
