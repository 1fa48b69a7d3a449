import type { EngineRegistrationRefusal } from '../errors'
import type { ListedFunction, ListedWorker } from '../protocol/engine-functions'
import type { RegisterFunction } from '../protocol/messages'
import type { InvocationPeer } from './invocation-peer'
import type { EngineLimits } from './limits'
import type { Page, PageBounds } from './paged-index'
import type { WorkerConnection } from './worker-connection'

/** Why the engine refused a registration: sent to the worker as `registrationrejected`. */
export interface Refusal {
  readonly code: EngineRegistrationRefusal
  readonly message: string
  /** The worker that owns (or is owed) the id, for the two codes about ownership. */
  readonly ownerWorkerId?: string
}

export type RegistryLimits = Pick<
  EngineLimits,
  'maxFunctionsPerWorker' | 'maxFunctionIdBytes' | 'maxRegistrationBytes' | 'maxRegistrationBytesPerWorker' | 'functionReservationMs'
>

/**
 * Which worker owns each function id, which workers are connected, and the ids held for
 * workers that dropped until they reattach. The engine uses it only through this interface,
 * so that an implementation that knows the workers of other nodes can take the place of the
 * local one (`LocalFunctionRegistry` in local-function-registry.ts).
 */
export interface FunctionRegistry {
  readonly limits: RegistryLimits
  /** Functions registered now. */
  readonly size: number
  /** Who serves `functionId`: a worker connected here, or on a node of a cluster, the node of the worker that does. */
  owner(functionId: string): InvocationPeer | undefined
  /** A worker connected: it is listed from now on. */
  join(worker: WorkerConnection): void
  /** A worker's metadata changed (`engine::workers::register`): listings show the new one. */
  described(worker: WorkerConnection): void
  /**
   * Registers a function, or says why not. Re-registering one's own id (a reconnect replay)
   * replaces its details; taking a live worker's id, or an id reserved for a dropped one, is refused.
   */
  register(worker: WorkerConnection, registration: RegisterFunction): Refusal | undefined
  unregister(worker: WorkerConnection, functionId: string): void
  /**
   * A worker left. After a clean close its ids are free at once; after a drop they stay
   * reserved for its reattach (with its token) for `functionReservationMs`.
   */
  leave(worker: WorkerConnection, clean: boolean): void
  /**
   * A worker reattached to a connection that is still open: that connection's functions
   * become the new one's now, before its next frame (its registration replay) is handled.
   */
  transfer(from: WorkerConnection, to: WorkerConnection): void
  /** A worker reattached to one that had dropped: its reserved functions are the new one's, if the token matches. */
  reclaim(to: WorkerConnection, previousWorkerId: string, token: string): 'reclaimed' | 'none' | 'wrong_token'
  /** A page of functions in registration order. */
  listFunctions(cursor: number | undefined, bounds: PageBounds): Page<ListedFunction>
  /** A page of connected workers, in the order they connected. */
  listWorkers(cursor: number | undefined, bounds: PageBounds): Page<ListedWorker>
}
