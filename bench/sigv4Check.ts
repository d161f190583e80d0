import { SignatureV4 } from "@smithy/signature-v4"
import * as Crypto from "node:crypto"
import { connectionPath } from "./lib/httpPost.js"
import { makeSigner } from "./sigv4.js"

type SourceData = string | ArrayBuffer | ArrayBufferView

const bytes = (data: SourceData): string | Uint8Array =>
  typeof data === "string"
    ? data
    : ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data)

/** SHA-256 and HMAC-SHA-256 on node:crypto, in the shape `@smithy/signature-v4` expects. */
class Sha256 {
  private readonly hash: Crypto.Hash | Crypto.Hmac
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? Crypto.createHash("sha256") : Crypto.createHmac("sha256", bytes(secret))
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data))
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()))
  }
}

/**
 * Signs the same request with the bench's minimal signer and with `@smithy/signature-v4`, and throws unless the
 * `authorization` headers match: the "signed ceiling" must do all of the real work.
 */
export const checkSigner = async (): Promise<void> => {
  const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" }
  const now = Date.UTC(2024, 0, 2, 3, 4, 5)
  const host = "127.0.0.1:8080"
  const path = connectionPath("local", "L0SM9cOFvHcCIhw=")
  const body = Buffer.from("hello, connection")
  for (const sessionToken of [undefined, "session/token+EXAMPLE="]) {
    const ours = makeSigner({ ...credentials, sessionToken, region: "us-east-1" })("POST", host, path, body, now)
    const smithy = new SignatureV4({
      credentials: sessionToken ? { ...credentials, sessionToken } : credentials,
      region: "us-east-1",
      service: "execute-api",
      sha256: Sha256,
      applyChecksum: false
    })
    const signed = await smithy.sign(
      { method: "POST", protocol: "http:", hostname: "127.0.0.1", port: 8080, path, headers: { host }, body },
      { signingDate: new Date(now) }
    )
    if (signed.headers["authorization"] !== ours.authorization) {
      throw new Error(
        `bench/sigv4.ts disagrees with @smithy/signature-v4:\n  ours:   ${ours.authorization}\n  smithy: ${signed.headers["authorization"]}`
      )
    }
  }
}
