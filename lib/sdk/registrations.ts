import { firstValueFrom, Subject } from 'rxjs'
import { RegistrationError, WorkerError } from '../errors'
import type { Logger } from '../log'
import type { RegisterFunction, RegistrationRejected } from '../protocol/messages'
import type { FunctionDefinition, FunctionHandler, FunctionRef } from './api'
import { backoffDelay, type ReconnectPolicy } from './backoff'
import type { WorkerSocket } from './worker-socket'

/** A registered function, and where its registration stands with the engine. */
interface LocalFunction {
  readonly registration: RegisterFunction
  readonly handler: FunctionHandler
  refusal?: RegistrationError
  /** Which registration send this was last sent by (see `Registrations.sends`). */
  lastSend: number
  retries: number
  retryTimer?: NodeJS.Timeout
}

/** Refusals that can pass later: the id's owner may leave, a reservation ends. */
const RETRYABLE_REFUSALS: ReadonlySet<string> = new Set(['function_reserved', 'function_already_registered'])

/**
 * Where the registrations stand once the engine has answered a round trip: every function is
 * `live`; one was `resent` since the round trip started (its answer is not known yet); or one
 * is `reserved` for a dropped worker and waits for its retry.
 */
export type RegistrationStanding = 'live' | 'resent' | 'reserved'

/**
 * The functions this worker serves: sent to the engine when registered and again on every
 * connection; a refusal that can pass later is retried with the reconnect backoff.
 */
export class Registrations {
  private readonly functions = new Map<string, LocalFunction>()
  /** Counts registration frames sent, so `standing()` can tell which were sent after a round trip began. */
  private sendCount = 0
  private readonly sent$ = new Subject<void>()

  constructor(
    private readonly socket: WorkerSocket,
    private readonly retryPolicy: ReconnectPolicy,
    private readonly logger: Logger,
  ) {}

  /** How many registration frames have been sent so far. */
  get sends(): number {
    return this.sendCount
  }

  register(definition: string | FunctionDefinition, handler: FunctionHandler): FunctionRef {
    const { id, ...details } = typeof definition === 'string' ? { id: definition } : definition
    if (typeof id !== 'string' || id.trim() === '') throw new WorkerError('invalid_argument', 'a function needs a non-empty id')
    if (this.functions.has(id)) throw new WorkerError('invalid_argument', `function ${id} is already registered by this worker`)
    const local: LocalFunction = { registration: { type: 'registerfunction', id, ...details }, handler, lastSend: 0, retries: 0 }
    this.functions.set(id, local)
    this.send(local)
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

  handlerOf(functionId: string): FunctionHandler | undefined {
    return this.functions.get(functionId)?.handler
  }

  /** Sends every registration again, as a new connection starts with none. */
  sendAll(): void {
    for (const local of this.functions.values()) this.send(local)
  }

  /** Logs a refusal and keeps the function; retries it with backoff where it can pass. */
  onRejected(message: RegistrationRejected): void {
    const { function_id: functionId, code } = message
    const local = this.functions.get(functionId)
    const retrying = local !== undefined && RETRYABLE_REFUSALS.has(code)
    const delay = retrying ? backoffDelay(this.retryPolicy, local.retries++) : 0
    const refusal = new RegistrationError(code, message.message ?? `the engine refused function ${functionId}`, functionId, retrying)
    this.logger.error(`function ${functionId} was refused by the engine: ${refusal.message}${retrying ? `; retrying in ${delay} ms` : ''}`)
    if (!local) return
    local.refusal = refusal
    if (retrying) local.retryTimer = setTimeout(() => this.send(local), delay)
  }

  /**
   * Where the registrations stand after a round trip that began when `sentBefore` registration
   * frames had been sent: refusals of those have arrived before its answer. Throws the
   * refusal of a function refused for good (anything but `function_reserved`).
   */
  standing(sentBefore: number): RegistrationStanding {
    const locals = [...this.functions.values()]
    const refused = locals.filter((local) => local.refusal !== undefined)
    const final = refused.find((local) => local.refusal?.code !== 'function_reserved')
    if (final) throw final.refusal
    if (locals.some((local) => local.lastSend > sentBefore)) return 'resent'
    return refused.length === 0 ? 'live' : 'reserved'
  }

  /** Resolves at the next registration send; rejects once stopped. */
  nextSend(): Promise<void> {
    return firstValueFrom(this.sent$).catch(() => {
      throw new WorkerError('shutdown', 'the worker shut down while a registration waited for its retry')
    })
  }

  /** Cancels pending retries and ends `nextSend()` waits. */
  stop(): void {
    for (const local of this.functions.values()) clearTimeout(local.retryTimer)
    this.sent$.complete()
  }

  private send(local: LocalFunction): void {
    clearTimeout(local.retryTimer)
    local.retryTimer = undefined
    local.refusal = undefined
    local.lastSend = ++this.sendCount
    this.socket.send(JSON.stringify(local.registration))
    this.sent$.next()
  }
}
