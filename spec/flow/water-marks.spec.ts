import { expect } from 'chai'
import { WaterMarks } from '../../lib/flow/water-marks'

/** Feeds levels to a switch with marks 16 and 4, and lists what it reported after each. */
function run(levels: readonly number[]): Array<'high' | 'low' | undefined> {
  const marks = new WaterMarks()
  return levels.map((level) => marks.update(level >= 16, level <= 4))
}

describe('WaterMarks', () => {
  it('starts low', () => {
    expect(new WaterMarks().high).to.equal(false)
  })

  it('turns high when the level reaches the high-water mark, once', () => {
    expect(run([0, 15, 16, 20, 16])).to.deep.equal([undefined, undefined, 'high', undefined, undefined])
  })

  it('stays high between the marks and turns low only at the low-water mark', () => {
    expect(run([16, 15, 8, 5, 4, 3])).to.deep.equal(['high', undefined, undefined, undefined, 'low', undefined])
  })

  it('does not turn low while low, nor high again before it has turned low', () => {
    expect(run([3, 0, 16, 10, 17, 4, 16])).to.deep.equal([undefined, undefined, 'high', undefined, undefined, 'low', 'high'])
  })

  it('reports its side through `high`', () => {
    const marks = new WaterMarks()
    marks.update(true, false)
    expect(marks.high).to.equal(true)
    marks.update(false, false)
    expect(marks.high).to.equal(true)
    marks.update(false, true)
    expect(marks.high).to.equal(false)
  })

  it('checks only the mark on the far side of where it stands', () => {
    const marks = new WaterMarks()
    expect(marks.update(true, true)).to.equal('high')
    expect(marks.update(true, true)).to.equal('low')
  })
})
