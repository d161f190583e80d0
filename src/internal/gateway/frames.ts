/**
 * @internal
 * API Gateway's two size limits on what a client sends: a frame of at most 32 KB, a message (its frames together) of at
 * most 128 KB. `ws` checks only the message (`maxPayload`), so the gateway reads each frame's header as the bytes
 * arrive, before `ws` does, and reports the first data frame over the limit.
 */

interface FrameHeader {
  readonly opcode: number
  readonly payloadLength: number
  /** The header's own size: 2 bytes, the extended length (2 or 8), the masking key (4). */
  readonly size: number
}

/** @internal The header at the start of `bytes`, or undefined while it is still incomplete. */
export const parseHeader = (bytes: Uint8Array): FrameHeader | undefined => {
  if (bytes.length < 2) return undefined
  const length7 = bytes[1]! & 0x7f
  const extended = length7 === 126 ? 2 : length7 === 127 ? 8 : 0
  const size = 2 + extended + (bytes[1]! & 0x80 ? 4 : 0)
  if (bytes.length < size) return undefined
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const payloadLength =
    extended === 0 ? length7 : extended === 2 ? view.getUint16(2) : view.getUint32(2) * 2 ** 32 + view.getUint32(6)
  return { opcode: bytes[0]! & 0x0f, payloadLength, size }
}

/**
 * @internal
 * A `data` listener for a client's socket: follows the frames across chunks (skipping payloads) and calls
 * `onOversize` once, at the header of the first data frame (not a ping, pong or close) longer than `maxFrameBytes`.
 */
export const frameGuard = (maxFrameBytes: number, onOversize: (payloadLength: number) => void) => {
  let pending: Uint8Array = new Uint8Array(0)
  let skip = 0
  let tripped = false
  return (chunk: Buffer): void => {
    let offset = 0
    while (!tripped && offset < chunk.length) {
      if (skip > 0) {
        const skipped = Math.min(skip, chunk.length - offset)
        skip -= skipped
        offset += skipped
        continue
      }
      // At most 14 header bytes: what was left from the last chunk, then this chunk's.
      const taken = Math.min(14 - pending.length, chunk.length - offset)
      const fresh = chunk.subarray(offset, offset + taken)
      const bytes = pending.length === 0 ? fresh : Buffer.concat([pending, fresh])
      const header = parseHeader(bytes)
      if (header === undefined) {
        pending = bytes
        offset += taken
        continue
      }
      offset += header.size - pending.length
      pending = new Uint8Array(0)
      if (header.opcode < 0x8 && header.payloadLength > maxFrameBytes) {
        tripped = true
        onOversize(header.payloadLength)
        return
      }
      skip = header.payloadLength
    }
  }
}
