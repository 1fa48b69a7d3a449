import { RxChannelsError } from '../errors'

/** A socket closed with a code other than a clean end. */
export class SocketClosedError extends RxChannelsError {
  constructor(
    readonly closeCode: number,
    readonly reason: string,
    cause?: unknown,
  ) {
    super('socket_closed', `socket closed with ${closeCode}${reason ? `: ${reason}` : ''}`, { cause })
    this.name = 'SocketClosedError'
  }
}
