import type { EngineToWorker } from '../protocol/messages'

/**
 * A caller or callee as the invocation router sees it: a worker connected here, or, on a node
 * of a cluster, another node standing for its workers. It takes frames, and says whether it
 * is backed up so that invocations to it are refused rather than queued without bound.
 */
export interface InvocationPeer {
  readonly id: string
  /** How log lines name it. */
  readonly label: string
  readonly name?: string
  readonly open: boolean
  /** Set on a peer that stands for another node of a cluster and its workers. */
  readonly isNode?: true
  readonly backlog: { readonly backedUp: boolean; readonly queuedBytes: number; refuse(): void }
  send(message: EngineToWorker): void
  /** Sends a frame as another peer sent it. */
  sendRaw(text: string): void
}
