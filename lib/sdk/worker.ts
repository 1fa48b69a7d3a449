import { hostname, platform, release, arch } from 'os'
import * as E from 'fp-ts/Either'
import { randomUUID } from 'crypto'
import type { ChannelEndOptions } from '../channel/reader'
// The ends with their Node streams: the SDK runs on Node.
import { materializeRefs, NodeChannelReader as ChannelReader, NodeChannelWriter as ChannelWriter } from '../node/channel-ends'
import type { KeepAliveOptions } from '../channel/keep-alive'
import { filter, firstValueFrom, Subject } from 'rxjs'
import { InvocationError, RegistrationError, WorkerError } from '../errors'
import { CloseCode } from '../protocol/close-codes'
import { redactUrl, type TlsConnectOptions } from '../socket/connect'
import { stderrLogger, type Logger } from '../log'
import { describeErrors } from '../protocol/decode'
import type { CreateChannelInput } from '../protocol/engine-functions'
import type { EngineToWorker, InvocationResult, InvokeFunction, RegisterFunction, RegistrationRejected, TriggerAction } from '../protocol/messages'
import { ChannelPair, type StreamChannelRef } from '../protocol/refs'
import { backoffDelay, DEFAULT_RECONNECT_POLICY, type ReconnectPolicy } from './backoff'
import { Outbox, resolveOutboxLimits, type OutboxLimits } from './outbox'
import { WorkerSocket } from './worker-socket'
import { version as SDK_VERSION } from '../../package.json'

export interface WorkerOptions {
  /** Shown in `engine::workers::list`. Default `hostname:pid`. */
  readonly workerName?: string
  /** Extra HTTP headers on the worker socket's upgrade. */
  readonly headers?: Record<string, string>
  /**
   * The engine's worker token, sent as `Authorization: Bearer <token>` on the worker socket
   * (channel sockets carry their own keys). An engine that refuses it is not retried.
   */
  readonly token?: string
  /** For wss:// engines: certificates to trust (`ca`), for worker and channel sockets alike. */
  readonly tls?: TlsConnectOptions
  /** How long `trigger()` waits for a result by default. Default 30 s. */
  readonly invocationTimeoutMs?: number
  /**
   * Overrides of the reconnect backoff. With `maxRetries` (default -1, forever) the client gives
   * up after that many failed attempts in a row: `ready()` and every unsent trigger reject with
   * `engine_unreachable`.
   */
  readonly reconnect?: Partial<ReconnectPolicy>
  /**
   * What the client holds while not connected (default 1000 frames, 16 MiB); a trigger past it
   * is refused with `outbox_full`.
   */
  readonly outbox?: Partial<OutboxLimits>
  readonly logger?: Logger
  /** Pings from this worker's channel ends, and how long the engine may show them no progress. */
  readonly channelKeepAlive?: KeepAliveOptions
}

/** What a function is registered with: an id and optional descriptions shown in listings. */
export interface FunctionDefinition {
  readonly id: string
  readonly description?: string
  readonly request_format?: unknown
  readonly response_format?: unknown
  readonly metadata?: unknown
}

/**
 * A function's handler. Channel refs anywhere in `input` arrive as live
 * {@link ChannelReader}/{@link ChannelWriter} objects; the result is sent back as JSON.
 */
// `any` by default so a handler can declare the input type it expects.
export type FunctionHandler<In = any, Out = unknown> = (input: In, metadata?: unknown) => Out | Promise<Out>

export interface FunctionRef {
  readonly id: string
  /**
   * Why the engine refused the latest registration of this function, if it did; undefined once
   * it is sent again. A `retrying` refusal is retried with the reconnect backoff.
   */
  readonly refusal: RegistrationError | undefined
  unregister(): void
}

export interface TriggerRequest<P = unknown> {
  readonly function_id: string
  readonly payload?: P
  /** Default: the worker's `invocationTimeoutMs`. */
  readonly timeoutMs?: number
  /**
   * `{ type: 'void' }` sends and forgets: the promise resolves once the frame is handed to a
   * connected socket (at once when connected), and rejects if it never is (`not_connected`
   * after `timeoutMs`, `outbox_full`, `engine_unreachable`, `shutdown`).
   */
  readonly action?: TriggerAction
  readonly metadata?: unknown
}

/** Both ends of a new channel, live and as refs to hand to another function. */
export interface Channel {
  readonly writer: ChannelWriter
  readonly reader: ChannelReader
  readonly writerRef: StreamChannelRef
  readonly readerRef: StreamChannelRef
}

export interface WorkerClient {
  /** The id the engine gave this connection, once connected. */
  readonly workerId: string | undefined
  registerFunction(definition: string | FunctionDefinition, handler: FunctionHandler): FunctionRef
  trigger<Out = unknown, In = unknown>(request: TriggerRequest<In>): Promise<Out>
  /** Creates a channel; `bufferSize` is how many frames the engine may hold for it (default 64). */
  createChannel(bufferSize?: number): Promise<Channel>
  /**
   * Resolves once connected and the engine has answered a round trip, so every function
   * registered before the call is live at the engine. Waits while a function's id is
   * reserved for a dropped worker (`function_reserved`), and through reconnects; rejects with
   * the {@link RegistrationError} of a function the engine refused otherwise, or with the
   * {@link WorkerError} with which the client gave up connecting (`unauthorized`,
   * `engine_unreachable`; its `cause` is the last connection error).
   */
  ready(): Promise<void>
  /** Fails pending invocations, closes the connection and stops reconnecting. */
  shutdown(): Promise<void>
}

interface PendingTrigger {
  readonly functionId: string
  readonly resolve: (result: unknown) => void
  readonly reject: (error: InvocationError) => void
  readonly timer: NodeJS.Timeout
  /** Fire-and-forget: settled once sent, as no result comes back. */
  readonly forget: boolean
  /** Whether the invocation reached the socket; until then it waits in the outbox under the same id. */
  sent: boolean
}

/** A registered function, and where its registration stands with the engine. */
interface LocalFunction {
  readonly registration: RegisterFunction
  readonly handler: FunctionHandler
  refusal?: RegistrationError
  /** Which registration send this was last sent by (see `Worker.registrationSends`). */
  lastSend: number
  retries: number
  retryTimer?: NodeJS.Timeout
}

/** Refusals that can pass later: the id's owner may leave, a reservation ends. */
const RETRYABLE_REFUSALS: ReadonlySet<string> = new Set(['function_reserved', 'function_already_registered'])

/**
 * A round trip whose answer is small on any engine: no engine serves this function, so the
 * answer is a short `function_not_found`, after every frame sent before it has been handled.
 */
const SYNC_FUNCTION_ID = 'engine::rx-channels::sync'

/**
 * Connects a worker process to an engine. Returns at once; the connection opens in the
 * background, and registrations and invocations made before it opens are sent when it does.
 */
export function registerWorker(url: string, options: WorkerOptions = {}): WorkerClient {
  return new Worker(url, options)
}

class Worker implements WorkerClient {
  workerId: string | undefined
  private reattachToken: string | undefined
  private readonly functions = new Map<string, LocalFunction>()
  /** Counts registration frames sent, so `ready()` can tell which were sent after its round trip. */
  private registrationSends = 0
  private readonly registrationSent$ = new Subject<void>()
  private readonly retryPolicy: ReconnectPolicy
  private readonly pending = new Map<string, PendingTrigger>()
  private readonly outbox: Outbox
  private readonly socket: WorkerSocket
  private readonly logger: Logger
  private readonly channelOptions: ChannelEndOptions
  private readonly invocationTimeoutMs: number
  private stopped = false
  /** Set when the client gave up connecting (a wrong token, maxRetries reached). */
  private refusal?: WorkerError

  constructor(
    private readonly url: string,
    private readonly options: WorkerOptions,
  ) {
    this.logger = options.logger ?? stderrLogger('rx-channels worker')
    this.invocationTimeoutMs = options.invocationTimeoutMs ?? 30_000
    this.channelOptions = { engineUrl: url, connect: { tls: options.tls }, keepAlive: options.channelKeepAlive }
    this.retryPolicy = { ...DEFAULT_RECONNECT_POLICY, ...options.reconnect }
    this.outbox = new Outbox(resolveOutboxLimits(options.outbox))
    this.socket = new WorkerSocket(url, {
      headers: options.token === undefined ? options.headers : { ...options.headers, authorization: `Bearer ${options.token}` },
      tls: options.tls,
      reconnect: this.retryPolicy,
      logger: this.logger,
    })
    this.socket.messages$.subscribe({ next: (message) => this.onMessage(message), error: () => undefined })
    this.socket.connected$.subscribe({
      next: (connected) => (connected ? this.onConnected() : this.onDisconnected()),
      error: (error: WorkerError) => this.onRefused(error),
    })
  }

  registerFunction(definition: string | FunctionDefinition, handler: FunctionHandler): FunctionRef {
    const { id, ...details } = typeof definition === 'string' ? { id: definition } : definition
    if (typeof id !== 'string' || id.trim() === '') throw new WorkerError('invalid_argument', 'a function needs a non-empty id')
    if (this.functions.has(id)) throw new WorkerError('invalid_argument', `function ${id} is already registered by this worker`)
    const local: LocalFunction = { registration: { type: 'registerfunction', id, ...details }, handler, lastSend: 0, retries: 0 }
    this.functions.set(id, local)
    this.sendRegistration(local)
    return {
      id,
      get refusal() {
        return local.refusal
      },
      unregister: () => {
        if (this.functions.get(id) !== local) return
        clearTimeout(local.retryTimer)
        this.functions.delete(id)
        this.socket.send(JSON.stringify({ type: 'unregisterfunction', id }))
      },
    }
  }

  trigger<Out = unknown, In = unknown>(request: TriggerRequest<In>): Promise<Out> {
    const { function_id, payload, action, metadata } = request
    if (this.refusal) return Promise.reject(this.refusedInvocation(this.refusal, function_id))
    if (this.stopped) return Promise.reject(new InvocationError('shutdown', 'the worker has shut down', function_id))
    const forget = action?.type === 'void'
    // A fire-and-forget call has no invocation_id on the wire; the id keys its outbox entry.
    const invocationId = randomUUID()
    const message: InvokeFunction = { type: 'invokefunction', function_id, data: payload, action, metadata }
    const text = this.serialize(forget ? message : { ...message, invocation_id: invocationId }, function_id)
    if (text instanceof InvocationError) return Promise.reject(text)
    const timeoutMs = request.timeoutMs ?? this.invocationTimeoutMs
    return new Promise<Out>((resolve, reject) => {
      const timer = setTimeout(() => this.onTimeout(invocationId, timeoutMs), timeoutMs)
      this.pending.set(invocationId, { functionId: function_id, resolve: resolve as (result: unknown) => void, reject, timer, forget, sent: false })
      if (this.socket.send(text)) this.onSent(invocationId)
      else if (!this.outbox.add(invocationId, text)) this.settle(invocationId)?.reject(this.outboxFull(function_id))
    })
  }

  async createChannel(bufferSize?: number): Promise<Channel> {
    const result = await this.trigger({
      function_id: 'engine::channels::create',
      payload: (bufferSize === undefined ? {} : { buffer_size: bufferSize }) satisfies CreateChannelInput,
    })
    // Only the refs: the rest of the answer (`buffer_size`, see CreatedChannel) is not needed here.
    const decoded = ChannelPair.decode(result)
    if (E.isLeft(decoded)) {
      throw new InvocationError('invalid_message', `unexpected channel refs: ${describeErrors(decoded.left)}`, 'engine::channels::create')
    }
    const { writer, reader } = decoded.right
    return {
      writer: new ChannelWriter(writer, this.channelOptions),
      reader: new ChannelReader(reader, this.channelOptions),
      writerRef: writer,
      readerRef: reader,
    }
  }

  async ready(): Promise<void> {
    for (;;) {
      await this.connected()
      const sentBefore = this.registrationSends
      if (!(await this.roundTrip())) continue
      // Refusals of registrations sent before the round trip have arrived before its answer.
      const locals = [...this.functions.values()]
      const refused = locals.filter((local) => local.refusal !== undefined)
      const final = refused.find((local) => local.refusal?.code !== 'function_reserved')
      if (final) throw final.refusal
      const undecided = locals.some((local) => local.lastSend > sentBefore)
      if (refused.length === 0 && !undecided) return
      if (!undecided) await this.nextRegistrationSend()
    }
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    this.failAll((functionId) => new InvocationError('shutdown', 'the worker is shutting down', functionId))
    for (const local of this.functions.values()) clearTimeout(local.retryTimer)
    this.registrationSent$.complete()
    this.socket.close()
  }

  /** Resolves once connected; rejects with the WorkerError of a client that gave up, or once shut down. */
  private async connected(): Promise<void> {
    const connected = await firstValueFrom(this.socket.connected$.pipe(filter(Boolean)), { defaultValue: false })
    if (!connected) throw new WorkerError('shutdown', 'the worker shut down before it connected')
  }

  /**
   * Frames on one socket are handled in order: once this answers, every frame sent before it
   * has been. False when the connection dropped first (the caller waits for the next one).
   */
  private async roundTrip(): Promise<boolean> {
    try {
      await this.trigger({ function_id: SYNC_FUNCTION_ID, payload: {} })
    } catch (error) {
      if (this.refusal) throw this.refusal
      if (!(error instanceof InvocationError)) throw error
      // Failed by a drop (not answered by an engine that is shutting down): wait for the next connection.
      if (!this.socket.open && (error.code === 'connection_lost' || error.code === 'engine_shutting_down')) return false
      if (error.code !== 'function_not_found') throw error
    }
    return true
  }

  private nextRegistrationSend(): Promise<void> {
    return firstValueFrom(this.registrationSent$).catch(() => {
      throw new WorkerError('shutdown', 'the worker shut down while a registration waited for its retry')
    })
  }

  private sendRegistration(local: LocalFunction): void {
    clearTimeout(local.retryTimer)
    local.retryTimer = undefined
    local.refusal = undefined
    local.lastSend = ++this.registrationSends
    this.socket.send(JSON.stringify(local.registration))
    this.registrationSent$.next()
  }

  /** Logs a refusal and keeps the function; retries it with backoff where it can pass. */
  private onRegistrationRejected(message: RegistrationRejected): void {
    const { function_id: functionId, code } = message
    const local = this.functions.get(functionId)
    const retrying = local !== undefined && RETRYABLE_REFUSALS.has(code)
    const delay = retrying ? backoffDelay(this.retryPolicy, local.retries++) : 0
    const refusal = new RegistrationError(code, message.message ?? `the engine refused function ${functionId}`, functionId, retrying)
    this.logger.error(`function ${functionId} was refused by the engine: ${refusal.message}${retrying ? `; retrying in ${delay} ms` : ''}`)
    if (!local) return
    local.refusal = refusal
    if (retrying) local.retryTimer = setTimeout(() => this.sendRegistration(local), delay)
  }

  private serialize(message: InvokeFunction, functionId: string): string | InvocationError {
    try {
      return JSON.stringify(message)
    } catch (error) {
      return new InvocationError('invalid_argument', `payload is not JSON-serializable: ${(error as Error).message}`, functionId)
    }
  }

  /** Takes the invocation out of `pending` and the outbox, so nothing sends or settles it again. */
  private settle(invocationId: string): PendingTrigger | undefined {
    const entry = this.pending.get(invocationId)
    if (!entry) return undefined
    this.pending.delete(invocationId)
    this.outbox.remove(invocationId)
    clearTimeout(entry.timer)
    return entry
  }

  /** The frame reached the socket: a fire-and-forget call is done, others now wait for their result. */
  private onSent(invocationId: string): void {
    const entry = this.pending.get(invocationId)
    if (!entry) return
    if (entry.forget) this.settle(invocationId)?.resolve(undefined)
    else entry.sent = true
  }

  /** An invocation still in the outbox was never sent: it says so, and why, rather than TIMEOUT. */
  private onTimeout(invocationId: string, timeoutMs: number): void {
    const entry = this.settle(invocationId)
    if (!entry) return
    if (entry.sent) {
      entry.reject(new InvocationError('TIMEOUT', `invocation timed out after ${timeoutMs} ms`, entry.functionId))
      return
    }
    const cause = this.socket.lastConnectionError
    const why = cause ? `the engine at ${redactUrl(this.url)} cannot be reached: ${cause.message}` : `the connection to the engine at ${redactUrl(this.url)} is not open`
    entry.reject(new InvocationError('not_connected', `not sent within ${timeoutMs} ms: ${why}`, entry.functionId, undefined, { cause }))
  }

  private outboxFull(functionId: string): InvocationError {
    const { maxEntries, maxBytes } = this.outbox.limits
    const cause = this.socket.lastConnectionError
    return new InvocationError(
      'outbox_full',
      `not connected, and the outbox already holds ${this.outbox.size} frames of ${this.outbox.bytes} bytes ` +
        `(outbox.maxEntries ${maxEntries}, outbox.maxBytes ${maxBytes})${cause ? `; last connection error: ${cause.message}` : ''}`,
      functionId,
      undefined,
      { cause },
    )
  }

  private refusedInvocation(refusal: WorkerError, functionId: string): InvocationError {
    return new InvocationError(refusal.code, refusal.message, functionId, undefined, { cause: refusal.cause })
  }

  /** Rejects every pending invocation, sent or queued, and empties the outbox. */
  private failAll(errorFor: (functionId: string) => InvocationError): void {
    for (const invocationId of [...this.pending.keys()]) {
      const entry = this.settle(invocationId)
      entry?.reject(errorFor(entry.functionId))
    }
    this.outbox.takeAll()
  }

  private onConnected(): void {
    if (this.workerId !== undefined && this.reattachToken !== undefined) {
      this.socket.send(JSON.stringify({ type: 'reattach', previous_worker_id: this.workerId, reattach_token: this.reattachToken }))
    }
    for (const local of this.functions.values()) this.sendRegistration(local)
    for (const [key, text] of this.outbox.takeAll()) {
      this.socket.send(text)
      this.onSent(key)
    }
    const register: InvokeFunction = {
      type: 'invokefunction',
      function_id: 'engine::workers::register',
      data: {
        runtime: 'node',
        version: SDK_VERSION,
        sdk: 'rx-channels',
        name: this.options.workerName ?? `${hostname()}:${process.pid}`,
        os: `${platform()} ${release()} (${arch()})`,
        pid: process.pid,
      },
      action: { type: 'void' },
    }
    this.socket.send(JSON.stringify(register))
  }

  /** Results of invocations already sent cannot come back over a new connection. */
  private onDisconnected(): void {
    const drop = this.socket.lastDrop
    const [code, message] =
      drop?.closeCode === CloseCode.GoingAway
        ? ['engine_shutting_down', `the engine closed the connection: ${drop.reason}`]
        : ['connection_lost', `the connection to the engine was lost before the result arrived${drop ? ` (${drop.reason})` : ''}`]
    for (const [invocationId, entry] of [...this.pending]) {
      if (!entry.sent) continue
      this.settle(invocationId)
      entry.reject(new InvocationError(code, message, entry.functionId, undefined, { cause: drop?.cause }))
    }
  }

  /** The client gave up connecting: nothing queued or pending can be sent. */
  private onRefused(error: WorkerError): void {
    this.refusal = error
    this.failAll((functionId) => this.refusedInvocation(error, functionId))
  }

  private onMessage(message: EngineToWorker): void {
    switch (message.type) {
      case 'workerregistered':
        this.workerId = message.worker_id
        this.reattachToken = message.reattach_token
        return
      case 'invocationresult':
        this.onResult(message)
        return
      case 'invokefunction':
        void this.onInvoke(message)
        return
      case 'registrationrejected':
        this.onRegistrationRejected(message)
        return
      case 'protocolerror':
        this.logger.error(`the engine rejected a frame: ${message.message}`)
        return
    }
  }

  private onResult(result: InvocationResult): void {
    const entry = this.settle(result.invocation_id)
    if (!entry) return
    if (result.error) {
      entry.reject(new InvocationError(result.error.code, result.error.message, entry.functionId, result.error.stacktrace))
    } else {
      entry.resolve(result.result)
    }
  }

  private async onInvoke(message: InvokeFunction): Promise<void> {
    const { invocation_id: invocationId, function_id: functionId } = message
    const awaited = invocationId !== undefined && message.action?.type !== 'void'
    const reply = (body: Pick<InvocationResult, 'result' | 'error'>) => {
      if (!awaited) {
        if (body.error) this.logger.warn(`fire-and-forget ${functionId} failed: ${body.error.message}`)
        return
      }
      const result: InvocationResult = { type: 'invocationresult', invocation_id: invocationId, function_id: functionId, ...body }
      let text: string
      try {
        text = JSON.stringify(result)
      } catch (error) {
        text = JSON.stringify({
          ...result,
          result: undefined,
          error: { code: 'invocation_failed', message: `result is not JSON-serializable: ${(error as Error).message}` },
        })
      }
      if (this.socket.send(text) || this.outbox.add(randomUUID(), text)) return
      this.logger.warn(`dropped the result of ${functionId}: not connected, and the outbox is full`)
    }

    const registered = this.functions.get(functionId)
    if (!registered) {
      reply({ error: { code: 'function_not_found', message: `function ${functionId} is not registered on this worker` } })
      return
    }
    try {
      const input = materializeRefs(message.data, this.channelOptions)
      reply({ result: await registered.handler(input, message.metadata) })
    } catch (error) {
      const failed = error instanceof Error ? error : new Error(String(error))
      reply({ error: { code: 'invocation_failed', message: failed.message, stacktrace: failed.stack } })
    }
  }
}
