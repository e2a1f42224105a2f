import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { codeOf } from '../test/codes.js'
import { base64UrlDecode, base64UrlEncode, utf8ByteLength, utf8Encode } from './encoding.js'

describe('base64url', () => {
  it('round-trips and matches Node', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const encoded = base64UrlEncode(bytes)
        expect(encoded).toBe(Buffer.from(bytes).toString('base64url'))
        expect(base64UrlDecode(encoded)).toEqual(bytes)
      }),
    )
  })

  it.each([
    ['padding', 'QQ=='],
    ['standard alphabet +', 'a+b_'],
    ['standard alphabet /', 'a/b_'],
    ['whitespace', 'QU JD'],
    ['impossible length', 'QUJDR'],
    ['non-zero trailing bits', 'QR'],
    ['non-ASCII', 'QUJDé'],
  ])('refuses %s → MALFORMED', (_name, text) => {
    expect(codeOf(() => base64UrlDecode(text))).toBe('MALFORMED')
  })
})

describe('utf8ByteLength', () => {
  it('agrees with TextEncoder on well-formed strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        expect(utf8ByteLength(text)).toBe(utf8Encode(text).length)
      }),
    )
  })
})
