import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import { ConnectionInfo } from "../src/ConnectionInfo.js"

const now = new Date("2026-12-04T12:00:00.000Z")
const ago = (ms: number) => new Date(now.getTime() - ms)
const minutes = (n: number) => n * 60_000
const hours = (n: number) => n * 3_600_000
const id = "L0SM9cOFvHcCIhw="

describe("ConnectionInfo", () => {
  it("5 minutes idle is active", () => {
    const info = new ConnectionInfo({ connectionId: id, connectedAt: ago(hours(1)), lastActiveAt: ago(minutes(5)) })
    assert.isTrue(info.isActive(now))
    assert.strictEqual(info.state(now), "ACTIVE")
    assert.strictEqual(Duration.toMillis(info.idleDuration(now)), minutes(5))
    assert.strictEqual(Duration.toMillis(info.age(now)), hours(1))
  })
  it("over 2 hours idle is inactive", () => {
    const info = new ConnectionInfo({ connectionId: id, connectedAt: ago(hours(3)), lastActiveAt: ago(hours(2) + 1) })
    assert.isFalse(info.isActive(now))
    assert.strictEqual(info.state(now), "STALE")
  })
  it("exactly 2 hours idle is inactive", () => {
    const info = new ConnectionInfo({ connectionId: id, connectedAt: ago(hours(3)), lastActiveAt: ago(hours(2)) })
    assert.isFalse(info.isActive(now))
  })
  it("just under 2 hours idle is active", () => {
    const info = new ConnectionInfo({ connectionId: id, lastActiveAt: ago(hours(2) - 1) })
    assert.isTrue(info.isActive(now))
  })
  it("no lastActiveAt means active; idle falls back to connectedAt", () => {
    const info = new ConnectionInfo({ connectionId: id, connectedAt: ago(hours(5)) })
    assert.isTrue(info.isActive(now))
    assert.strictEqual(Duration.toMillis(info.idleDuration(now)), hours(5))
  })
  it("zero timestamps: age and idle are zero, still active", () => {
    const info = new ConnectionInfo({ connectionId: id })
    assert.isTrue(Duration.equals(info.age(now), Duration.zero))
    assert.isTrue(Duration.equals(info.idleDuration(now), Duration.zero))
    assert.isTrue(info.isActive(now))
    const epoch = new ConnectionInfo({ connectionId: id, connectedAt: new Date(0), lastActiveAt: new Date(Number.NaN) })
    assert.isUndefined(epoch.connectedAt)
    assert.isUndefined(epoch.lastActiveAt)
    assert.isTrue(Duration.equals(epoch.age(now), Duration.zero))
  })
  it("a clock behind the timestamps never gives a negative duration", () => {
    const info = new ConnectionInfo({ connectionId: id, connectedAt: new Date(now.getTime() + 1000) })
    assert.isTrue(Duration.equals(info.age(now), Duration.zero))
  })
  it("reads sourceIp and userAgent from identity", () => {
    const info = new ConnectionInfo({ connectionId: id, identity: { sourceIp: "203.0.113.5", userAgent: "ws/8" } })
    assert.strictEqual(info.sourceIp, "203.0.113.5")
    assert.strictEqual(info.userAgent, "ws/8")
    assert.deepStrictEqual(info.identity, { sourceIp: "203.0.113.5", userAgent: "ws/8" })
  })
  it("defaults now to the current time", () => {
    const info = new ConnectionInfo({ connectionId: id, connectedAt: new Date(Date.now() - minutes(1)) })
    assert.isAtLeast(Duration.toMillis(info.age()), minutes(1))
  })
})
