import type { IncomingMessage } from 'http'
import * as E from 'fp-ts/Either'
import { CREDIT_SUBPROTOCOL, decodeCreditMessage, MAX_OUTSTANDING_CREDIT } from '../protocol/credit'
import { failureReason } from '../protocol/decode'
import type { Frame } from '../socket/frame'

const CREDIT_SHAPE = `expected {"type":"credit","frames":N}, N a whole number from 1 to ${MAX_OUTSTANDING_CREDIT}`

/** Credit of a reader that did not negotiate credit mode: it is sent whatever is held, as its socket takes it. */
export const UNLIMITED_CREDIT = Number.POSITIVE_INFINITY

/**
 * The subprotocol the engine answers a channel upgrade with (ws's `handleProtocols`): credit
 * mode for a reader that offers it, none otherwise, nor for a writer, whatever it offers.
 */
export function selectChannelSubprotocol(offered: ReadonlySet<string>, request: IncomingMessage): string | false {
  if (!offered.has(CREDIT_SUBPROTOCOL)) return false
  // The upgrade was routed here only after its URL parsed.
  const direction = new URL(request.url ?? '/', 'http://engine').searchParams.get('dir')
  return direction === 'read' ? CREDIT_SUBPROTOCOL : false
}

/** The credit a channel reader starts with: none in credit mode (negotiated as `protocol`), unlimited otherwise. */
export function initialCredit(protocol: string): number {
  return protocol === CREDIT_SUBPROTOCOL ? 0 : UNLIMITED_CREDIT
}

/**
 * Adds the grant a credit-mode reader sent in `frame` to its `outstanding` credit; a frame that
 * is not a valid grant, or one past {@link MAX_OUTSTANDING_CREDIT}, is a protocol violation
 * (Left: its reason).
 */
export function grantCredit(outstanding: number, frame: Frame): E.Either<string, number> {
  if (frame.binary) return E.left('a credit-mode reader sends only credit messages, not binary frames')
  const decoded = decodeCreditMessage(frame.data.toString('utf8'))
  // What the reader sent is not quoted back: the reason is logged and told to the writer, and it may hold anything.
  if (E.isLeft(decoded)) return E.left(decoded.left.kind === 'invalid_json' ? failureReason(decoded.left) : CREDIT_SHAPE)
  const total = outstanding + decoded.right.frames
  if (total > MAX_OUTSTANDING_CREDIT) return E.left(`credit over ${MAX_OUTSTANDING_CREDIT} frames outstanding`)
  return E.right(total)
}
