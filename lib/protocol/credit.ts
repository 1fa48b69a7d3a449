import * as t from 'io-ts'
import { messageDecoder } from './decode'

/**
 * The WebSocket subprotocol a channel reader offers to be sent frames only against credit it
 * grants (a browser cannot pause its socket, so it paces the engine this way instead).
 */
export const CREDIT_SUBPROTOCOL = 'rx-channels.credit.v1'

/** The most credit a reader may have outstanding: grants past it are a protocol violation. */
export const MAX_OUTSTANDING_CREDIT = 2 ** 20

const isCreditFrames = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 1 && value <= MAX_OUTSTANDING_CREDIT

/** Named for what it accepts, since decode failures quote the name. */
const CreditFrames = new t.Type<number, number, unknown>(
  `whole number from 1 to ${MAX_OUTSTANDING_CREDIT}`,
  isCreditFrames,
  (value, context) => (isCreditFrames(value) ? t.success(value) : t.failure(value, context)),
  (value) => value,
)

/** `{"type":"credit","frames":N}`: the reader may be sent N more frames (grants add up). */
export const CreditMessage = t.type({ type: t.literal('credit'), frames: CreditFrames })
export type CreditMessage = t.TypeOf<typeof CreditMessage>

export const decodeCreditMessage = messageDecoder({ credit: CreditMessage })
