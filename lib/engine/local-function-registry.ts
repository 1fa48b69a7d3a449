import type { ListedFunction, ListedWorker } from '../protocol/engine-functions'
import type { RegisterFunction } from '../protocol/messages'
import { jsonBytes } from './json-bytes'
import { listedWorker } from './listed-worker'
import type { FunctionRegistry, Refusal, RegistryLimits } from './function-registry'
import { PagedIndex, type Page, type PageBounds, type Slot } from './paged-index'
import { listedDetails } from './redact'
import { secretsMatch } from './secrets'
import type { WorkerConnection } from './worker-connection'

interface FunctionEntry {
  owner: WorkerConnection
  registration: RegisterFunction
  /** Without `function_id` and `worker_id`, and with the invocation headers redacted. */
  listed: Omit<ListedFunction, 'function_id' | 'worker_id'>
  listedBytes: number
  /** The size of the registration's details as JSON, counted against its owner's allowance. */
  bytes: number
  readonly slot: Slot<string>
}

/** The functions of a worker that dropped without a clean close, held for its reattach. */
interface Reservation {
  readonly workerId: string
  readonly token: string
  readonly expiresAt: number
  readonly registrations: RegisterFunction[]
}

/**
 * The function registry of one engine on its own, in memory: which live worker owns each
 * function id, the workers in the order they connected, and the ids of workers that dropped
 * without a clean close, reserved for them for a grace period. Listings are paged (see
 * {@link PagedIndex}), so a call costs one page at any registry size.
 */
export class LocalFunctionRegistry implements FunctionRegistry {
  private readonly entries = new Map<string, FunctionEntry>()
  private readonly order = new PagedIndex<string>()
  private readonly workerOrder = new PagedIndex<WorkerConnection>()
  private readonly workerSlots = new Map<WorkerConnection, Slot<WorkerConnection>>()
  private readonly bytesByWorker = new Map<WorkerConnection, number>()
  private readonly reservedIds = new Map<string, Reservation>()
  private readonly reservations = new Map<string, Reservation>()
  /** Oldest first: reservations all last as long, so this is also their order of expiry. */
  private expiries: Reservation[] = []

  constructor(
    readonly limits: RegistryLimits,
    private readonly now: () => number,
  ) {}

  get size(): number {
    return this.entries.size
  }

  owner(functionId: string): WorkerConnection | undefined {
    return this.entries.get(functionId)?.owner
  }

  join(worker: WorkerConnection): void {
    this.workerSlots.set(worker, this.workerOrder.add(worker))
  }

  described(_worker: WorkerConnection): void {
    // Workers are listed from their connections, which hold their metadata.
  }

  register(worker: WorkerConnection, registration: RegisterFunction): Refusal | undefined {
    this.expireReservations()
    const { id } = registration
    const idBytes = Buffer.byteLength(id, 'utf8')
    if (idBytes > this.limits.maxFunctionIdBytes) {
      return { code: 'function_id_too_long', message: `the function id is ${idBytes} bytes, over the engine's limit of ${this.limits.maxFunctionIdBytes} (maxFunctionIdBytes)` }
    }
    const { type: _type, id: _id, ...details } = registration
    const size = jsonBytes(details)
    if (size === undefined) return { code: 'invalid_registration', message: `the registration of ${id} cannot be serialized as JSON` }
    if (size > this.limits.maxRegistrationBytes) {
      return {
        code: 'registration_too_large',
        message: `the registration of ${id} (description, formats, metadata, invocation) is ${size} bytes, over the engine's limit of ${this.limits.maxRegistrationBytes} (maxRegistrationBytes)`,
      }
    }
    const entry = this.entries.get(id)
    if (entry && entry.owner !== worker) {
      return { code: 'function_already_registered', message: `function ${id} is already registered by another worker`, ownerWorkerId: entry.owner.id }
    }
    const reservation = this.reservedIds.get(id)
    if (reservation) {
      return {
        code: 'function_reserved',
        message: `function ${id} is reserved for worker ${reservation.workerId}, which dropped without closing, until it reattaches or ${this.limits.functionReservationMs} ms pass (functionReservationMs)`,
        ownerWorkerId: reservation.workerId,
      }
    }
    if (!entry && worker.functions.size >= this.limits.maxFunctionsPerWorker) {
      return { code: 'too_many_functions', message: `this worker already has ${worker.functions.size} functions, the engine's limit (maxFunctionsPerWorker)` }
    }
    const total = this.bytesOf(worker) - (entry?.bytes ?? 0) + size
    if (total > this.limits.maxRegistrationBytesPerWorker) {
      return {
        code: 'worker_registrations_too_large',
        message: `this worker's registrations would take ${total} bytes, over the engine's limit of ${this.limits.maxRegistrationBytesPerWorker} (maxRegistrationBytesPerWorker)`,
      }
    }
    this.put(worker, registration, entry, size)
    return undefined
  }

  unregister(worker: WorkerConnection, functionId: string): void {
    const entry = this.entries.get(functionId)
    if (entry?.owner === worker) this.drop(entry, functionId)
    worker.functions.delete(functionId)
  }

  leave(worker: WorkerConnection, clean: boolean): void {
    const slot = this.workerSlots.get(worker)
    if (slot) this.workerOrder.remove(slot)
    this.workerSlots.delete(worker)
    const registrations: RegisterFunction[] = []
    for (const [functionId, registration] of worker.functions) {
      const entry = this.entries.get(functionId)
      if (entry?.owner !== worker) continue
      this.drop(entry, functionId)
      registrations.push(registration)
    }
    worker.functions.clear()
    this.bytesByWorker.delete(worker)
    if (clean || registrations.length === 0) return
    this.expireReservations()
    const reservation = { workerId: worker.id, token: worker.reattachToken, expiresAt: this.now() + this.limits.functionReservationMs, registrations }
    this.reservations.set(worker.id, reservation)
    this.expiries.push(reservation)
    for (const { id } of registrations) this.reservedIds.set(id, reservation)
  }

  transfer(from: WorkerConnection, to: WorkerConnection): void {
    const registrations = [...from.functions.values()]
    for (const { id } of registrations) this.unregister(from, id)
    this.adopt(to, registrations)
  }

  reclaim(to: WorkerConnection, previousWorkerId: string, token: string): 'reclaimed' | 'none' | 'wrong_token' {
    this.expireReservations()
    const reservation = this.reservations.get(previousWorkerId)
    if (!reservation) return 'none'
    if (!secretsMatch(reservation.token, token)) return 'wrong_token'
    this.release(reservation)
    this.adopt(to, reservation.registrations.filter(({ id }) => !this.entries.has(id)))
    return 'reclaimed'
  }

  listFunctions(cursor: number | undefined, bounds: PageBounds): Page<ListedFunction> {
    const page = this.order.page(cursor, bounds, (id) => (this.entries.get(id) as FunctionEntry).listedBytes)
    const items = page.items.map((id) => {
      const entry = this.entries.get(id) as FunctionEntry
      return { function_id: id, worker_id: entry.owner.id, ...entry.listed }
    })
    return { items, nextCursor: page.nextCursor }
  }

  listWorkers(cursor: number | undefined, bounds: PageBounds): Page<ListedWorker> {
    const listed = new Map<WorkerConnection, ListedWorker>()
    const sizeOf = (worker: WorkerConnection) => {
      const entry = listedWorker(worker)
      listed.set(worker, entry)
      // Metadata too deep to serialize still lists (the answer then fails as a whole, with a clear error).
      return jsonBytes(entry) ?? 0
    }
    const page = this.workerOrder.page(cursor, bounds, sizeOf)
    return { items: page.items.map((worker) => listed.get(worker) as ListedWorker), nextCursor: page.nextCursor }
  }

  /** Registers `registrations` for `worker` without the checks they passed once, within the worker's allowances. */
  private adopt(worker: WorkerConnection, registrations: RegisterFunction[]): void {
    for (const registration of registrations) {
      const existing = this.entries.get(registration.id)
      const { type: _type, id: _id, ...details } = registration
      const bytes = jsonBytes(details) ?? 0
      const fits =
        (worker.functions.has(registration.id) || worker.functions.size < this.limits.maxFunctionsPerWorker) &&
        this.bytesOf(worker) - (existing?.owner === worker ? existing.bytes : 0) + bytes <= this.limits.maxRegistrationBytesPerWorker
      if (fits) this.put(worker, registration, existing, bytes)
    }
  }

  private bytesOf(worker: WorkerConnection): number {
    return this.bytesByWorker.get(worker) ?? 0
  }

  private addBytes(worker: WorkerConnection, bytes: number): void {
    this.bytesByWorker.set(worker, this.bytesOf(worker) + bytes)
  }

  private put(worker: WorkerConnection, registration: RegisterFunction, existing: FunctionEntry | undefined, bytes: number): void {
    const { id } = registration
    const listed = listedDetails(registration)
    // Worker ids are UUIDs: one owner's listing is as long as another's.
    const listedBytes = jsonBytes({ function_id: id, worker_id: worker.id, ...listed }) ?? 0
    if (existing) {
      this.addBytes(existing.owner, -existing.bytes)
      existing.owner = worker
      existing.registration = registration
      existing.listed = listed
      existing.listedBytes = listedBytes
      existing.bytes = bytes
    } else {
      this.entries.set(id, { owner: worker, registration, listed, listedBytes, bytes, slot: this.order.add(id) })
    }
    this.addBytes(worker, bytes)
    worker.functions.set(id, registration)
  }

  private drop(entry: FunctionEntry, functionId: string): void {
    this.addBytes(entry.owner, -entry.bytes)
    this.entries.delete(functionId)
    this.order.remove(entry.slot)
  }

  private release(reservation: Reservation): void {
    this.reservations.delete(reservation.workerId)
    for (const { id } of reservation.registrations) {
      if (this.reservedIds.get(id) === reservation) this.reservedIds.delete(id)
    }
  }

  /** Expired reservations are released lazily, oldest first: no timer per dropped worker. */
  private expireReservations(): void {
    const now = this.now()
    let expired = 0
    while (expired < this.expiries.length && this.expiries[expired].expiresAt <= now) this.release(this.expiries[expired++])
    if (expired > 0) this.expiries = this.expiries.slice(expired)
  }
}
