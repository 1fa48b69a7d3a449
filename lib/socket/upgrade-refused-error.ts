import { ConnectionError } from '../errors'

/** The server answered the upgrade with an HTTP status instead of switching protocols. */
export class UpgradeRefusedError extends ConnectionError {
  constructor(
    readonly status: number,
    readonly reason: string,
  ) {
    super('upgrade_refused', `upgrade refused with HTTP ${status}${reason ? `: ${reason}` : ''}`)
    this.name = 'UpgradeRefusedError'
  }
}
