import * as Http from "node:http"

/** One request on a keep-alive agent; resolves on a 2xx answer (body drained), rejects otherwise. */
export const request = (
  agent: Http.Agent,
  options: { readonly port: number; readonly method: string; readonly path: string },
  headers: Http.OutgoingHttpHeaders,
  body: Uint8Array | undefined
): Promise<void> =>
  new Promise((resolve, reject) => {
    const req = Http.request({ agent, host: "127.0.0.1", ...options, headers }, (res) => {
      res.resume()
      res.on("end", () => {
        const status = res.statusCode ?? 0
        if (status >= 200 && status < 300) resolve()
        else reject(new Error(`HTTP ${status} ${res.headers["x-amzn-errortype"] ?? ""}`.trim()))
      })
    })
    req.on("error", reject)
    req.end(body)
  })

/** `/{stage}/@connections/{id}` with the id as one percent-encoded segment. */
export const connectionPath = (stage: string, id: string): string => `/${stage}/@connections/${encodeURIComponent(id)}`
