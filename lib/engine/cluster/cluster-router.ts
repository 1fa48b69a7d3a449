import * as E from 'fp-ts/Either'
import { logsAt, type Logger } from '../../log'
import { clip, failureReason, messageDecoder } from '../../protocol/decode'
import { WorkerToEngine, type ErrorBody, type InvocationResult, type InvokeFunction } from '../../protocol/messages'
import type { InvocationPeer } from '../invocation-peer'
import { failure, type InvocationRouter } from '../invocation-router'
import type { LocalInvocationRouter } from '../local-invocation-router'
import { fromInbox } from './inbox'
import { NodePeer } from './node-peer'

const decodeFrame = messageDecoder(WorkerToEngine)

export interface ClusterRouterParts {
  /** The router of this node, which keeps every pending invocation, local or not (other nodes are peers in it). */
  readonly local: LocalInvocationRouter
  /** The worker connected here that holds `functionId`, if any. */
  readonly localOwner: (functionId: string) => InvocationPeer | undefined
  /** Whether Redis is reachable now: cross-node invocations fail fast while it is not. */
  readonly available: () => boolean
  /** The peer standing for node `nodeId` (made on first use: a node may call before this one has seen it join). */
  readonly peerOf: (nodeId: string) => NodePeer
  readonly peers: () => Iterable<NodePeer>
  readonly logger: Logger
}

/**
 * The invocation router of a cluster node. Another node is one peer of this node's local
 * router: the callee of every invocation this node's workers make of functions held there,
 * and the caller of every invocation made from there of functions held here. So every limit
 * of the local router holds across nodes as it does on one engine: pending invocations per
 * worker (counted at the caller's node), a backed-up callee (checked at the callee's node,
 * which answers with the same error), and the ids a callee sees never collide.
 */
export class ClusterInvocationRouter implements InvocationRouter {
  constructor(private readonly parts: ClusterRouterParts) {}

  get size(): number {
    return this.parts.local.size
  }

  get shed(): number {
    return this.parts.local.shed
  }

  forward(caller: InvocationPeer, callee: InvocationPeer, message: InvokeFunction, raw: string): ErrorBody | undefined {
    if (callee instanceof NodePeer && !this.parts.available()) return unavailable(`Redis is unreachable, so node ${callee.id} cannot be reached`)
    return this.parts.local.forward(caller, callee, message, raw)
  }

  complete(callee: InvocationPeer, result: InvocationResult, raw: string): boolean {
    return this.parts.local.complete(callee, result, raw)
  }

  workerGone(worker: InvocationPeer, reason: string): void {
    this.parts.local.workerGone(worker, reason)
  }

  failAll(error: ErrorBody): void {
    this.parts.local.failAll(error)
  }

  /** A message on this node's inbox: an invocation for a worker here, or the result of one a worker here made. */
  receive(message: string): void {
    const { logger, peerOf, local, localOwner } = this.parts
    const parsed = fromInbox(message)
    if (!parsed) {
      logger.warn('cluster: dropped an inbox message without a sender')
      return
    }
    const peer = peerOf(parsed.fromNode)
    const decoded = decodeFrame(parsed.frame)
    if (E.isLeft(decoded)) {
      logger.warn(`cluster: dropped an inbox message from node ${peer.id}: ${failureReason(decoded.left)}`)
      return
    }
    const frame = decoded.right
    if (frame.type === 'invocationresult') {
      if (!local.complete(peer, frame, parsed.frame) && logsAt(logger, 'debug')) {
        logger.debug(`cluster: dropped a result from node ${peer.id} for ${clip(frame.invocation_id)}, which nobody awaits`)
      }
      return
    }
    if (frame.type !== 'invokefunction') {
      logger.warn(`cluster: dropped a ${frame.type} message from node ${peer.id}: only invocations and results cross nodes`)
      return
    }
    const awaited = frame.invocation_id !== undefined && frame.action?.type !== 'void'
    const callee = localOwner(frame.function_id)
    // The caller's node found the function here in its mirror; it may have left since.
    const refused: ErrorBody | undefined =
      callee === undefined || !callee.open
        ? { code: 'function_not_found', message: `function ${frame.function_id} not found` }
        : local.forward(peer, callee, frame, parsed.frame)
    if (refused !== undefined && awaited) peer.send(failure(frame.invocation_id as string, frame.function_id, refused))
  }

  /** A frame to `peer` did not reach it: an awaited invocation fails at once rather than waiting for a result that cannot come. */
  undelivered(peer: NodePeer, frame: string, reason: string): void {
    const decoded = decodeFrame(frame)
    if (E.isLeft(decoded)) return
    const message = decoded.right
    if (message.type === 'invokefunction' && message.invocation_id !== undefined && message.action?.type !== 'void') {
      const result = failure(message.invocation_id, message.function_id, unavailable(reason))
      this.parts.local.complete(peer, result, JSON.stringify(result))
      return
    }
    const what = message.type === 'invokefunction' ? `fire-and-forget invocation of ${clip(message.function_id)}` : `${message.type} message`
    this.parts.logger.warn(`cluster: a ${what} did not reach node ${peer.id}: ${reason}`)
  }

  /** Node `peer` left or died: callers waiting on it fail with `invocation_stopped`; results owed to its callers are dropped. */
  nodeGone(peer: NodePeer, reason: string): void {
    peer.open = false
    this.parts.local.workerGone(peer, reason)
  }

  /** Redis was lost: results of invocations in flight to other nodes may never arrive, so each fails now with `cluster_unavailable`. */
  failCrossNode(reason: string): void {
    for (const peer of this.parts.peers()) {
      this.parts.local.failCallsTo(peer, unavailable(reason))
      this.parts.local.forgetCallsFrom(peer)
    }
  }
}

function unavailable(message: string): ErrorBody {
  return { code: 'cluster_unavailable', message }
}
