/** Keeps `inFlight` calls going until `seconds` have passed; counts the completed ones. */
export async function callFor(call: () => Promise<unknown>, inFlight: number, seconds: number): Promise<{ calls: number; seconds: number }> {
  const started = process.hrtime.bigint()
  const deadline = started + BigInt(Math.round(seconds * 1e9))
  let calls = 0
  const lane = async () => {
    while (process.hrtime.bigint() < deadline) {
      await call()
      calls++
    }
  }
  await Promise.all(Array.from({ length: inFlight }, lane))
  return { calls, seconds: Number(process.hrtime.bigint() - started) / 1e9 }
}
