import { expect } from 'chai'
import { Groups, Tally } from '../../lib/engine/pruned-maps'

describe('pruned maps', () => {
  describe('Tally', () => {
    it('counts per key and forgets a key whose count falls to zero', () => {
      const tally = new Tally<string>()
      tally.add('a', 1)
      tally.add('a', 2)
      tally.add('b', 1)
      expect([tally.of('a'), tally.of('b'), tally.size]).to.deep.equal([3, 1, 2])
      tally.add('a', -3)
      expect(tally.of('a')).to.equal(0)
      expect(tally.size).to.equal(1)
    })

    it('keeps no key taken below zero, and answers zero for it', () => {
      const tally = new Tally<string>()
      tally.add('gone', -1)
      expect(tally.of('gone')).to.equal(0)
      expect(tally.size).to.equal(0)
    })
  })

  describe('Groups', () => {
    it('holds values by group and key', () => {
      const groups = new Groups<string, string, number>()
      groups.set('w1', 'i1', 1)
      groups.set('w1', 'i2', 2)
      groups.set('w2', 'i1', 3)
      expect([...(groups.get('w1') ?? [])]).to.deep.equal([['i1', 1], ['i2', 2]])
      expect([...groups.values()].map((members) => members.size)).to.deep.equal([2, 1])
    })

    it('deletes a group with its last value, and ignores keys it does not hold', () => {
      const groups = new Groups<string, string, number>()
      groups.set('w1', 'i1', 1)
      groups.delete('w1', 'other')
      groups.delete('nobody', 'i1')
      expect(groups.get('w1')?.size).to.equal(1)
      groups.delete('w1', 'i1')
      expect(groups.get('w1')).to.equal(undefined)
      expect([...groups.values()]).to.deep.equal([])
    })
  })
})
