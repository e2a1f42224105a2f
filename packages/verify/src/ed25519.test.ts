import { createPublicKey, verify as nodeVerify } from 'node:crypto'
import { Point } from '@noble/ed25519'
import { afterEach, describe, expect, it } from 'vitest'
import { readVector } from '../test/vectors.js'
import {
  type Ed25519Backend,
  getEd25519Backend,
  isCanonicalY,
  isEd25519BackendAvailable,
  isSmallOrderEncoding,
  isWeakPublicKey,
  setEd25519Backend,
  verifyEd25519,
} from './ed25519.js'
import { bytesToHex, hexToBytes, utf8Encode } from './encoding.js'

interface WycheproofTest {
  tcId: number
  comment: string
  msg: string
  sig: string
  result: 'valid' | 'invalid'
  flags: string[]
}
interface WycheproofFile {
  numberOfTests: number
  testGroups: { publicKey: { pk: string }; tests: WycheproofTest[] }[]
}
interface SpeccheckCase {
  message: string
  pub_key: string
  signature: string
}

const wycheproof = JSON.parse(readVector('ed25519_test.json')) as WycheproofFile
const speccheck = JSON.parse(readVector('speccheck_cases.json')) as SpeccheckCase[]
const backends: Ed25519Backend[] = ['node', 'webcrypto', 'noble']
const GROUP_ORDER = 2n ** 252n + 27742317777372353535851937790883648493n
const P = 2n ** 255n - 19n

function littleEndian(bytes: Uint8Array): bigint {
  let value = 0n
  for (let index = bytes.length - 1; index >= 0; index--)
    value = (value << 8n) | BigInt(bytes[index]!)
  return value
}

/** The properties of an encoded point that the strict verifier refuses, computed independently. */
function pointProperties(bytes: Uint8Array): { nonCanonical: boolean; smallOrder: boolean } {
  const y = littleEndian(bytes) & ((1n << 255n) - 1n)
  let point: Point | undefined
  try {
    point = Point.fromBytes(bytes, true) // lenient decoding, to classify non-canonical points
  } catch {
    point = undefined
  }
  const signBitSetOnZeroX = point !== undefined && point.x === 0n && (bytes[31]! & 0x80) !== 0
  return {
    nonCanonical: y >= P || point === undefined || signBitSetOnZeroX,
    smallOrder: point?.clearCofactor().is0() === true,
  }
}

afterEach(() => setEd25519Backend('auto'))

describe('verifyEd25519 backends', () => {
  it('picks node:crypto in Node by default', () => {
    expect(getEd25519Backend()).toBe('node')
  })

  it.each(backends)('%s is available in Node 20', async (backend) => {
    expect(await isEd25519BackendAvailable(backend)).toBe(true)
  })
})

describe.each(backends)('Wycheproof ed25519_test.json on the %s backend', (backend) => {
  it('has all 151 cases', () => {
    const count = wycheproof.testGroups.reduce((sum, group) => sum + group.tests.length, 0)
    expect(count).toBe(151)
    expect(wycheproof.numberOfTests).toBe(151)
  })

  for (const group of wycheproof.testGroups) {
    const publicKey = hexToBytes(group.publicKey.pk)
    for (const test of group.tests) {
      it(`tcId ${test.tcId} (${test.result}) ${test.comment}`, async () => {
        const result = await verifyEd25519(hexToBytes(test.sig), hexToBytes(test.msg), publicKey, {
          backend,
        })
        expect(result).toBe(test.result === 'valid')
      })
    }
  }

  it('setEd25519Backend forces the backend globally', async () => {
    setEd25519Backend(backend)
    expect(getEd25519Backend()).toBe(backend)
    const group = wycheproof.testGroups[0]!
    const test = group.tests[0]!
    expect(
      await verifyEd25519(
        hexToBytes(test.sig),
        hexToBytes(test.msg),
        hexToBytes(group.publicKey.pk),
      ),
    ).toBe(true)
  })
})

describe('speccheck cases (novifinancial/ed25519-speccheck)', () => {
  const classified = speccheck.map((entry, index) => {
    const signature = hexToBytes(entry.signature)
    const publicKey = hexToBytes(entry.pub_key)
    const keyProperties = pointProperties(publicKey)
    const rProperties = pointProperties(signature.subarray(0, 32))
    const sTooLarge = littleEndian(signature.subarray(32)) >= GROUP_ORDER
    const flags = [
      keyProperties.smallOrder && 'small-order A',
      keyProperties.nonCanonical && 'non-canonical A',
      rProperties.smallOrder && 'small-order R',
      rProperties.nonCanonical && 'non-canonical R',
      sTooLarge && 'S >= L',
    ].filter((flag): flag is string => typeof flag === 'string')
    return { index, entry, flags }
  })

  it('classifies the cases as documented', () => {
    // Computed from the bytes above; this is the map of which case exercises which rule.
    expect(
      Object.fromEntries(classified.map(({ index, flags }) => [index, flags.join(', ')])),
    ).toEqual({
      0: 'small-order A, small-order R',
      1: 'small-order A',
      2: 'small-order R',
      3: '',
      4: '',
      5: '',
      6: 'S >= L',
      7: 'S >= L',
      8: 'small-order R, non-canonical R',
      9: 'small-order R, non-canonical R',
      10: 'small-order A, non-canonical A',
      11: 'small-order A, non-canonical A',
    })
  })

  for (const backend of backends) {
    it(`rejects every flagged case on the ${backend} backend`, async () => {
      for (const { entry, flags } of classified) {
        if (flags.length === 0) continue
        const result = await verifyEd25519(
          hexToBytes(entry.signature),
          hexToBytes(entry.message),
          hexToBytes(entry.pub_key),
          { backend },
        )
        expect(result).toBe(false)
      }
    })
  }

  it('uses the cofactorless equation on the unflagged cases (3 passes; 4 and 5 pass only cofactored)', async () => {
    for (const backend of backends) {
      const results = await Promise.all(
        [3, 4, 5].map((index) => {
          const entry = speccheck[index]!
          return verifyEd25519(
            hexToBytes(entry.signature),
            hexToBytes(entry.message),
            hexToBytes(entry.pub_key),
            {
              backend,
            },
          )
        }),
      )
      expect(results).toEqual([true, false, false])
    }
  })

  it('gives the same answer on every backend for every case', async () => {
    for (const { entry } of classified) {
      const results = await Promise.all(
        backends.map((backend) =>
          verifyEd25519(
            hexToBytes(entry.signature),
            hexToBytes(entry.message),
            hexToBytes(entry.pub_key),
            {
              backend,
            },
          ),
        ),
      )
      expect(new Set(results).size).toBe(1)
    }
  })
})

describe('the identity-key forgery', () => {
  const identity = new Uint8Array(32)
  identity[0] = 1
  const forgedSignature = new Uint8Array(64)
  forgedSignature[0] = 1 // R = identity, S = 0
  const message = utf8Encode('{"decision":"PERMIT","amount":1000000}')

  // OpenSSL 3.0 (Node 20 and 22) accepts the forgery, so Writ's own checks are what
  // refuses it there; OpenSSL 3.5 (Node 24) refuses it too. CI runs both.
  const stockAccepts = process.versions.openssl.startsWith('3.0.')

  it(`is ${stockAccepts ? 'accepted' : 'refused'} by node:crypto's stock verify with OpenSSL ${process.versions.openssl}`, () => {
    const key = createPublicKey({
      key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), identity]),
      format: 'der',
      type: 'spki',
    })
    expect(nodeVerify(null, message, key, forgedSignature)).toBe(stockAccepts)
  })

  it.each(backends)('is rejected on the %s backend', async (backend) => {
    expect(await verifyEd25519(forgedSignature, message, identity, { backend })).toBe(false)
  })

  it('marks the identity key as weak', () => {
    expect(isWeakPublicKey(identity)).toBe(true)
  })
})

describe('isWeakPublicKey', () => {
  it('accepts the keys of the Wycheproof file', () => {
    for (const group of wycheproof.testGroups) {
      expect(isWeakPublicKey(hexToBytes(group.publicKey.pk))).toBe(false)
    }
  })

  it('refuses wrong lengths, non-canonical and small-order keys', () => {
    expect(isWeakPublicKey(new Uint8Array(31))).toBe(true)
    expect(isWeakPublicKey(new Uint8Array(33))).toBe(true)
    // y = p (non-canonical encoding of y = 0)
    expect(isWeakPublicKey(hexToBytes(`ed${'ff'.repeat(30)}7f`))).toBe(true)
    // identity with the sign bit set (x = 0, sign 1: non-canonical)
    expect(isWeakPublicKey(hexToBytes(`01${'00'.repeat(30)}80`))).toBe(true)
    // every small-order point, in its canonical encoding
    const torsion = [Point.ZERO]
    const generator = Point.fromBytes(
      hexToBytes('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'),
    )
    for (let index = 1; index < 8; index++) torsion.push(torsion[index - 1]!.add(generator))
    for (const point of torsion) expect(isWeakPublicKey(point.toBytes())).toBe(true)
  })
})

describe('verifyEd25519 input handling', () => {
  const group = wycheproof.testGroups[0]!
  const test = group.tests[0]!
  const publicKey = hexToBytes(group.publicKey.pk)
  const signature = hexToBytes(test.sig)
  const message = hexToBytes(test.msg)

  it.each(backends)('refuses wrong lengths on the %s backend', async (backend) => {
    expect(await verifyEd25519(signature.subarray(0, 63), message, publicKey, { backend })).toBe(
      false,
    )
    expect(
      await verifyEd25519(new Uint8Array([...signature, 0]), message, publicKey, { backend }),
    ).toBe(false)
    expect(await verifyEd25519(signature, message, publicKey.subarray(0, 31), { backend })).toBe(
      false,
    )
  })

  it('refuses non-byte inputs', async () => {
    expect(await verifyEd25519('x' as unknown as Uint8Array, message, publicKey)).toBe(false)
  })
})

describe('the small-order rule for R', () => {
  it('lists exactly the encodings of the 8 small-order points (and the x = 0 sign-bit forms)', () => {
    const generator = Point.fromBytes(
      hexToBytes('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'),
    )
    const encodings = new Set<string>()
    let point = Point.ZERO
    for (let index = 0; index < 8; index++) {
      const bytes = point.toBytes()
      encodings.add(bytesToHex(bytes))
      if (point.x === 0n) {
        const signed = Uint8Array.from(bytes)
        signed[31] = signed[31]! | 0x80
        encodings.add(bytesToHex(signed))
      }
      point = point.add(generator)
    }
    expect(point.equals(Point.ZERO)).toBe(true)
    expect(encodings.size).toBe(10)
    for (const encoding of encodings) expect(isSmallOrderEncoding(hexToBytes(encoding))).toBe(true)
    expect(isSmallOrderEncoding(Point.BASE.toBytes())).toBe(false)
  })

  it('isCanonicalY refuses y >= p and accepts y = p - 1', () => {
    expect(isCanonicalY(hexToBytes(`ec${'ff'.repeat(30)}7f`))).toBe(true)
    expect(isCanonicalY(hexToBytes(`ed${'ff'.repeat(30)}7f`))).toBe(false)
    expect(isCanonicalY(hexToBytes(`ee${'ff'.repeat(30)}ff`))).toBe(false)
    expect(isCanonicalY(hexToBytes(`${'ff'.repeat(31)}7f`))).toBe(false)
    expect(isCanonicalY(hexToBytes(`ff${'ff'.repeat(29)}fe7f`))).toBe(true)
  })

  it.each(backends)(
    'refuses every non-canonical or small-order R on the %s backend, even with a valid S',
    async (backend) => {
      const group = wycheproof.testGroups[0]!
      const test = group.tests[0]!
      const signature = hexToBytes(test.sig)
      const bad = [
        '0100000000000000000000000000000000000000000000000000000000000000',
        '0000000000000000000000000000000000000000000000000000000000000080',
        '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
        `ed${'ff'.repeat(30)}7f`,
        `ee${'ff'.repeat(30)}7f`,
      ]
      for (const r of bad) {
        const forged = Uint8Array.from(signature)
        forged.set(hexToBytes(r), 0)
        expect(
          await verifyEd25519(forged, hexToBytes(test.msg), hexToBytes(group.publicKey.pk), {
            backend,
          }),
        ).toBe(false)
      }
    },
  )
})
