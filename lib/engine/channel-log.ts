import { logsAt, type LogFields, type Logger } from '../log'
import { count, duration, shortId } from './log-words'

/**
 * How a channel ended: `clean` (the reader has the writer's clean end), `aborted` (the writer
 * aborted, or the engine ended it: shutdown, its creator gone), `expired` (its ends did not both
 * connect within the TTL), `reader gone` (the reader left before the end) or `dropped` (a
 * socket's connection was lost or failed the heartbeat). `code` is the close code the engine
 * sent the other end, if it sent one.
 */
export interface ChannelEnding {
  readonly outcome: 'clean' | 'aborted' | 'expired' | 'reader gone' | 'dropped'
  readonly code?: number
  readonly reason?: string
}

/** Frames and bytes taken from the writer (`in`) and sent to the reader (`out`). */
export interface Relayed {
  readonly framesIn: number
  readonly bytesIn: number
  readonly framesOut: number
  readonly bytesOut: number
}

/** Who created a channel, as log lines name it. */
export interface ChannelCreator {
  readonly label: string
  readonly logFields: LogFields
}

/** The debug line of a new channel, built only when the logger writes debug lines. */
export function logChannelOpen(logger: Logger, channelId: string, creator: ChannelCreator, bufferSize: number): void {
  if (!logsAt(logger, 'debug')) return
  logger.debug(`channel ${shortId(channelId)} opened by worker ${creator.label}, buffer ${bufferSize} frames`, {
    channel_id: channelId,
    ...creator.logFields,
    buffer_size: bufferSize,
  })
}

/** The debug line of a channel that ended: how, after how long, and what went through each way. */
export function logChannelEnd(logger: Logger, channelId: string, creator: ChannelCreator, ending: ChannelEnding, relayed: Relayed, durationMs: number): void {
  if (!logsAt(logger, 'debug')) return
  const how = ending.reason === undefined ? ending.outcome : `${ending.outcome}${ending.code === undefined ? '' : `, ${ending.code}`}: ${ending.reason}`
  logger.debug(
    `channel ${shortId(channelId)} ended (${how}) after ${duration(durationMs)}: ` +
      `${count(relayed.bytesIn, 'byte')} in ${count(relayed.framesIn, 'frame')} from the writer, ${count(relayed.bytesOut, 'byte')} in ${count(relayed.framesOut, 'frame')} to the reader`,
    {
      channel_id: channelId,
      ...creator.logFields,
      outcome: ending.outcome,
      code: ending.code,
      reason: ending.reason,
      duration_ms: Math.round(durationMs),
      bytes_in: relayed.bytesIn,
      frames_in: relayed.framesIn,
      bytes_out: relayed.bytesOut,
      frames_out: relayed.framesOut,
    },
  )
}
