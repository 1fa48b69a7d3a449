import type { ListedFunction, ListedWorker } from '../../protocol/engine-functions'
import { jsonBytes } from '../json-bytes'
import { PagedIndex, type Page, type PageBounds, type Slot } from '../paged-index'
import type { FunctionClaim, WorkerListing } from './cluster-events'

interface MirroredFunction {
  claim: FunctionClaim
  listedBytes: number
  readonly slot: Slot<string>
}

interface MirroredWorker {
  listing: WorkerListing
  readonly functions: Set<string>
  readonly slot: Slot<string>
}

/**
 * One node's copy of the cluster's registry: every function with the node and worker that hold
 * it, every worker with its node. It is rebuilt from Redis on (re)connect and kept current by
 * the events the other nodes publish, so that finding a function's owner never waits on Redis
 * and listings answer for the whole cluster, a page at a time.
 */
export class RegistryMirror {
  private readonly functions = new Map<string, MirroredFunction>()
  private readonly functionOrder = new PagedIndex<string>()
  private readonly workers = new Map<string, MirroredWorker>()
  private readonly workerOrder = new PagedIndex<string>()

  owner(functionId: string): FunctionClaim | undefined {
    return this.functions.get(functionId)?.claim
  }

  claim(functionId: string, claim: FunctionClaim): void {
    const listedBytes = jsonBytes({ function_id: functionId, worker_id: claim.worker, node_id: claim.node, ...claim.listed }) ?? 0
    const existing = this.functions.get(functionId)
    if (existing) {
      this.workers.get(existing.claim.worker)?.functions.delete(functionId)
      existing.claim = claim
      existing.listedBytes = listedBytes
    } else {
      this.functions.set(functionId, { claim, listedBytes, slot: this.functionOrder.add(functionId) })
    }
    this.workers.get(claim.worker)?.functions.add(functionId)
  }

  /** Forgets `functionId` if `node`'s worker `workerId` still holds it here. */
  release(functionId: string, node: string, workerId: string): void {
    const existing = this.functions.get(functionId)
    if (!existing || existing.claim.node !== node || existing.claim.worker !== workerId) return
    this.forgetFunction(functionId, existing)
  }

  putWorker(listing: WorkerListing): void {
    const existing = this.workers.get(listing.worker_id)
    if (existing) {
      existing.listing = listing
      return
    }
    const functions = new Set<string>()
    for (const [id, { claim }] of this.functions) if (claim.worker === listing.worker_id) functions.add(id)
    this.workers.set(listing.worker_id, { listing, functions, slot: this.workerOrder.add(listing.worker_id) })
  }

  removeWorker(node: string, workerId: string): void {
    const existing = this.workers.get(workerId)
    if (!existing || existing.listing.node !== node) return
    this.workers.delete(workerId)
    this.workerOrder.remove(existing.slot)
  }

  /** Forgets a node that left or died: its functions and workers. */
  dropNode(node: string): void {
    for (const [id, entry] of [...this.functions]) if (entry.claim.node === node) this.forgetFunction(id, entry)
    for (const [id, entry] of [...this.workers]) if (entry.listing.node === node) this.removeWorker(node, id)
  }

  /** Forgets everything: the mirror is about to be rebuilt from a snapshot. */
  clear(): void {
    for (const [id, entry] of [...this.functions]) this.forgetFunction(id, entry)
    for (const [id, entry] of [...this.workers]) this.removeWorker(entry.listing.node, id)
  }

  listFunctions(cursor: number | undefined, bounds: PageBounds): Page<ListedFunction> {
    const page = this.functionOrder.page(cursor, bounds, (id) => (this.functions.get(id) as MirroredFunction).listedBytes)
    const items = page.items.map((id) => {
      const { claim } = this.functions.get(id) as MirroredFunction
      return { function_id: id, worker_id: claim.worker, node_id: claim.node, ...claim.listed }
    })
    return { items, nextCursor: page.nextCursor }
  }

  /** A page of workers; `live` lists a worker of this node from its connection, which knows more than the mirror. */
  listWorkers(cursor: number | undefined, bounds: PageBounds, live: (workerId: string) => ListedWorker | undefined): Page<ListedWorker> {
    const listed = new Map<string, ListedWorker>()
    const sizeOf = (workerId: string) => {
      const { listing, functions } = this.workers.get(workerId) as MirroredWorker
      const entry = {
        ...(live(workerId) ?? { worker_id: workerId, connected_at: listing.connected_at, functions: [...functions], metadata: listing.metadata }),
        node_id: listing.node,
      }
      listed.set(workerId, entry)
      return jsonBytes(entry) ?? 0
    }
    const page = this.workerOrder.page(cursor, bounds, sizeOf)
    return { items: page.items.map((id) => listed.get(id) as ListedWorker), nextCursor: page.nextCursor }
  }

  private forgetFunction(functionId: string, entry: MirroredFunction): void {
    this.functions.delete(functionId)
    this.functionOrder.remove(entry.slot)
    this.workers.get(entry.claim.worker)?.functions.delete(functionId)
  }
}
