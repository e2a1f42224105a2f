import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import { digestOf, sha256, tokenDigest } from './digest.js'
import { bytesToHex } from './encoding.js'

// In Node the digests come from node:crypto's one-shot hash; they must be the bytes the
// browser path (@noble/hashes over TextEncoder's UTF-8) gives, lone surrogates included.
const texts = ['', 'abc', 'é€😀', 'lone \ud800 high', 'lone \udc00 low', 'x'.repeat(10_000)]

describe('sha256 and digestOf in Node', () => {
  it('hash a string as TextEncoder writes it, lone surrogates as U+FFFD', () => {
    for (const text of texts) {
      const expected = nobleSha256(new TextEncoder().encode(text))
      expect(sha256(text)).toEqual(expected)
      expect(digestOf(text)).toBe(`sha256:${bytesToHex(expected)}`)
      expect(tokenDigest(text)).toBe(`sha256:${bytesToHex(expected)}`)
    }
  })

  it('hash bytes, including a view into a larger buffer, as the browser path does', () => {
    const backing = new Uint8Array(64).map((_, index) => index)
    for (const bytes of [new Uint8Array(0), backing, backing.subarray(7, 40)]) {
      expect(sha256(bytes)).toEqual(nobleSha256(bytes))
      expect(digestOf(bytes)).toBe(`sha256:${bytesToHex(nobleSha256(bytes))}`)
    }
  })

  it('returns a plain Uint8Array of its own, which a caller may change', () => {
    const first = sha256('abc')
    expect(first.constructor).toBe(Uint8Array)
    expect(first.byteLength).toBe(32)
    expect(first.buffer.byteLength).toBe(32)
    first.fill(0)
    expect(sha256('abc')).toEqual(nobleSha256(new TextEncoder().encode('abc')))
  })
})
