/**
 * A switch between two thresholds, for pausing a producer: it turns high when the level
 * reaches the high-water mark and turns low again only once the level has fallen to the
 * low-water mark, so a level hovering near one mark does not flip it on every change.
 *
 * The caller measures the level and says where it stands; the switch remembers which side
 * it is on and reports the moment it changes.
 *
 * @example
 * const paused = new WaterMarks()
 * // after each change of `queued`:
 * const turned = paused.update(queued >= 16, queued <= 4)
 * if (turned === 'high') socket.pause()
 * else if (turned === 'low') socket.resume()
 */
export class WaterMarks {
  private isHigh = false

  /** True from the moment the level reached the high-water mark until it fell to the low one. */
  get high(): boolean {
    return this.isHigh
  }

  /**
   * Moves the switch from what the level is now: `atHighWater` turns it high, `atLowWater`
   * turns it low. Returns the side it just turned to, or undefined if it stayed where it was.
   */
  update(atHighWater: boolean, atLowWater: boolean): 'high' | 'low' | undefined {
    if (!this.isHigh && atHighWater) {
      this.isHigh = true
      return 'high'
    }
    if (this.isHigh && atLowWater) {
      this.isHigh = false
      return 'low'
    }
    return undefined
  }
}
