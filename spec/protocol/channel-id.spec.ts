import { expect } from 'chai'
import { randomUUID } from 'crypto'
import { channelHome, homedChannelId } from '../../lib/protocol/channel-id'
import { MAX_CHANNEL_ID_LENGTH } from '../../lib/protocol/channel-url'

describe('channel ids that name their home node', () => {
  it('give back the node they were made for, also one with the longest node id', () => {
    for (const node of ['A', 'node-1_b', 'n'.repeat(64)]) {
      const id = homedChannelId(node, randomUUID())
      expect(channelHome(id)).to.equal(node)
      expect(id.length).to.be.at.most(MAX_CHANNEL_ID_LENGTH)
      expect(encodeURIComponent(id)).to.equal(id)
    }
  })

  it('name no home when plain (an engine on its own) or when the part before the dot is no node id', () => {
    for (const id of [randomUUID(), `.${randomUUID()}`, `a b.${randomUUID()}`, `${'n'.repeat(65)}.${randomUUID()}`, 'no-dot']) {
      expect(channelHome(id)).to.equal(undefined)
    }
  })
})
