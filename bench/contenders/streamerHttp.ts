/** (f) Streamer over the `"http"` transport (skipped until `Streamer.layer` accepts it). */
import { streamerContender } from "./streamer.js"

export const contender = streamerContender("http")
