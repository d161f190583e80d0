/** What a batch of posts came to. */
export interface Outcome {
  readonly ok: number
  readonly failed: number
  /** The first failure, for the report. */
  readonly firstError?: string | undefined
}

export const describe = (error: unknown): string =>
  error instanceof Error
    ? `${error.name}: ${error.message}`
    : typeof error === "object"
      ? JSON.stringify(error)
      : String(error)

/** A Promise pool: `concurrency` workers each take the next id until none are left; failures are counted. */
export const promisePool = async (
  ids: ReadonlyArray<string>,
  concurrency: number,
  task: (id: string) => Promise<unknown>
): Promise<Outcome> => {
  let next = 0
  let ok = 0
  let failed = 0
  let firstError: string | undefined
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++]!
      try {
        await task(id)
        ok++
      } catch (error) {
        failed++
        firstError ??= describe(error)
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, worker))
  return { ok, failed, firstError }
}
