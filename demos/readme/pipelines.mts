// writer and output are ChannelWriters, reader and input ChannelReaders (from createChannel(), or refs in a payload).
import * as t from 'io-ts' // npm install io-ts
import { createReadStream, createWriteStream } from 'fs'
import { lastValueFrom, map, pipe, Subject } from 'rxjs'
import { decodeJson, encodeJson, encodeNdjson, fromReadable, fromWritable, parseNdjson, rechunk } from 'rx-channels'

// io-ts codecs: records and messages are checked on arrival.
const Reading = t.type({ id: t.number, value: t.number })
const Progress = t.type({ bytesIn: t.number })

// A file of any size into a channel, read only as fast as the far reader consumes.
await lastValueFrom(fromReadable(createReadStream(path)).to(writer.chunks))

// A channel into a file, with the file's backpressure reaching back to the writer.
await lastValueFrom(reader.flow.to(fromWritable(createWriteStream(out))))

// Consume at your own pace: four chunks ahead, one more per chunk handled.
const demand = new Subject<number>()
reader.flow.pull(demand).subscribe((chunk) => { handle(chunk); demand.next(1) })
demand.next(4)

// Channel to channel through a transform, backpressure across both hops.
await lastValueFrom(input.flow.pipe(pipe(parseNdjson(Reading), map(enrich), encodeNdjson(), rechunk(64 * 1024))).to(output.chunks))

// Typed progress beside the data.
progress$.pipe(encodeJson(Progress)).subscribe({ next: (text) => writer.sendMessage(text) })
reader.messages$.pipe(decodeJson(Progress)).subscribe((p) => bar.update(p.bytesIn))

// for await over a reader; breaking out releases the channel (the writer gets reader_gone).
for await (const chunk of reader) hash.update(chunk)
