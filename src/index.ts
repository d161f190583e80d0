/**
 * effect-streamer: an Effect client for the API Gateway WebSocket Management API.
 *
 * @since 0.1.0
 */

/**
 * The service: post to, read and close connections.
 *
 * @since 0.1.0
 */
export * as Streamer from "./Streamer.js"

/**
 * The typed errors, their union and guards.
 *
 * @since 0.1.0
 */
export * as StreamerError from "./StreamerError.js"

/**
 * What API Gateway knows about a connection.
 *
 * @since 0.1.0
 */
export * as ConnectionInfo from "./ConnectionInfo.js"

/**
 * Region resolution.
 *
 * @since 0.1.0
 */
export * as Region from "./Region.js"

/**
 * Endpoint normalisation, and the endpoint of a Lambda WebSocket event.
 *
 * @since 0.1.0
 */
export * as Endpoint from "./Endpoint.js"

/**
 * The retry schedule.
 *
 * @since 0.1.0
 */
export * as RetryPolicy from "./RetryPolicy.js"

/**
 * An in-memory `Streamer` for unit tests.
 *
 * @since 0.1.0
 */
export * as StreamerTest from "./StreamerTest.js"

/**
 * A Lambda handler for WebSocket APIs whose routes are Effects.
 *
 * @since 0.1.0
 */
export * as WebSocketHandler from "./WebSocketHandler.js"
