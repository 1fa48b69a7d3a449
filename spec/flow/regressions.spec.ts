import { expect } from 'chai'
import { firstValueFrom, lastValueFrom, of, Subject, toArray } from 'rxjs'
import { fromAsyncIterable, rechunk } from '../../lib'
import { useEngine } from '../support/engine'
import { useWorkers } from '../support/workers'

// Each spec here is named after a bug that was fixed, so it stays fixed.
describe('flow regressions', () => {
  const context = useEngine()
  const worker = useWorkers()

  it('a consumer that requests more from inside next still gets chunks in order (re-entrant flush)', async () => {
    const { writer, reader } = await (await worker(context.url)).createChannel()
    // Fewer chunks than the reader's read-ahead, then a marker: once the marker is in, every
    // chunk is queued at the reader, so one request from inside next meets a full queue.
    const total = 10
    for (let index = 0; index < total; index++) writer.write(Buffer.from(String(index)))
    writer.sendMessage('all sent')
    writer.close()
    await firstValueFrom(reader.messages$)
    const demand = new Subject<number>()
    const received: number[] = []
    await new Promise<void>((resolve, reject) => {
      reader.flow.pull(demand).subscribe({
        next: (chunk) => {
          demand.next(1)
          received.push(Number(chunk.toString()))
        },
        error: reject,
        complete: resolve,
      })
      demand.next(1)
    })
    expect(received).to.deep.equal(Array.from({ length: total }, (_, index) => index))
  })

  it('driving a flow through an operator that merges values does not stall (demand counts source values)', async () => {
    const { writer, reader } = await (await worker(context.url)).createChannel()
    async function* lines() {
      for (let index = 0; index < 20_000; index++) yield Buffer.from(`line ${index}\n`)
    }
    const expected = Buffer.concat(await lastValueFrom(of(...Array.from({ length: 20_000 }, (_, index) => Buffer.from(`line ${index}\n`))).pipe(toArray())))
    const received = reader.readAll()
    await lastValueFrom(fromAsyncIterable(lines()).pipe(rechunk(64 * 1024)).to(writer.chunks))
    expect((await received).equals(expected)).to.equal(true)
  })
})
