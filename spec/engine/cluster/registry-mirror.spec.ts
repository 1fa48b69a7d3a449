import { expect } from 'chai'
import { RegistryMirror } from '../../../lib/engine/cluster/registry-mirror'

const bounds = { limit: 2, maxBytes: 1024 * 1024 }
const claim = (node: string, worker: string) => ({ node, worker, listed: { description: `${worker} on ${node}` } })
const listing = (node: string, workerId: string) => ({ node, worker_id: workerId, connected_at: '2026-01-01T00:00:00.000Z', metadata: null })

describe("a node's mirror of the cluster registry", () => {
  it('lists every function with its worker and node, a page at a time, and forgets a node with its functions and workers', () => {
    const mirror = new RegistryMirror()
    mirror.putWorker(listing('b', 'wb'))
    mirror.putWorker(listing('c', 'wc'))
    mirror.claim('f1', claim('b', 'wb'))
    mirror.claim('f2', claim('c', 'wc'))
    mirror.claim('f3', claim('b', 'wb'))
    const first = mirror.listFunctions(undefined, bounds)
    expect(first.items).to.deep.equal([
      { function_id: 'f1', worker_id: 'wb', node_id: 'b', description: 'wb on b' },
      { function_id: 'f2', worker_id: 'wc', node_id: 'c', description: 'wc on c' },
    ])
    expect(mirror.listFunctions(first.nextCursor, bounds).items.map((entry) => entry.function_id)).to.deep.equal(['f3'])
    expect(mirror.listWorkers(undefined, { limit: 10, maxBytes: 1 << 20 }, () => undefined).items).to.deep.include({
      worker_id: 'wb',
      connected_at: '2026-01-01T00:00:00.000Z',
      functions: ['f1', 'f3'],
      metadata: null,
      node_id: 'b',
    })

    mirror.dropNode('b')
    expect(mirror.owner('f1')).to.equal(undefined)
    expect(mirror.listFunctions(undefined, { limit: 10, maxBytes: 1 << 20 }).items.map((entry) => entry.function_id)).to.deep.equal(['f2'])
    expect(mirror.listWorkers(undefined, { limit: 10, maxBytes: 1 << 20 }, () => undefined).items.map((entry) => entry.worker_id)).to.deep.equal(['wc'])
  })

  it('lets a release of an id that another worker holds now leave it alone, and moves a claimed id to its new holder', () => {
    const mirror = new RegistryMirror()
    mirror.putWorker(listing('b', 'old'))
    mirror.putWorker(listing('c', 'new'))
    mirror.claim('moved', claim('b', 'old'))
    mirror.claim('moved', claim('c', 'new'))
    mirror.release('moved', 'b', 'old')
    expect(mirror.owner('moved')).to.deep.include({ node: 'c', worker: 'new' })
    const workers = mirror.listWorkers(undefined, { limit: 10, maxBytes: 1 << 20 }, () => undefined).items
    expect(workers.map((entry) => entry.functions)).to.deep.equal([[], ['moved']])
  })
})
