import * as E from 'fp-ts/Either'
import { catchError, distinctUntilChanged, EMPTY, filter, firstValueFrom, map, type Observable } from 'rxjs'
import type { ChannelReader } from '../channel/reader'
import { replaceRefs } from '../channel/refs'
import type { ChannelWriter } from '../channel/writer'
import { InvocationError, WorkerError } from '../errors'
import type { Logger } from '../log'
import { describeErrors } from '../protocol/decode'
import type { CreateChannelInput } from '../protocol/engine-functions'
import type { EngineToWorker, InvokeFunction } from '../protocol/messages'
import { ChannelPair } from '../protocol/refs'
import type { Channel, FunctionDefinition, FunctionHandler, FunctionRef, TriggerRequest, WorkerClient, WorkerOptions } from './api'
import { DEFAULT_RECONNECT_POLICY } from './backoff'
import { droppedInvocationError, refusedInvocationError } from './call-errors'
import { InvocationServer } from './invocation-server'
import { Outbox, resolveOutboxLimits } from './outbox'
import { PendingCalls } from './pending-calls'
import type { WorkerPlatform } from './platform'
import { Registrations } from './registrations'
import { WorkerSocket } from './worker-socket'
import { version as SDK_VERSION } from '../../package.json'

/**
 * A round trip whose answer is small on any engine: no engine serves this function, so the
 * answer is a short `function_not_found`, after every frame sent before it has been handled.
 */
const SYNC_FUNCTION_ID = 'engine::rx-channels::sync'

/**
 * The public client over its parts: the socket, the calls it makes ({@link PendingCalls}),
 * the functions it serves ({@link Registrations}, {@link InvocationServer}) and the outbox
 * they share while not connected. What differs in a browser comes from its {@link WorkerPlatform}.
 */
export class Worker<Reader extends ChannelReader, Writer extends ChannelWriter> implements WorkerClient<Reader, Writer> {
  workerId: string | undefined
  readonly engineUrl$: Observable<string | undefined>
  private reattachToken: string | undefined
  /** The engine that issued `workerId` and `reattachToken`: no other engine knows them. */
  private reattachUrl: string | undefined
  private readonly socket: WorkerSocket
  private readonly outbox: Outbox
  private readonly calls: PendingCalls
  private readonly registrations: Registrations
  private readonly server: InvocationServer
  private readonly logger: Logger
  private readonly invocationTimeoutMs: number
  private stopped = false
  /** Set when the client gave up connecting (a wrong token, maxRetries reached). */
  private refusal?: WorkerError

  constructor(
    urls: readonly [string, ...string[]],
    options: WorkerOptions,
    private readonly platform: WorkerPlatform<Reader, Writer>,
  ) {
    this.logger = platform.logger
    this.invocationTimeoutMs = options.invocationTimeoutMs ?? 30_000
    const retryPolicy = { ...DEFAULT_RECONNECT_POLICY, ...options.reconnect }
    this.outbox = new Outbox(resolveOutboxLimits(options.outbox))
    this.socket = new WorkerSocket(urls, {
      transport: platform.transport,
      socketUrl: (engineUrl) => platform.socketUrl(engineUrl),
      reconnect: retryPolicy,
      logger: this.logger,
    })
    this.calls = new PendingCalls(this.socket, this.outbox)
    this.registrations = new Registrations(this.socket, retryPolicy, this.logger)
    const materialize = (input: unknown, engineUrl: string) =>
      replaceRefs(input, (ref) => (ref.direction === 'read' ? platform.reader(ref, engineUrl) : platform.writer(ref, engineUrl)))
    this.server = new InvocationServer((id) => this.registrations.handlerOf(id), this.socket, this.outbox, materialize, this.logger)
    this.engineUrl$ = this.socket.connected$.pipe(
      map((connected) => (connected ? this.socket.url : undefined)),
      distinctUntilChanged(),
      // A client that gave up says why through ready() and its calls; here it just ends.
      catchError(() => EMPTY),
    )
    this.socket.messages$.subscribe({ next: (message) => this.onMessage(message), error: () => undefined })
    this.socket.connected$.subscribe({
      next: (connected) => (connected ? this.onConnected() : this.onDisconnected()),
      // The socket gives up with a WorkerError; anything else is coded as one rather than cast.
      error: (error: unknown) => this.onRefused(error instanceof WorkerError ? error : new WorkerError('engine_unreachable', String(error), { cause: error })),
    })
  }

  get engineUrl(): string | undefined {
    return this.socket.open ? this.socket.url : undefined
  }

  registerFunction(definition: string | FunctionDefinition, handler: FunctionHandler): FunctionRef {
    return this.registrations.register(definition, handler)
  }

  trigger<Out = unknown, In = unknown>(request: TriggerRequest<In>): Promise<Out> {
    const { function_id, payload, action, metadata } = request
    if (this.refusal) return Promise.reject(refusedInvocationError(this.refusal, function_id))
    if (this.stopped) return Promise.reject(new InvocationError('shutdown', 'the worker has shut down', function_id))
    const message: InvokeFunction = { type: 'invokefunction', function_id, data: payload, action, metadata }
    return this.calls.call<Out>(message, request.timeoutMs ?? this.invocationTimeoutMs)
  }

  async createChannel(bufferSize?: number): Promise<Channel<Reader, Writer>> {
    const result = await this.trigger({
      function_id: 'engine::channels::create',
      payload: (bufferSize === undefined ? {} : { buffer_size: bufferSize }) satisfies CreateChannelInput,
    })
    const decoded = ChannelPair.decode(result)
    if (E.isLeft(decoded)) {
      throw new InvocationError('invalid_message', `unexpected channel refs: ${describeErrors(decoded.left)}`, 'engine::channels::create')
    }
    const { writer, reader } = decoded.right
    // The result came over the current connection, from the engine the channel lives on.
    const engineUrl = this.socket.url
    return {
      writer: this.platform.writer(writer, engineUrl),
      reader: this.platform.reader(reader, engineUrl),
      writerRef: writer,
      readerRef: reader,
    }
  }

  async ready(): Promise<void> {
    for (;;) {
      await this.connected()
      const sentBefore = this.registrations.sends
      if (!(await this.roundTrip())) continue
      const standing = this.registrations.standing(sentBefore)
      if (standing === 'live') return
      if (standing === 'reserved') await this.registrations.nextSend()
    }
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    this.calls.failAll((functionId) => new InvocationError('shutdown', 'the worker is shutting down', functionId))
    this.registrations.stop()
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

  private onConnected(): void {
    if (this.workerId !== undefined && this.reattachToken !== undefined && this.reattachUrl === this.socket.url) {
      this.socket.send(JSON.stringify({ type: 'reattach', previous_worker_id: this.workerId, reattach_token: this.reattachToken }))
    }
    this.registrations.sendAll()
    // Held invocations and results, in the order they were made.
    for (const [key, text] of this.outbox.takeAll()) {
      this.socket.send(text)
      this.calls.onSent(key)
    }
    this.socket.send(JSON.stringify(this.workerRegistration()))
  }

  /** Results of invocations already sent cannot come back over a new connection. */
  private onDisconnected(): void {
    const drop = this.socket.lastDrop
    this.calls.failSent((functionId) => droppedInvocationError(drop, functionId))
  }

  /** The client gave up connecting: nothing queued or pending can be sent. */
  private onRefused(error: WorkerError): void {
    this.refusal = error
    this.calls.failAll((functionId) => refusedInvocationError(error, functionId))
  }

  private onMessage(message: EngineToWorker): void {
    switch (message.type) {
      case 'workerregistered':
        this.workerId = message.worker_id
        this.reattachToken = message.reattach_token
        this.reattachUrl = this.socket.url
        return
      case 'invocationresult':
        this.calls.onResult(message)
        return
      case 'invokefunction':
        // Refs in the input are opened through the engine that sent it.
        void this.server.serve(message, this.socket.url)
        return
      case 'registrationrejected':
        this.registrations.onRejected(message)
        return
      case 'protocolerror':
        this.logger.error(`the engine rejected a frame: ${message.message}`)
        return
    }
  }

  /** Tells the engine who this worker is, for `engine::workers::list`; sent and forgotten. */
  private workerRegistration(): InvokeFunction {
    return {
      type: 'invokefunction',
      function_id: 'engine::workers::register',
      data: { ...this.platform.description, version: SDK_VERSION, sdk: 'rx-channels' },
      action: { type: 'void' },
    }
  }
}
