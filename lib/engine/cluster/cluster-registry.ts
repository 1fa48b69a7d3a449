import * as E from 'fp-ts/Either'
import type { Logger } from '../../log'
import { clip } from '../../protocol/decode'
import type { ListedFunction, ListedWorker } from '../../protocol/engine-functions'
import type { RegisterFunction } from '../../protocol/messages'
import type { FunctionRegistry, Refusal, RegistryLimits } from '../function-registry'
import type { InvocationPeer } from '../invocation-peer'
import { listedWorker } from '../listed-worker'
import type { LocalFunctionRegistry } from '../local-function-registry'
import type { Page, PageBounds } from '../paged-index'
import { listedDetails } from '../redact'
import type { WorkerConnection } from '../worker-connection'
import { decodeJson, FunctionClaim, type WorkerListing } from './cluster-events'
import type { ClusterStore } from './cluster-store'
import type { NodePeer } from './node-peer'
import type { RegistryMirror } from './registry-mirror'

export interface ClusterRegistryParts {
  /** This node's own registry: every limit on registrations, and the reservations of dropped workers, hold as on one engine. */
  readonly local: LocalFunctionRegistry
  readonly mirror: RegistryMirror
  readonly store: ClusterStore
  readonly nodeId: string
  readonly peerOf: (nodeId: string) => NodePeer
  readonly logger: Logger
  /** Hides the Redis password in a message (from the Redis client) before it is logged. */
  readonly redact: (text: string) => string
}

/**
 * The function registry of a cluster node. A function has one owner across the cluster: this
 * node registers it locally first (so a worker's own invocations work at once, and while Redis
 * is away), then claims it in Redis; if another node's worker holds it already, the
 * registration is withdrawn and the worker gets `registrationrejected`
 * (`function_already_registered`), as it would on one engine, only a moment later.
 * Reservations for dropped workers stay with their node: another node may claim their ids.
 */
export class ClusterFunctionRegistry implements FunctionRegistry {
  private readonly workers = new Map<string, WorkerConnection>()

  constructor(private readonly parts: ClusterRegistryParts) {}

  get limits(): RegistryLimits {
    return this.parts.local.limits
  }

  get size(): number {
    return this.parts.local.size
  }

  owner(functionId: string): InvocationPeer | undefined {
    const local = this.parts.local.owner(functionId)
    if (local !== undefined) return local
    const claim = this.parts.mirror.owner(functionId)
    return claim === undefined || claim.node === this.parts.nodeId ? undefined : this.parts.peerOf(claim.node)
  }

  join(worker: WorkerConnection): void {
    this.parts.local.join(worker)
    this.workers.set(worker.id, worker)
    this.putWorker(worker)
  }

  described(worker: WorkerConnection): void {
    if (this.workers.has(worker.id)) this.putWorker(worker)
  }

  register(worker: WorkerConnection, registration: RegisterFunction): Refusal | undefined {
    const claim = this.parts.mirror.owner(registration.id)
    if (claim !== undefined && claim.node !== this.parts.nodeId) return heldElsewhere(registration.id, claim)
    const refusal = this.parts.local.register(worker, registration)
    if (refusal === undefined) this.claim(worker, registration.id)
    return refusal
  }

  unregister(worker: WorkerConnection, functionId: string): void {
    const owned = this.parts.local.owner(functionId) === worker
    this.parts.local.unregister(worker, functionId)
    if (owned) this.release(worker, functionId)
  }

  leave(worker: WorkerConnection, clean: boolean): void {
    const owned = [...worker.functions.keys()].filter((id) => this.parts.local.owner(id) === worker)
    this.parts.local.leave(worker, clean)
    this.workers.delete(worker.id)
    for (const id of owned) this.release(worker, id)
    this.parts.mirror.removeWorker(this.parts.nodeId, worker.id)
    this.parts.store.removeWorker(worker.id).catch((error: unknown) => this.storeFailed(`remove worker ${worker.label}`, error))
  }

  transfer(from: WorkerConnection, to: WorkerConnection): void {
    this.parts.local.transfer(from, to)
    for (const id of to.functions.keys()) this.claim(to, id)
  }

  reclaim(to: WorkerConnection, previousWorkerId: string, token: string): 'reclaimed' | 'none' | 'wrong_token' {
    const outcome = this.parts.local.reclaim(to, previousWorkerId, token)
    if (outcome === 'reclaimed') for (const id of to.functions.keys()) this.claim(to, id)
    return outcome
  }

  listFunctions(cursor: number | undefined, bounds: PageBounds): Page<ListedFunction> {
    return this.parts.mirror.listFunctions(cursor, bounds)
  }

  listWorkers(cursor: number | undefined, bounds: PageBounds): Page<ListedWorker> {
    return this.parts.mirror.listWorkers(cursor, bounds, (workerId) => {
      const worker = this.workers.get(workerId)
      return worker && listedWorker(worker)
    })
  }

  /** Writes every worker and function of this node to Redis again: after it (re)joined, or Redis came back (maybe empty). */
  announce(): void {
    for (const worker of this.workers.values()) {
      this.putWorker(worker)
      for (const id of worker.functions.keys()) if (this.parts.local.owner(id) === worker) this.claim(worker, id)
    }
  }

  private claim(worker: WorkerConnection, functionId: string): void {
    const registration = worker.functions.get(functionId)
    if (registration === undefined) return
    const claim: FunctionClaim = { node: this.parts.nodeId, worker: worker.id, listed: listedDetails(registration) }
    this.parts.mirror.claim(functionId, claim)
    this.parts.store.claim(functionId, JSON.stringify(claim)).then(
      (held) => {
        if (held !== undefined) this.lost(worker, functionId, held)
      },
      // Claimed again when Redis is back (see announce).
      (error: unknown) => this.storeFailed(`claim ${clip(functionId)}`, error),
    )
  }

  /** Another node's worker held the id first: the registration is withdrawn, late, with the refusal it would have had. */
  private lost(worker: WorkerConnection, functionId: string, heldJson: string): void {
    const held = decodeJson(FunctionClaim, heldJson)
    if (E.isLeft(held)) {
      this.parts.logger.error(`cluster: the claim of ${clip(functionId)} in Redis does not decode: ${held.left}`)
      return
    }
    this.parts.mirror.claim(functionId, held.right)
    if (this.parts.local.owner(functionId) !== worker) return
    this.parts.local.unregister(worker, functionId)
    const refusal = heldElsewhere(functionId, held.right)
    worker.warnings.warn(`refused_function:${refusal.code}`, `worker ${worker.label}: refused function ${clip(functionId)}: ${refusal.code}: ${clip(refusal.message)}`, {
      ...worker.logFields,
      function_id: clip(functionId),
      code: refusal.code,
    })
    worker.send({ type: 'registrationrejected', code: refusal.code, function_id: functionId, owner_worker_id: held.right.worker, message: refusal.message })
  }

  private release(worker: WorkerConnection, functionId: string): void {
    this.parts.mirror.release(functionId, this.parts.nodeId, worker.id)
    this.parts.store.release(functionId, worker.id).catch((error: unknown) => this.storeFailed(`release ${clip(functionId)}`, error))
  }

  private putWorker(worker: WorkerConnection): void {
    const listing: WorkerListing = { node: this.parts.nodeId, worker_id: worker.id, connected_at: worker.connectedAt.toISOString(), metadata: worker.metadata ?? null }
    let json: string
    try {
      json = JSON.stringify(listing)
    } catch {
      // Metadata nested too deep to serialize: the worker is listed without it.
      json = JSON.stringify({ ...listing, metadata: null })
    }
    this.parts.mirror.putWorker(listing)
    this.parts.store.putWorker(worker.id, json).catch((error: unknown) => this.storeFailed(`list worker ${worker.label}`, error))
  }

  private storeFailed(what: string, error: unknown): void {
    this.parts.logger.debug(`cluster: could not ${what} in Redis (done again once it is back): ${this.parts.redact((error as Error).message)}`)
  }
}

function heldElsewhere(functionId: string, claim: FunctionClaim): Refusal {
  return {
    code: 'function_already_registered',
    message: `function ${functionId} is already registered by worker ${claim.worker} on node ${claim.node}`,
    ownerWorkerId: claim.worker,
  }
}
