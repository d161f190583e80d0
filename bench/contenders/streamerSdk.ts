/** (e) Streamer over the `"sdk"` transport. */
import { streamerContender } from "./streamer.js"

export const contender = streamerContender("sdk")
