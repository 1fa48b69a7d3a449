import { ChannelError, messageOf } from '../errors'
import { CloseCode } from '../protocol/close-codes'
import { SocketClosedError } from '../socket/socket-closed-error'
import { UpgradeRefusedError } from '../socket/upgrade-refused-error'

/** Turns what a channel socket reported into the typed error its end raises. */
export function channelErrorFrom(error: unknown): ChannelError {
  if (error instanceof ChannelError) return error
  if (error instanceof UpgradeRefusedError) {
    return new ChannelError('channel_refused', `the engine refused the channel (HTTP ${error.status}): ${error.reason}`, {
      httpStatus: error.status,
      cause: error,
    })
  }
  if (error instanceof SocketClosedError) {
    const details = { closeCode: error.closeCode, cause: error }
    const reason = error.reason ? `: ${error.reason}` : ''
    switch (error.closeCode) {
      case CloseCode.WriterAborted:
        return new ChannelError('writer_aborted', `the writer aborted the stream${reason}`, details)
      case CloseCode.ReaderGone:
        return new ChannelError('reader_gone', `the reader went away${reason}`, details)
      case CloseCode.EndTaken:
        return new ChannelError('end_taken', `this channel end is already connected${reason}`, details)
      case CloseCode.GoingAway:
        return new ChannelError('engine_shutting_down', `the engine closed the channel${reason}`, details)
      case CloseCode.Expired:
        return new ChannelError('channel_expired', `the channel expired${reason}`, details)
      case CloseCode.TooBig:
        return new ChannelError('frame_too_big', `a frame was over the engine's size limit${reason}`, details)
      case CloseCode.Abnormal:
        return new ChannelError('channel_closed', `the connection to the engine was lost${reason}`, details)
      default:
        return new ChannelError('channel_closed', `the channel closed with code ${error.closeCode}${reason}`, details)
    }
  }
  return new ChannelError('channel_closed', `channel socket failed: ${messageOf(error)}`, { cause: error })
}
