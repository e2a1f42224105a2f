import { createPublicKey, verify } from 'node:crypto'
import { base64UrlDecode, base64UrlEncode, bytesToHex, hexToBytes } from '@writ/verify/internal'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { generateSigningKey, parseSigningKey } from './keys.js'
import { createSigner, defaultSignerBackend, publicKeyFromSeed } from './signer.js'

// RFC 8032 section 7.1, TEST 1 and TEST 3.
const rfc8032 = [
  {
    secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature:
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    secret: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    publicKey: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    message: 'af82',
    signature:
      '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
]

function signerPair() {
  const parsed = parseSigningKey(generateSigningKey())
  return {
    node: createSigner(parsed.seed, parsed.publicJwk, 'node'),
    noble: createSigner(parsed.seed, parsed.publicJwk, 'noble'),
    publicJwk: parsed.publicJwk,
  }
}

describe('signer', () => {
  it('uses node:crypto by default in Node', () => {
    expect(defaultSignerBackend()).toBe('node')
  })

  it.each(['node', 'noble'] as const)('%s reproduces the RFC 8032 vectors', (backend) => {
    for (const vector of rfc8032) {
      const seed = hexToBytes(vector.secret)
      expect(bytesToHex(publicKeyFromSeed(seed))).toBe(vector.publicKey)
      const x = base64UrlEncode(hexToBytes(vector.publicKey))
      const signer = createSigner(seed, { kty: 'OKP', crv: 'Ed25519', x, kid: 'test' }, backend)
      expect(bytesToHex(signer.sign(hexToBytes(vector.message)))).toBe(vector.signature)
    }
  })

  it('gives byte-identical signatures on both backends for many messages', () => {
    const { node, noble, publicJwk } = signerPair()
    const publicKey = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: publicJwk.x },
      format: 'jwk',
    })
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (message) => {
        const fromNode = node.sign(message)
        const fromNoble = noble.sign(message)
        expect(fromNode).toHaveLength(64)
        expect(bytesToHex(fromNode)).toBe(bytesToHex(fromNoble))
        expect(verify(null, message, publicKey, fromNode)).toBe(true)
      }),
      { numRuns: 300 },
    )
  })

  it('keeps its own copy of the seed', () => {
    const parsed = parseSigningKey(generateSigningKey())
    const seed = Uint8Array.from(parsed.seed)
    const signer = createSigner(seed, parsed.publicJwk, 'noble')
    const before = bytesToHex(signer.sign(new Uint8Array([1, 2, 3])))
    seed.fill(0)
    expect(bytesToHex(signer.sign(new Uint8Array([1, 2, 3])))).toBe(before)
    expect(base64UrlDecode(signer.publicJwk.x)).toHaveLength(32)
    expect(Object.isFrozen(signer.publicJwk)).toBe(true)
  })
})
