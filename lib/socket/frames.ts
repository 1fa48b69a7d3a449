import { Observable } from 'rxjs'
import WebSocket from 'ws'
import { isCleanClose } from '../protocol/close-codes'
import type { Frame } from './frame'
import { protocolCloseCode } from './close-reasons'
import { SocketClosedError } from './socket-closed-error'

export { SocketClosedError } from './socket-closed-error'

/**
 * The frames a socket receives, as an Observable: completes when the peer closes cleanly
 * (1000, or 1005 from an iii engine), errors with {@link SocketClosedError} on any other close.
 * Unsubscribing detaches the listeners only; closing the socket stays with its owner.
 */
export function socketFrames(ws: WebSocket): Observable<Frame> {
  return new Observable<Frame>((subscriber) => {
    let lastError: Error | undefined
    const onMessage = (data: WebSocket.RawData, isBinary: boolean) => {
      subscriber.next({ data: toBuffer(data), binary: isBinary })
    }
    const onError = (error: Error) => {
      lastError = error
    }
    const onClose = (reported: number, reason: Buffer) => {
      // When this side closed because the peer broke a rule, report the code it was sent.
      const code = reported === 1006 ? protocolCloseCode(lastError) ?? reported : reported
      if (isCleanClose(code)) subscriber.complete()
      else subscriber.error(new SocketClosedError(code, reason.toString() || lastError?.message || '', lastError))
    }
    ws.on('message', onMessage)
    ws.on('error', onError)
    ws.on('close', onClose)
    return () => {
      ws.off('message', onMessage)
      ws.off('error', onError)
      ws.off('close', onClose)
    }
  })
}

/** The bytes of a message as ws hands them over (one Buffer, fragments, or an ArrayBuffer). */
export function toBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data
  if (Array.isArray(data)) return Buffer.concat(data)
  return Buffer.from(data)
}
