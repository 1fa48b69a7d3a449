import { WebSocketServer } from 'ws'
import { socketClassWithReasons } from '../socket/close-reasons'
import { WITHOUT_CLOSE_TIMEOUT } from '../socket/progress'
import type { EngineLimits } from './limits'
import { selectChannelSubprotocol } from './reader-credit'

/** The WebSocket servers of the engine's three endpoints, each with its own message limit; upgrades are handed to them. */
export interface SocketServers {
  readonly worker: WebSocketServer
  readonly channel: WebSocketServer
  readonly telemetry: WebSocketServer
}

export function createSocketServers(limits: EngineLimits): SocketServers {
  return {
    worker: new WebSocketServer({
      noServer: true,
      maxPayload: limits.maxMessageBytes,
      WebSocket: socketClassWithReasons('maxMessageBytes', limits.maxMessageBytes),
    }),
    channel: new WebSocketServer({
      noServer: true,
      maxPayload: limits.maxFrameBytes,
      perMessageDeflate: false,
      handleProtocols: selectChannelSubprotocol,
      // A slow reader may take minutes to drain what is queued ahead of its close frame: the
      // channel heartbeat, not an absolute timer, tells it from a dead one.
      ...WITHOUT_CLOSE_TIMEOUT,
      WebSocket: socketClassWithReasons('maxFrameBytes', limits.maxFrameBytes),
    }),
    telemetry: new WebSocketServer({
      noServer: true,
      maxPayload: limits.maxTelemetryMessageBytes,
      perMessageDeflate: false,
      WebSocket: socketClassWithReasons('maxTelemetryMessageBytes', limits.maxTelemetryMessageBytes),
    }),
  }
}
