import type { Observer } from 'rxjs'
import { logsAt, type Logger } from '../log'
import { clip } from '../protocol/decode'
import { duration } from './log-words'
import type { EngineEvent, InvocationOutcomeKind } from './events'
import type { InvocationPeer } from './invocation-peer'

/** How an invocation ended, as its debug line tells it. */
export interface InvocationOutcome {
  readonly functionId: string
  readonly caller: InvocationPeer
  /** The worker that served it; none when the engine answered it itself. */
  readonly callee?: InvocationPeer
  /** `ok`, `error` (with `code`), `sent` (fire-and-forget: nothing comes back) or `caller gone` (the result is no longer awaited). */
  readonly outcome: InvocationOutcomeKind
  readonly code?: string
  /** From forwarding to the result; none when the engine answered at once or nothing comes back. */
  readonly durationMs?: number
}

/** Where an invocation's end is told: the debug log, and `engine.events$` (which metrics count). */
export interface InvocationTelling {
  readonly logger: Logger
  readonly events: Observer<EngineEvent>
}

/** Tells how an invocation ended: its debug line (see {@link logInvocation}) and an `invocation_finished` event. */
export function tellInvocation({ logger, events }: InvocationTelling, invocation: InvocationOutcome): void {
  logInvocation(logger, invocation)
  events.next({
    type: 'invocation_finished',
    function_id: invocation.functionId,
    outcome: invocation.outcome,
    code: invocation.code,
    duration_ms: invocation.durationMs,
    cross_node: invocation.caller.isNode === true || invocation.callee?.isNode === true,
  })
}

/**
 * One debug line per invocation, built only when the logger writes debug lines. It names the
 * function, both workers, the outcome and the duration, never the payload or the result.
 */
function logInvocation(logger: Logger, invocation: InvocationOutcome): void {
  if (!logsAt(logger, 'debug')) return
  const { caller, callee, outcome, durationMs } = invocation
  const functionId = clip(invocation.functionId)
  const code = invocation.code === undefined ? undefined : clip(invocation.code, 64)
  const to = callee === undefined ? 'the engine' : `worker ${callee.label}`
  logger.debug(
    `invocation of ${functionId} from worker ${caller.label} to ${to}: ${outcome}${code === undefined ? '' : ` ${code}`}${durationMs === undefined ? '' : ` in ${duration(durationMs)}`}`,
    {
      function_id: functionId,
      caller_id: caller.id,
      caller_name: caller.name,
      callee_id: callee?.id,
      callee_name: callee?.name,
      outcome,
      code,
      duration_ms: durationMs === undefined ? undefined : Math.round(durationMs * 10) / 10,
    },
  )
}
