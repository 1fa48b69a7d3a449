import type { Logger } from '../log'
import { CloseCode } from '../protocol/close-codes'
import { duration } from './log-words'
import type { WorkerConnection } from './worker-connection'
import type { WorkerEnd } from './worker-session'

/** The info line of a worker that connected: its short id (it has given no name yet) and address. */
export function logWorkerConnected(logger: Logger, worker: WorkerConnection, address: string): void {
  logger.info(`worker ${worker.label} connected from ${address}`, { ...worker.logFields, address })
}

/** The info line of a worker that left: its name, how long it was connected, and why. */
export function logWorkerDisconnected(logger: Logger, worker: WorkerConnection, end: WorkerEnd): void {
  const connectedMs = Date.now() - worker.connectedAt.getTime()
  const { outcome, why, code, reason } = departure(worker, end)
  logger.info(`worker ${worker.label} disconnected after ${duration(connectedMs)}: ${why}`, {
    ...worker.logFields,
    duration_ms: connectedMs,
    outcome,
    code,
    reason,
  })
}

interface Departure {
  /** `clean` close, `closed` with another code, connection `lost`, or `dropped` by the engine (heartbeat, backed-up queue). */
  readonly outcome: 'clean' | 'closed' | 'lost' | 'dropped'
  readonly why: string
  readonly code?: number
  readonly reason?: string
}

function departure(worker: WorkerConnection, end: WorkerEnd): Departure {
  if (end.clean) return { outcome: 'clean', why: 'closed cleanly' }
  const { code } = end
  if (worker.dropReason !== undefined) return { outcome: 'dropped', why: `dropped by the engine: ${worker.dropReason}`, code, reason: worker.dropReason }
  const detail = end.reason === '' ? '' : `: ${end.reason}`
  if (code === CloseCode.Abnormal) return { outcome: 'lost', why: `connection lost (1006${detail})`, code, reason: end.reason || 'connection lost' }
  return { outcome: 'closed', why: `closed with ${code}${detail}`, code, reason: end.reason }
}
