import { expect } from 'chai'
import { TestScheduler } from 'rxjs/testing'

/** A TestScheduler that compares with chai's deep equality. */
export function marbles(): TestScheduler {
  return new TestScheduler((actual, expected) => {
    expect(actual).to.deep.equal(expected)
  })
}

export const bytes = (text: string): Buffer => Buffer.from(text, 'utf8')
