import WebSocket from 'ws'
import { CloseCode } from '../protocol/close-codes'
import { closeReason } from './frame'

/**
 * The close code ws sends when a peer breaks a rule of the WebSocket protocol, by the code of
 * the error it raises. ws closes with that code but no reason, and its own close event then
 * reports 1006, since it stops reading the peer at once.
 */
export function protocolCloseCode(error: Error | undefined): number | undefined {
  const code = (error as { code?: unknown } | undefined)?.code
  if (typeof code !== 'string' || !code.startsWith('WS_ERR_')) return undefined
  if (code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' || code === 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH') return CloseCode.TooBig
  if (code === 'WS_ERR_INVALID_UTF8') return 1007
  return 1002
}

/**
 * A server socket class (for the `WebSocket` option of a `WebSocketServer`) whose closes for
 * protocol violations carry a reason: "message over the 1048576-byte limit (maxFrameBytes)"
 * rather than a bare 1009, so the peer learns which limit it hit.
 */
export function socketClassWithReasons(limitName: string, maxBytes: number): typeof WebSocket {
  const reasons: Record<number, string> = {
    1002: 'WebSocket protocol error',
    1007: 'invalid UTF-8 in a text frame',
    [CloseCode.TooBig]: closeReason(`message over the ${maxBytes}-byte limit (${limitName})`),
  }
  return class extends WebSocket {
    override close(code?: number, data?: string | Buffer): void {
      const missing = data === undefined || data.length === 0
      super.close(code, missing && code !== undefined ? reasons[code] ?? data : data)
    }
  }
}
