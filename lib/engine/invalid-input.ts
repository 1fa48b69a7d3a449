import type * as t from 'io-ts'
import { describeErrors } from '../protocol/decode'
import type { ErrorBody } from '../protocol/messages'

/** The error an engine function answers input it cannot use with: coded `invalid_input`, naming the function. */
export function invalidInput(functionId: string, problem: t.Errors | string): ErrorBody {
  return { code: 'invalid_input', message: `${functionId}: ${typeof problem === 'string' ? problem : describeErrors(problem)}` }
}
