/** Cold-start baseline: a handler that does nothing (what starting `node` and loading a module costs). */
export const handler = async () => ({ statusCode: 200 })
