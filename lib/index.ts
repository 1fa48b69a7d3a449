export { registerWorker } from './sdk/worker'
export type {
  Channel,
  FunctionDefinition,
  FunctionHandler,
  FunctionRef,
  TriggerRequest,
  WorkerClient,
  WorkerOptions,
} from './sdk/worker'
export type { ReconnectPolicy } from './sdk/backoff'
export type { ConnectOptions, TlsConnectOptions } from './socket/connect'
export { ChannelReader, type ChannelEndOptions } from './channel/reader'
export { ChannelWriter, FRAME_SIZE } from './channel/writer'
export { materializeRefs, openChannelEnd, type ChannelEnd } from './channel/refs'
export type { FlowSink } from './flow/sink'
export type { PausableSource } from './flow/source'
export { toReadable } from './node/readable'
export { toWritable } from './node/writable'
export { isChannelRef, type StreamChannelRef, type ChannelDirection } from './protocol/refs'
export type { TriggerAction } from './protocol/messages'
export { CloseCode } from './protocol/close-codes'
export { ChannelError, InvocationError, RxChannelsError, WorkerError } from './errors'
export type { ChannelErrorCode, InvocationErrorCode } from './errors'
export { stderrLogger, silentLogger, type Logger, type LogLevel } from './log'
export {
  startEngine,
  DEFAULT_ENGINE_PORT,
  DEFAULT_LIMITS,
  type Engine,
  type EngineEvent,
  type EngineLimits,
  type EngineOptions,
  type EngineStats,
  type SocketEndpoint,
} from './engine'
