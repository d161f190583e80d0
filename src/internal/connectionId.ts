import * as Option from "effect/Option"

/** @internal The longest connection id accepted. */
export const maxLength = 128

/**
 * @internal
 * Why an id is refused before any request, or none when it is acceptable: non-empty, at most 128 characters,
 * printable ASCII without whitespace or `/`, and not `.` or `..` (which HTTP clients send as dot segments).
 */
export const invalidReason = (id: unknown): Option.Option<string> => {
  if (typeof id !== "string") return Option.some("the connection id must be a string")
  if (id.length === 0) return Option.some("the connection id is empty")
  if (id.length > maxLength) return Option.some(`the connection id is longer than ${maxLength} characters`)
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i)
    if (c <= 0x20 || c >= 0x7f) return Option.some("the connection id must be printable ASCII without whitespace")
    if (c === 0x2f) return Option.some("the connection id must not contain '/'")
  }
  if (id === "." || id === "..") return Option.some("the connection id must not be a dot segment")
  return Option.none()
}

/**
 * @internal
 * The id as one percent-encoded path segment: everything but RFC 3986 unreserved characters is encoded, so no id
 * can add a segment, a query or a fragment (`=` becomes `%3D`).
 */
export const encodeSegment = (id: string): string =>
  encodeURIComponent(id).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

/** @internal The request path for a connection under an endpoint's stage path (`/stage/@connections/{id}`). */
export const path = (stagePath: string, id: string): string => `${stagePath}/@connections/${encodeSegment(id)}`
