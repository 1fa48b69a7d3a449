import type { Duplex } from 'stream'
import type WebSocket from 'ws'

/**
 * Most messages one write may carry. Writing a whole burst at once (64 invocations in flight)
 * made caller, engine and callee take turns, each idle while another handled the burst; in
 * writes of 16 the next process starts on the first ones while this one does the rest.
 */
const MESSAGES_PER_WRITE = 16

/**
 * Sends text messages on a WebSocket so that those sent in one turn of the event loop leave
 * in few writes: the TCP socket under it is corked at the first message and uncorked on the
 * next tick or after {@link MESSAGES_PER_WRITE}. Left alone, ws writes every message with
 * its own system call, which is most of the cost of small control messages under load.
 */
export class CoalescingSender {
  private corked = false
  private held = 0

  constructor(
    private readonly ws: WebSocket,
    private readonly socket: Duplex,
  ) {}

  send(text: string): void {
    if (!this.corked) {
      this.corked = true
      this.socket.cork()
      process.nextTick(() => {
        this.corked = false
        this.held = 0
        this.socket.uncork()
      })
    }
    this.ws.send(text)
    if (++this.held === MESSAGES_PER_WRITE) {
      this.held = 0
      this.socket.uncork()
      this.socket.cork()
    }
  }
}
