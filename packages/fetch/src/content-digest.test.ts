import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { contentDigestMatches, contentDigestOf } from './content-digest.js'

const body = new TextEncoder().encode('{"hello":"world"}')
const sha256 = createHash('sha256').update(body).digest('base64')
const sha512 = createHash('sha512').update(body).digest('base64')

describe('Content-Digest (RFC 9530)', () => {
  it('writes sha-256 as a structured-field byte sequence', () => {
    expect(contentDigestOf(body)).toBe(`sha-256=:${sha256}:`)
    // RFC 9530 appendix B.1 example: the digest of {"hello": "world"} plus a newline.
    expect(contentDigestOf(new TextEncoder().encode('{"hello": "world"}\n'))).toBe(
      'sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:',
    )
  })

  it('accepts matching sha-256 and sha-512 members and ignores unknown algorithms', async () => {
    expect(await contentDigestMatches(`sha-256=:${sha256}:`, body)).toBe(true)
    expect(await contentDigestMatches(`sha-512=:${sha512}:, sha-256=:${sha256}:`, body)).toBe(true)
    expect(await contentDigestMatches(`md5=:AAAA:, sha-256=:${sha256}:`, body)).toBe(true)
  })

  it('refuses a mismatch in any member, a field with nothing checkable, and a malformed field', async () => {
    const other = createHash('sha256').update('other').digest('base64')
    expect(await contentDigestMatches(`sha-256=:${other}:`, body)).toBe(false)
    expect(await contentDigestMatches(`sha-256=:${sha256}:, sha-512=:${sha256}:`, body)).toBe(false)
    expect(await contentDigestMatches('md5=:AAAA:', body)).toBe(false)
    expect(await contentDigestMatches(`sha-256=${sha256}`, body)).toBe(false)
    expect(await contentDigestMatches('', body)).toBe(false)
  })
})
