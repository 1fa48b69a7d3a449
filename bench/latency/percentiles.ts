/** Sends `count` messages one after another through `roundTrip`, after 200 for warm-up; p50 and p99 in microseconds. */
export async function timeRoundTrips(roundTrip: (message: string) => Promise<unknown>, count: number): Promise<{ count: number; p50Us: number; p99Us: number }> {
  for (let index = 0; index < 200; index++) await roundTrip(`warm-up ${index}`)
  const times: number[] = []
  for (let index = 0; index < count; index++) {
    const started = process.hrtime.bigint()
    await roundTrip(`message ${index}`)
    times.push(Number(process.hrtime.bigint() - started) / 1000)
  }
  times.sort((a, b) => a - b)
  return { count, p50Us: times[Math.floor(count * 0.5)], p99Us: times[Math.floor(count * 0.99)] }
}

/** Resolves each `roundTrip` with the next reply: replies come in order, one at a time. */
export function replies(send: (message: string) => void): { roundTrip: (message: string) => Promise<void>; onReply: () => void } {
  let waiting: (() => void) | undefined
  return {
    roundTrip: (message) =>
      new Promise<void>((resolve) => {
        waiting = resolve
        send(message)
      }),
    onReply: () => waiting?.(),
  }
}
