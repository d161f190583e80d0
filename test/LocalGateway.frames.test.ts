import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import * as Frames from "../src/internal/gateway/frames.js"

interface Frame {
  readonly opcode: number
  readonly length: number
  readonly masked: boolean
}

/** A frame's bytes as a client sends them: header, optional masking key, payload (zeros; the guard never reads it). */
const encode = ({ length, masked, opcode }: Frame): Buffer => {
  const extended = length < 126 ? 0 : length <= 0xffff ? 2 : 8
  const header = Buffer.alloc(2 + extended + (masked ? 4 : 0))
  header[0] = 0x80 | opcode
  header[1] = (masked ? 0x80 : 0) | (extended === 0 ? length : extended === 2 ? 126 : 127)
  if (extended === 2) header.writeUInt16BE(length, 2)
  if (extended === 8) header.writeBigUInt64BE(BigInt(length), 2)
  return Buffer.concat([header, Buffer.alloc(length)])
}

/** Feeds `bytes` to a guard in chunks of the given sizes (cycled), and returns the lengths it reported. */
const feed = (bytes: Buffer, chunkSizes: ReadonlyArray<number>, max = 32768): Array<number> => {
  const reported: Array<number> = []
  const guard = Frames.frameGuard(max, (length) => reported.push(length))
  for (let offset = 0, i = 0; offset < bytes.length; i++) {
    const size = chunkSizes[i % chunkSizes.length]!
    guard(bytes.subarray(offset, offset + size))
    offset += size
  }
  return reported
}

const dataFrame = fc.record({
  opcode: fc.constantFrom(0x0, 0x1, 0x2),
  length: fc.oneof(
    fc.integer({ min: 0, max: 200 }),
    fc.integer({ min: 124, max: 127 }),
    fc.integer({ min: 32760, max: 32776 }),
    fc.integer({ min: 65533, max: 65538 }),
    fc.integer({ min: 0, max: 140_000 })
  ),
  masked: fc.boolean()
})
const controlFrame = fc.record({
  opcode: fc.constantFrom(0x8, 0x9, 0xa),
  length: fc.integer({ min: 0, max: 125 }),
  masked: fc.boolean()
})

describe("LocalGateway frame guard", () => {
  it("reads 7-bit, 16-bit and 64-bit lengths, masked or not", () => {
    for (const length of [0, 125, 126, 127, 32768, 65535, 65536, 131073]) {
      for (const masked of [false, true]) {
        const header = Frames.parseHeader(encode({ opcode: 1, length, masked }))
        assert.deepStrictEqual(
          header,
          {
            opcode: 1,
            payloadLength: length,
            size: 2 + (length < 126 ? 0 : length <= 0xffff ? 2 : 8) + (masked ? 4 : 0)
          },
          `${length} ${masked}`
        )
      }
    }
    assert.isUndefined(Frames.parseHeader(encode({ opcode: 1, length: 70000, masked: true }).subarray(0, 13)))
  })

  it("reports the first data frame over the limit, once, however the bytes are split into chunks", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof({ arbitrary: dataFrame, weight: 4 }, { arbitrary: controlFrame, weight: 1 }), {
          minLength: 1,
          maxLength: 8
        }),
        fc.array(fc.integer({ min: 1, max: 40_000 }), { minLength: 1, maxLength: 6 }),
        (frames, chunkSizes) => {
          const first = frames.find((f) => f.opcode < 0x8 && f.length > 32768)
          const reported = feed(Buffer.concat(frames.map(encode)), chunkSizes)
          assert.deepStrictEqual(reported, first === undefined ? [] : [first.length])
        }
      ),
      { numRuns: 300 }
    )
  })

  it("follows headers split byte by byte", () => {
    const frames: Array<Frame> = [
      { opcode: 1, length: 32768, masked: true },
      { opcode: 9, length: 4, masked: true },
      { opcode: 0, length: 70000, masked: true }
    ]
    assert.deepStrictEqual(feed(Buffer.concat(frames.map(encode)), [1]), [70000])
  })
})
