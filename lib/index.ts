export { registerWorker } from './sdk/worker'
export type {
  Channel,
  EngineUrls,
  FunctionDefinition,
  FunctionHandler,
  FunctionRef,
  TriggerRequest,
  WorkerClient,
  WorkerOptions,
} from './sdk/worker'
export type { ReconnectPolicy } from './sdk/backoff'
export type { OutboxLimits } from './sdk/outbox'
export type { ConnectOptions, TlsConnectOptions } from './socket/connect'
// The ends with their Node streams (lib/node/channel-ends.ts); lib/channel holds the core without Node.
export { NodeChannelReader as ChannelReader, NodeChannelWriter as ChannelWriter, materializeRefs, openChannelEnd, type ChannelEnd } from './node/channel-ends'
export type { ChannelEndOptions } from './channel/reader'
export { FRAME_SIZE } from './channel/writer'
export type { KeepAliveOptions } from './channel/keep-alive'
export { Flow } from './flow/flow'
export type { FlowSink } from './flow/sink'
export type { PausableSource } from './flow/source'
export { fromAsyncIterable } from './flow/from-async-iterable'
export { fromPausable } from './flow/from-pausable'
export { countBytes, type ByteProgress } from './operators/count-bytes'
export { decodeJson } from './operators/decode-json'
export { decodeUtf8 } from './operators/decode-utf8'
export { encodeJson } from './operators/encode-json'
export { encodeNdjson } from './operators/encode-ndjson'
export { parseNdjson } from './operators/parse-ndjson'
export { rechunk } from './operators/rechunk'
export { splitLines } from './operators/split-lines'
export { fromReadable, toReadable } from './node/readable'
export { fromWritable, toWritable } from './node/writable'
export { fromReadableStream, toReadableStream } from './web/readable-stream'
export { fromWritableStream, toWritableStream } from './web/writable-stream'
export { isChannelRef, type StreamChannelRef, type ChannelDirection } from './protocol/refs'
export type { TriggerAction } from './protocol/messages'
export { CloseCode } from './protocol/close-codes'
export { ChannelError, ConnectionError, DecodeError, InvocationError, RegistrationError, RxChannelsError, StreamError, WorkerError } from './errors'
export type { ChannelErrorCode, ConnectionErrorCode, InvocationErrorCode, RegistrationErrorCode, StreamErrorCode, WorkerErrorCode } from './errors'
export { stderrLogger, silentLogger, type LogFields, type LogFormat, type Logger, type LogLevel } from './log'
export {
  startEngine,
  DEFAULT_ENGINE_PORT,
  DEFAULT_LIMITS,
  type ClusterOptions,
  type Engine,
  type EngineEvent,
  type EngineLimits,
  type EngineOptions,
  type EngineStats,
  type InvocationOutcomeKind,
  type ListedChannel,
  type ListedChannelEnd,
  type SocketEndpoint,
  type TelemetryDropReason,
  type TelemetrySignal,
} from './engine'
