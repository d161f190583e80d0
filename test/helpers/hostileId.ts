import fc from "fast-check"

/** Ids of every kind: AWS-like, empty, long, unicode, separators, dot segments, percent forms, control characters. */
export const hostileId: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    "",
    ".",
    "..",
    "/",
    "%2F",
    "%2e%2e",
    "?",
    "#",
    "a?b=c",
    "a#b",
    "..%2F..%2Fadmin",
    "@connections",
    "\u0000",
    "\u007f",
    " ",
    "\t"
  ),
  fc.string({ unit: "binary", maxLength: 140 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.stringMatching(/^[A-Za-z0-9+/=_-]{1,20}$/),
  fc.base64String({ minLength: 16, maxLength: 16 }),
  fc.string({ unit: fc.constantFrom("a", "/", ".", "%", "?", "#", "=", "-", " ", "\\", "&"), maxLength: 12 }),
  fc.string({ minLength: 120, maxLength: 140 })
)
