import * as t from 'io-ts'

/** One input record: a log line as newline-delimited JSON. */
export const LogRecord = t.type({ id: t.number, level: t.string, message: t.string }, 'LogRecord')
export type LogRecord = t.TypeOf<typeof LogRecord>

/** The progress message the transformer sends beside its output, typed on both ends. */
export const Progress = t.type(
  { type: t.literal('progress'), records: t.number, bytesIn: t.number, bytesOut: t.number, done: t.boolean },
  'Progress',
)
export type Progress = t.TypeOf<typeof Progress>
