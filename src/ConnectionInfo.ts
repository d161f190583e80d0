/**
 * What API Gateway knows about a connection, with the Go original's age and activity rules.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"

/**
 * @since 0.1.0
 * @category models
 */
export type ConnectionState = "ACTIVE" | "DISCONNECTED" | "STALE"

/**
 * A connection idle this long or longer is no longer active (API Gateway's maximum connection duration).
 *
 * @since 0.1.0
 * @category constants
 */
export const activeWindow: Duration.Duration = Duration.hours(2)

/**
 * The answer of `getConnection`.
 *
 * @example
 * ```ts
 * import { ConnectionInfo } from "effect-streamer"
 * import { Duration } from "effect"
 *
 * const info = new ConnectionInfo.ConnectionInfo({
 *   connectionId: "L0SM9cOFvHcCIhw=",
 *   connectedAt: new Date("2026-12-04T10:00:00Z"),
 *   lastActiveAt: new Date("2026-12-04T10:05:00Z")
 * })
 * const now = new Date("2026-12-04T10:10:00Z")
 * console.log(Duration.toMinutes(info.age(now)), info.state(now)) // 10 "ACTIVE"
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export class ConnectionInfo {
  readonly connectionId: string
  readonly connectedAt: Date | undefined
  readonly lastActiveAt: Date | undefined
  readonly sourceIp: string | undefined
  readonly userAgent: string | undefined
  readonly identity: Record<string, unknown>

  constructor(fields: {
    readonly connectionId: string
    readonly connectedAt?: Date | undefined
    readonly lastActiveAt?: Date | undefined
    readonly sourceIp?: string | undefined
    readonly userAgent?: string | undefined
    readonly identity?: Record<string, unknown> | undefined
  }) {
    this.connectionId = fields.connectionId
    this.connectedAt = validDate(fields.connectedAt)
    this.lastActiveAt = validDate(fields.lastActiveAt)
    const identity = fields.identity ?? {}
    this.sourceIp = fields.sourceIp ?? stringField(identity, "sourceIp")
    this.userAgent = fields.userAgent ?? stringField(identity, "userAgent")
    this.identity = {
      ...identity,
      ...(this.sourceIp !== undefined ? { sourceIp: this.sourceIp } : {}),
      ...(this.userAgent !== undefined ? { userAgent: this.userAgent } : {})
    }
  }

  /** How long the connection has been open; zero without `connectedAt`. */
  age(now: Date = new Date()): Duration.Duration {
    return since(this.connectedAt, now)
  }

  /** How long since the client was last active: `lastActiveAt`, else `connectedAt`, else zero. */
  idleDuration(now: Date = new Date()): Duration.Duration {
    return since(this.lastActiveAt ?? this.connectedAt, now)
  }

  /** Active when `lastActiveAt` is missing or less than 2 hours old (exactly 2 hours is inactive). */
  isActive(now: Date = new Date()): boolean {
    return this.lastActiveAt === undefined || Duration.lessThan(since(this.lastActiveAt, now), activeWindow)
  }

  /** `ACTIVE` while active, `STALE` once idle for 2 hours or more. */
  state(now: Date = new Date()): ConnectionState {
    return this.isActive(now) ? "ACTIVE" : "STALE"
  }

  /** @internal */
  toJSON(): unknown {
    return {
      connectionId: this.connectionId,
      connectedAt: this.connectedAt?.toISOString(),
      lastActiveAt: this.lastActiveAt?.toISOString(),
      sourceIp: this.sourceIp,
      userAgent: this.userAgent,
      identity: this.identity
    }
  }
}

const validDate = (d: Date | undefined): Date | undefined =>
  d === undefined || Number.isNaN(d.getTime()) || d.getTime() <= 0 ? undefined : d

const stringField = (o: Record<string, unknown>, key: string): string | undefined =>
  typeof o[key] === "string" ? (o[key] as string) : undefined

const since = (from: Date | undefined, now: Date): Duration.Duration =>
  from === undefined ? Duration.zero : Duration.millis(Math.max(0, now.getTime() - from.getTime()))
