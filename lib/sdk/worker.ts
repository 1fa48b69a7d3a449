import { hostname, platform, release, arch } from 'os'
import * as E from 'fp-ts/Either'
import { randomUUID } from 'crypto'
import { ChannelReader, type ChannelEndOptions } from '../channel/reader'
import { materializeRefs } from '../channel/refs'
import { ChannelWriter } from '../channel/writer'
import type { KeepAliveOptions } from '../channel/keep-alive'
import { firstValueFrom, Subject } from 'rxjs'
import { InvocationError, RegistrationError, WorkerError } from '../errors'
import { CloseCode } from '../protocol/close-codes'
import type { TlsConnectOptions } from '../socket/connect'
import { stderrLogger, type Logger } from '../log'
import { describeErrors } from '../protocol/decode'
import type { EngineToWorker, InvocationResult, InvokeFunction, RegisterFunction, RegistrationRejected, TriggerAction } from '../protocol/messages'
import { ChannelPair, type StreamChannelRef } from '../protocol/refs'
import { backoffDelay, DEFAULT_RECONNECT_POLICY, type ReconnectPolicy } from './backoff'
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
  readonly reconnect?: Partial<ReconnectPolicy>
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
  /** `{ type: 'void' }` sends and forgets: the promise resolves once queued. */
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
   * reserved for a dropped worker (`function_reserved`); rejects with the
   * {@link RegistrationError} of a function the engine refused otherwise.
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
  /** Whether the invocation reached the socket; those in the outbox are sent on reconnect. */
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
  private readonly outbox: Array<{ text: string; invocationId?: string }> = []
  private readonly socket: WorkerSocket
  private readonly logger: Logger
  private readonly channelOptions: ChannelEndOptions
  private readonly invocationTimeoutMs: number
  private stopped = false
  /** Set when the engine refused this worker for good (a wrong token). */
  private refusal?: WorkerError

  constructor(
    url: string,
    private readonly options: WorkerOptions,
  ) {
    this.logger = options.logger ?? stderrLogger('rx-channels worker')
    this.invocationTimeoutMs = options.invocationTimeoutMs ?? 30_000
    this.channelOptions = { engineUrl: url, connect: { tls: options.tls }, keepAlive: options.channelKeepAlive }
    this.retryPolicy = { ...DEFAULT_RECONNECT_POLICY, ...options.reconnect }
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
    if (this.refusal) return Promise.reject(new InvocationError(this.refusal.code, this.refusal.message, function_id))
    if (this.stopped) return Promise.reject(new InvocationError('shutdown', 'the worker has shut down', function_id))
    const message: InvokeFunction = { type: 'invokefunction', function_id, data: payload, action, metadata }
    if (action?.type === 'void') {
      const text = this.serialize(message, function_id)
      if (text instanceof InvocationError) return Promise.reject(text)
      this.sendOrQueue(text)
      return Promise.resolve(undefined as Out)
    }
    const invocationId = randomUUID()
    const text = this.serialize({ ...message, invocation_id: invocationId }, function_id)
    if (text instanceof InvocationError) return Promise.reject(text)
    const timeoutMs = request.timeoutMs ?? this.invocationTimeoutMs
    return new Promise<Out>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.settle(invocationId)?.reject(
          new InvocationError('TIMEOUT', `invocation timed out after ${timeoutMs} ms`, function_id),
        )
      }, timeoutMs)
      const entry: PendingTrigger = { functionId: function_id, resolve: resolve as (result: unknown) => void, reject, timer, sent: false }
      this.pending.set(invocationId, entry)
      entry.sent = this.sendOrQueue(text, invocationId)
    })
  }

  async createChannel(bufferSize?: number): Promise<Channel> {
    const result = await this.trigger({
      function_id: 'engine::channels::create',
      payload: bufferSize === undefined ? {} : { buffer_size: bufferSize },
    })
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
    if (!this.socket.open) {
      await new Promise<void>((resolve, reject) => {
        const subscription = this.socket.connected$.subscribe({
          next: (connected) => {
            if (!connected) return
            resolve()
            queueMicrotask(() => subscription.unsubscribe())
          },
          error: reject,
          complete: () => reject(new WorkerError('shutdown', 'the worker shut down before it connected')),
        })
      })
    }
    for (;;) {
      const sentBefore = this.registrationSends
      await this.roundTrip()
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
    for (const invocationId of [...this.pending.keys()]) {
      const entry = this.settle(invocationId)
      entry?.reject(new InvocationError('shutdown', 'the worker is shutting down', entry.functionId))
    }
    this.outbox.length = 0
    for (const local of this.functions.values()) clearTimeout(local.retryTimer)
    this.registrationSent$.complete()
    this.socket.close()
  }

  /** Frames on one socket are handled in order: once this answers, every frame sent before it has been. */
  private async roundTrip(): Promise<void> {
    try {
      await this.trigger({ function_id: SYNC_FUNCTION_ID, payload: {} })
    } catch (error) {
      if (!(error instanceof InvocationError && error.code === 'function_not_found')) throw error
    }
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

  private sendOrQueue(text: string, invocationId?: string): boolean {
    if (this.socket.send(text)) return true
    this.outbox.push({ text, invocationId })
    return false
  }

  private settle(invocationId: string): PendingTrigger | undefined {
    const entry = this.pending.get(invocationId)
    if (!entry) return undefined
    this.pending.delete(invocationId)
    clearTimeout(entry.timer)
    return entry
  }

  private onConnected(): void {
    if (this.workerId !== undefined && this.reattachToken !== undefined) {
      this.socket.send(JSON.stringify({ type: 'reattach', previous_worker_id: this.workerId, reattach_token: this.reattachToken }))
    }
    for (const local of this.functions.values()) this.sendRegistration(local)
    const queued = this.outbox.splice(0)
    for (const { text, invocationId } of queued) {
      // An invocation that timed out while queued is not sent.
      if (invocationId !== undefined && !this.pending.has(invocationId)) continue
      this.socket.send(text)
      if (invocationId !== undefined) (this.pending.get(invocationId) as PendingTrigger).sent = true
    }
    void this.trigger({
      function_id: 'engine::workers::register',
      payload: {
        runtime: 'node',
        version: SDK_VERSION,
        sdk: 'rx-channels',
        name: this.options.workerName ?? `${hostname()}:${process.pid}`,
        os: `${platform()} ${release()} (${arch()})`,
        pid: process.pid,
      },
      action: { type: 'void' },
    })
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
      entry.reject(new InvocationError(code, message, entry.functionId))
    }
  }

  /** The engine refused this worker for good: nothing queued or pending can be sent. */
  private onRefused(error: WorkerError): void {
    this.refusal = error
    this.outbox.length = 0
    for (const invocationId of [...this.pending.keys()]) {
      const entry = this.settle(invocationId)
      entry?.reject(new InvocationError(error.code, error.message, entry.functionId))
    }
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
      this.sendOrQueue(text)
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
