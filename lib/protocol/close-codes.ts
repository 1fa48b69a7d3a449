/**
 * WebSocket close codes on channel sockets, and those the engine drops a worker with.
 * On a channel socket 1000 is the only clean end; every other code is an error on the end
 * that receives it, so a reader never mistakes an abort for an end.
 */
export const CloseCode = {
  /** The writer finished; every frame before it was delivered. */
  Normal: 1000,
  /** The engine is shutting down. */
  GoingAway: 1001,
  /** No status in the close frame. An iii engine ends every reader this way, clean or not. */
  NoStatus: 1005,
  /** The TCP connection dropped without a close frame. */
  Abnormal: 1006,
  /** A reader in credit mode sent something other than a valid grant (see `credit.ts`). */
  PolicyViolation: 1008,
  /** A frame over the configured size limit. */
  TooBig: 1009,
  /** The writer aborted or vanished mid-stream. */
  WriterAborted: 1011,
  /** The reader went away before the writer finished: further writes are refused. */
  ReaderGone: 4410,
  /** This end of the channel is already connected elsewhere. */
  EndTaken: 4409,
  /** The other end never connected within the engine's channel TTL; the channel is gone. */
  Expired: 4408,
  /**
   * Worker sockets: the worker left more than `maxQueuedBytesPerWorker` unread for longer than
   * `workerDrainGraceMs`, or so much that one more message would pass that limit plus
   * `maxMessageBytes`. The engine terminates the socket right after this close frame, since the
   * worker does not read: the code and reason are for the engine's log, and for a worker that
   * wakes up in time to read them.
   */
  WorkerBackedUp: 4429,
} as const
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode]

/** Close codes that mean "the stream ended complete". 1005 is accepted for iii engines. */
export function isCleanClose(code: number): boolean {
  return code === CloseCode.Normal || code === CloseCode.NoStatus
}
