/**
 * effect-streamer/local: the local API Gateway, kept out of the main entry so that a Lambda bundle never pulls in a
 * WebSocket server.
 *
 * @since 0.1.0
 */

/**
 * A faithful local API Gateway (WebSocket API and Management API) for development and tests.
 *
 * @since 0.1.0
 */
export * as LocalGateway from "./LocalGateway.js"
