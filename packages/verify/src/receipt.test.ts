import { createLocalJWKSet, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import { asyncCodeOf } from '../test/codes.js'
import {
  checkpointHeader,
  createTestKey,
  encodePart,
  keyFromPublic,
  NOW,
  receiptClaims,
  receiptHeader,
  resign,
  signJws,
  signReceipt,
  ZERO_DIGEST,
} from '../test/helpers.js'
import { tokenDigest } from './digest.js'
import { base64UrlDecode, base64UrlEncode, hexToBytes } from './encoding.js'
import { decodeJws } from './jws.js'
import { createKeySet } from './key-set.js'
import { verifyReceipt } from './receipt.js'

const key = createTestKey()
const otherKey = createTestKey()
const keys = createKeySet({ keys: [key.jwk] })
const token = signReceipt(key, receiptClaims())
const [headerPart, claimsPart, signaturePart] = token.split('.') as [string, string, string]

/** Re-encodes the claims with a change and re-signs with the trusted key. */
function withClaims(change: (claims: Record<string, unknown>) => void): string {
  const claims = receiptClaims()
  change(claims)
  return signReceipt(key, claims)
}

describe('verifyReceipt: a good receipt', () => {
  it('verifies and returns header, claims, key and digest', async () => {
    const verified = await verifyReceipt(token, keys)
    expect(verified.claims.decision).toBe('PERMIT')
    expect(verified.header).toEqual({ alg: 'EdDSA', typ: 'writ-receipt+jwt', kid: key.kid })
    expect(verified.key.kid).toBe(key.kid)
    expect(verified.digest).toBe(tokenDigest(token))
    expect(Object.isFrozen(verified.claims.act)).toBe(true)
  })

  it('does not fail on exp or on DENY/SILENCE', async () => {
    for (const decision of ['DENY', 'SILENCE']) {
      const denied = withClaims((claims) => {
        claims['decision'] = decision
        claims['iat'] = 1
        claims['exp'] = 2
      })
      expect((await verifyReceipt(denied, keys)).claims.decision).toBe(decision)
    }
  })

  it('accepts the key set as JSON text or an array too', async () => {
    expect((await verifyReceipt(token, JSON.stringify({ keys: [key.jwk] }))).claims.v).toBe(1)
    expect((await verifyReceipt(token, [key.jwk])).claims.v).toBe(1)
  })

  it('verifies with jose jwtVerify given the JWK Set, typ pinned', async () => {
    const jwks = createLocalJWKSet(
      keys.toJSON() as unknown as Parameters<typeof createLocalJWKSet>[0],
    )
    const { payload, protectedHeader } = await jwtVerify(token, jwks, {
      typ: 'writ-receipt+jwt',
      algorithms: ['EdDSA'],
      currentDate: new Date(NOW * 1000),
    })
    expect(payload['jti']).toBe(receiptClaims()['jti'])
    expect(protectedHeader.kid).toBe(key.kid)
    await expect(
      jwtVerify(token, jwks, { typ: 'writ-checkpoint+jwt', currentDate: new Date(NOW * 1000) }),
    ).rejects.toThrow()
  })
})

describe('verifyReceipt: tampering', () => {
  it.each([
    ['not a string', 42],
    ['two parts', `${headerPart}.${claimsPart}`],
    ['four parts', `${token}.x`],
    ['empty claims part', `${headerPart}..${signaturePart}`],
    ['padding', `${headerPart}.${claimsPart}=.${signaturePart}`],
    [
      'standard base64 characters',
      `${headerPart}.${claimsPart.replace(/-|_/, '+')}+.${signaturePart}`,
    ],
    ['header not JSON', `${encodePart('not json')}.${claimsPart}.${signaturePart}`],
    [
      'header with duplicate keys',
      resign(
        key,
        encodePart(`{"alg":"EdDSA","alg":"EdDSA","typ":"writ-receipt+jwt","kid":"${key.kid}"}`),
        claimsPart,
      ),
    ],
    [
      'claims with duplicate keys',
      resign(key, headerPart, encodePart(JSON.stringify(receiptClaims()).replace('{', '{"v":1,'))),
    ],
    ['claims not an object', resign(key, headerPart, encodePart('[1]'))],
    [
      'claims with an unsafe integer',
      resign(
        key,
        headerPart,
        encodePart(
          JSON.stringify(receiptClaims()).replace(`"iat":${NOW}`, '"iat":9007199254740993'),
        ),
      ),
    ],
    [
      'signature of 63 bytes',
      `${headerPart}.${claimsPart}.${base64UrlEncode(base64UrlDecode(signaturePart).subarray(0, 63))}`,
    ],
  ])('%s → MALFORMED', async (_name, candidate) => {
    expect(await asyncCodeOf(() => verifyReceipt(candidate as string, keys))).toBe('MALFORMED')
  })

  it.each([
    ['alg none', { alg: 'none', typ: 'writ-receipt+jwt', kid: key.kid }],
    ['alg HS256', { alg: 'HS256', typ: 'writ-receipt+jwt', kid: key.kid }],
    ['alg Ed25519', { alg: 'Ed25519', typ: 'writ-receipt+jwt', kid: key.kid }],
    ['typ JWT', { alg: 'EdDSA', typ: 'JWT', kid: key.kid }],
    ['typ checkpoint', checkpointHeader(key)],
    ['no typ', { alg: 'EdDSA', kid: key.kid }],
    ['no kid', { alg: 'EdDSA', typ: 'writ-receipt+jwt' }],
    ['kid not a string', { alg: 'EdDSA', typ: 'writ-receipt+jwt', kid: 7 }],
    ['embedded jwk', { ...receiptHeader(key), jwk: key.jwk }],
    ['jku', { ...receiptHeader(key), jku: 'https://evil.example/keys' }],
    ['x5u', { ...receiptHeader(key), x5u: 'https://evil.example/cert' }],
    ['x5c', { ...receiptHeader(key), x5c: ['MIIB'] }],
    ['crit', { ...receiptHeader(key), crit: ['b64'], b64: false }],
    ['extra member', { ...receiptHeader(key), cty: 'json' }],
  ])('header with %s → HEADER_INVALID', async (_name, header) => {
    const candidate = signJws(key, header, receiptClaims())
    expect(await asyncCodeOf(() => verifyReceipt(candidate, keys))).toBe('HEADER_INVALID')
  })

  it('alg none with an empty signature is refused before any key is used', async () => {
    const unsigned = `${encodePart({ alg: 'none', typ: 'writ-receipt+jwt', kid: key.kid })}.${claimsPart}.`
    expect(['MALFORMED', 'HEADER_INVALID']).toContain(
      await asyncCodeOf(() => verifyReceipt(unsigned, keys)),
    )
  })

  it('kid of an unknown key → KEY_UNKNOWN', async () => {
    expect(
      await asyncCodeOf(() => verifyReceipt(signReceipt(otherKey, receiptClaims()), keys)),
    ).toBe('KEY_UNKNOWN')
  })

  it('kid of another trusted key (key swap) → SIGNATURE_INVALID', async () => {
    const both = createKeySet({ keys: [key.jwk, otherKey.jwk] })
    const swapped = signJws(otherKey, receiptHeader(key), receiptClaims())
    expect(await asyncCodeOf(() => verifyReceipt(swapped, both))).toBe('SIGNATURE_INVALID')
    const relabelled = `${encodePart(receiptHeader(otherKey))}.${claimsPart}.${signaturePart}`
    expect(await asyncCodeOf(() => verifyReceipt(relabelled, both))).toBe('SIGNATURE_INVALID')
  })

  it('revoked key → KEY_REVOKED; retired key still verifies', async () => {
    const revoked = createKeySet({ keys: [{ ...key.jwk, status: 'revoked' }] })
    expect(await asyncCodeOf(() => verifyReceipt(token, revoked))).toBe('KEY_REVOKED')
    const retired = createKeySet({ keys: [{ ...key.jwk, status: 'retired' }] })
    expect((await verifyReceipt(token, retired)).key.status).toBe('retired')
  })

  it('key not valid at iat → KEY_NOT_VALID_AT_TIME (bounds inclusive)', async () => {
    const notYet = createKeySet({ keys: [{ ...key.jwk, nbf: NOW + 1 }] })
    expect(await asyncCodeOf(() => verifyReceipt(token, notYet))).toBe('KEY_NOT_VALID_AT_TIME')
    const ended = createKeySet({ keys: [{ ...key.jwk, exp: NOW - 1 }] })
    expect(await asyncCodeOf(() => verifyReceipt(token, ended))).toBe('KEY_NOT_VALID_AT_TIME')
    const exact = createKeySet({ keys: [{ ...key.jwk, nbf: NOW, exp: NOW }] })
    expect((await verifyReceipt(token, exact)).claims.iat).toBe(NOW)
  })

  it('a weak key in the trusted set verifies nothing → KEY_WEAK, even the identity forgery', async () => {
    const identity = hexToBytes(`01${'00'.repeat(31)}`)
    const weak = keyFromPublic(identity, new Uint8Array(32))
    const weakKeys = createKeySet({ keys: [weak.jwk, key.jwk] })
    const forged = `${encodePart(receiptHeader(weak))}.${claimsPart}.${base64UrlEncode(hexToBytes(`01${'00'.repeat(63)}`))}`
    expect(await asyncCodeOf(() => verifyReceipt(forged, weakKeys))).toBe('KEY_WEAK')
    // the strong key in the same set still works
    expect((await verifyReceipt(token, weakKeys)).key.kid).toBe(key.kid)
  })

  it('order of checks: header before key, key before signature, signature before claims', async () => {
    // bad typ and unknown kid → HEADER_INVALID
    expect(
      await asyncCodeOf(() =>
        verifyReceipt(
          signJws(otherKey, { ...receiptHeader(otherKey), typ: 'JWT' }, receiptClaims()),
          keys,
        ),
      ),
    ).toBe('HEADER_INVALID')
    // unknown kid and bad claims → KEY_UNKNOWN
    expect(await asyncCodeOf(() => verifyReceipt(signReceipt(otherKey, { v: 2 }), keys))).toBe(
      'KEY_UNKNOWN',
    )
    // bad signature and bad claims → SIGNATURE_INVALID
    const badClaims = signReceipt(key, { v: 2 })
    const [h, c] = badClaims.split('.')
    expect(await asyncCodeOf(() => verifyReceipt(`${h}.${c}.${signaturePart}`, keys))).toBe(
      'SIGNATURE_INVALID',
    )
  })

  it('every single-character edit of the claims or signature is refused', async () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    for (const [partIndex, part] of [claimsPart, signaturePart].entries()) {
      for (let position = 0; position < part.length; position += 7) {
        const replacement = alphabet[(alphabet.indexOf(part[position]!) + 1) % 64]!
        const edited = `${part.slice(0, position)}${replacement}${part.slice(position + 1)}`
        const parts = [headerPart, claimsPart, signaturePart]
        parts[partIndex + 1] = edited
        const code = await asyncCodeOf(() => verifyReceipt(parts.join('.'), keys))
        expect(['MALFORMED', 'SIGNATURE_INVALID']).toContain(code)
      }
    }
  })

  it('a flipped bit in the header → refused', async () => {
    const header = `${headerPart.slice(0, 5)}${headerPart[5] === 'A' ? 'B' : 'A'}${headerPart.slice(6)}`
    expect(['MALFORMED', 'HEADER_INVALID', 'KEY_UNKNOWN', 'SIGNATURE_INVALID']).toContain(
      await asyncCodeOf(() => verifyReceipt(`${header}.${claimsPart}.${signaturePart}`, keys)),
    )
  })

  it('claims re-serialized (same JSON, different bytes) → SIGNATURE_INVALID', async () => {
    const claims = decodeJws(token).claims
    const respaced = encodePart(JSON.stringify(claims, null, 1))
    expect(
      await asyncCodeOf(() => verifyReceipt(`${headerPart}.${respaced}.${signaturePart}`, keys)),
    ).toBe('SIGNATURE_INVALID')
  })
})

describe('verifyReceipt: claims schema → CLAIMS_INVALID', () => {
  const cases: [string, (claims: Record<string, unknown>) => void][] = [
    [
      'v 2',
      (claims) => {
        claims['v'] = 2
      },
    ],
    [
      'unknown claim',
      (claims) => {
        claims['admin'] = true
      },
    ],
    [
      'missing jti',
      (claims) => {
        delete claims['jti']
      },
    ],
    [
      'empty iss',
      (claims) => {
        claims['iss'] = ''
      },
    ],
    [
      'iat not an integer',
      (claims) => {
        claims['iat'] = NOW + 0.5
      },
    ],
    [
      'iat a string',
      (claims) => {
        claims['iat'] = String(NOW)
      },
    ],
    [
      'exp before iat',
      (claims) => {
        claims['exp'] = NOW - 1
      },
    ],
    [
      'negative iat',
      (claims) => {
        claims['iat'] = -1
      },
    ],
    [
      'decision lower case',
      (claims) => {
        claims['decision'] = 'permit'
      },
    ],
    [
      'decision ALLOW',
      (claims) => {
        claims['decision'] = 'ALLOW'
      },
    ],
    [
      'rule a number',
      (claims) => {
        claims['rule'] = 1
      },
    ],
    [
      'aud null',
      (claims) => {
        claims['aud'] = null
      },
    ],
    [
      'policy digest uppercase',
      (claims) => {
        claims['policy'] = { id: 'p', digest: `sha256:${'A'.repeat(64)}` }
      },
    ],
    [
      'policy digest short',
      (claims) => {
        claims['policy'] = { id: 'p', digest: 'sha256:abc' }
      },
    ],
    [
      'policy extra member',
      (claims) => {
        claims['policy'] = { id: 'p', digest: ZERO_DIGEST, version: 2 }
      },
    ],
    [
      'act args sha512',
      (claims) => {
        claims['act'] = { name: 'x', args: `sha512:${'0'.repeat(64)}` }
      },
    ],
    [
      'act missing args',
      (claims) => {
        claims['act'] = { name: 'x' }
      },
    ],
    [
      'http body not a digest',
      (claims) => {
        claims['http'] = { method: 'POST', uri: 'https://x/y', body: 'abc' }
      },
    ],
    [
      'http missing uri',
      (claims) => {
        claims['http'] = { method: 'POST', body: ZERO_DIGEST }
      },
    ],
    [
      'seq negative',
      (claims) => {
        claims['chain'] = { id: 'c', seq: -1, prev: null }
      },
    ],
    [
      'seq fractional',
      (claims) => {
        claims['chain'] = { id: 'c', seq: 1.5, prev: ZERO_DIGEST }
      },
    ],
    [
      'prev set at seq 0',
      (claims) => {
        claims['chain'] = { id: 'c', seq: 0, prev: ZERO_DIGEST }
      },
    ],
    [
      'prev null at seq 1',
      (claims) => {
        claims['chain'] = { id: 'c', seq: 1, prev: null }
      },
    ],
    [
      'chain extra member',
      (claims) => {
        claims['chain'] = { id: 'c', seq: 0, prev: null, size: 1 }
      },
    ],
  ]
  it.each(cases)('%s', async (_name, change) => {
    expect(await asyncCodeOf(() => verifyReceipt(withClaims(change), keys))).toBe('CLAIMS_INVALID')
  })

  it('accepts optional members absent and http present', async () => {
    const minimal = withClaims((claims) => {
      delete claims['aud']
      claims['rule'] = null
      claims['http'] = { method: 'POST', uri: 'https://api.example/pay?x=1', body: ZERO_DIGEST }
      claims['chain'] = { id: 'c', seq: 5, prev: ZERO_DIGEST }
    })
    expect((await verifyReceipt(minimal, keys)).claims.http?.uri).toBe(
      'https://api.example/pay?x=1',
    )
  })
})
