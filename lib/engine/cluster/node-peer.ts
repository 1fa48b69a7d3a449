import type { EngineToWorker } from '../../protocol/messages'
import type { InvocationPeer } from '../invocation-peer'
import { toInbox } from './inbox'
import type { Outbox } from './outbox'

/** Why a frame for another node did not reach it. */
export type Undelivered = (peer: NodePeer, frame: string, reason: string) => void

/**
 * Another node of the cluster, as this node's invocation router sees it: the callee of every
 * invocation of a function held by one of its workers, and the caller of every invocation its
 * workers made of functions held here. Frames to it go to its inbox on Redis pub/sub.
 */
export class NodePeer implements InvocationPeer {
  readonly isNode = true
  readonly label: string
  /** False once the node has left the cluster or been found dead. */
  open = true
  readonly backlog: InvocationPeer['backlog']

  constructor(
    readonly id: string,
    private readonly inbox: string,
    private readonly selfId: string,
    private readonly outbox: Outbox,
    private readonly undelivered: Undelivered,
  ) {
    this.label = `of node ${id}`
    this.backlog = {
      get backedUp() {
        return outbox.full
      },
      get queuedBytes() {
        return outbox.queuedBytes
      },
      refuse: () => undefined,
    }
  }

  send(message: EngineToWorker): void {
    this.sendRaw(JSON.stringify(message))
  }

  sendRaw(frame: string): void {
    this.outbox.publish(this.inbox, toInbox(this.selfId, frame)).then(
      (receivers) => {
        if (receivers === 0) this.undelivered(this, frame, `node ${this.id} is not listening on its inbox`)
      },
      (error: unknown) => this.undelivered(this, frame, `Redis did not take it: ${(error as Error).message}`),
    )
  }
}
