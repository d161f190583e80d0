/**
 * Connection ids shaped like API Gateway's (16 characters ending in `=`, which every client must percent-encode).
 * The loopback server answers 410 for ids starting with `gone`.
 */
export const liveId = (n: number, prefix = "L"): string => `${prefix}${n.toString(36).padStart(14, "0")}=`
export const goneId = (n: number): string => `gone${n.toString(36).padStart(11, "0")}=`

/** `count` live ids, numbered from `from`. */
export const liveIds = (count: number, from = 0, prefix = "L"): Array<string> =>
  Array.from({ length: count }, (_, i) => liveId(from + i, prefix))

/** Every `goneEvery`-th id is gone (10 -> 10% gone), the rest live; lazily, so nothing holds them all. */
export function* mixedIds(count: number, goneEvery = 10): Generator<string> {
  for (let i = 0; i < count; i++) yield i % goneEvery === goneEvery - 1 ? goneId(i) : liveId(i)
}

/** A 100-byte message (JSON text, as bytes), the same for every contender. */
export const payload = (bytes = 100): Buffer => {
  const head = '{"type":"tick","seq":1,"data":"'
  const tail = '"}'
  return Buffer.from(head + "x".repeat(Math.max(0, bytes - head.length - tail.length)) + tail)
}
