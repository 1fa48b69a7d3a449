import { expect } from 'chai'
import { PagedIndex, type Slot } from '../../lib/engine/paged-index'

/** Every value, page by page, removing `removeBetweenPages(page)` after each page. */
function pageThrough(index: PagedIndex<number>, limit: number, between: () => void = () => undefined): number[] {
  const seen: number[] = []
  let cursor: number | undefined
  do {
    const page = index.page(cursor, { limit, maxBytes: Number.MAX_SAFE_INTEGER }, () => 1)
    seen.push(...page.items)
    cursor = page.nextCursor
    between()
  } while (cursor !== undefined)
  return seen
}

describe('PagedIndex', () => {
  it('pages through values in insertion order, across compactions, with values removed and added between pages', () => {
    const index = new PagedIndex<number>()
    const slots = new Map<number, Slot<number>>()
    for (let value = 0; value < 1000; value++) slots.set(value, index.add(value))
    // Remove 9 in 10: far past the compaction threshold.
    for (let value = 0; value < 1000; value++) if (value % 10 !== 0) index.remove(slots.get(value) as Slot<number>)
    expect(index.size).to.equal(100)
    expect(pageThrough(index, 7)).to.deep.equal(Array.from({ length: 100 }, (_, n) => n * 10))

    let next = 1000
    let removals = 0
    const seen = pageThrough(index, 7, () => {
      index.remove(slots.get(removals++ * 10) as Slot<number>)
      index.add(next++)
    })
    // Each value present from start to end is seen once, in order; those added during the walk follow.
    expect(new Set(seen).size).to.equal(seen.length)
    expect(seen.filter((value) => value < 1000)).to.deep.equal([...seen.filter((value) => value < 1000)].sort((a, b) => a - b))
    expect(seen).to.include.members(Array.from({ length: 100 - removals }, (_, n) => (n + removals) * 10))
  })

  it('bounds a page in bytes but always holds one value', () => {
    const index = new PagedIndex<number>()
    for (const size of [600, 600, 2000, 10]) index.add(size)
    const sizes = (limit: number) => {
      const pages: number[][] = []
      let cursor: number | undefined
      do {
        const page = index.page(cursor, { limit, maxBytes: 1000 }, (value) => value)
        pages.push(page.items)
        cursor = page.nextCursor
      } while (cursor !== undefined)
      return pages
    }
    expect(sizes(10)).to.deep.equal([[600], [600], [2000], [10]])
    expect(index.page(undefined, { limit: 10, maxBytes: 1300 }, (value) => value).items).to.deep.equal([600, 600])
  })
})
