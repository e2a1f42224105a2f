import { base64UrlDecode, utf8Decode } from '@writ/verify/internal'
import { describe, expect, it } from 'vitest'
import { createKeyRing } from './key-ring.js'
import { generateSigningKey } from './keys.js'
import { encodeReceipt, type ReceiptContent, receiptClaims } from './receipt-issuer.js'
import { receiptJson } from './receipt-json.js'

const signer = createKeyRing(generateSigningKey()).active

// A small deterministic generator (mulberry32), so a failure names a seed that replays it.
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

// Characters JSON escapes or treats specially, beside plain ones.
const TRICKY = ['"', '\\', '/', '\n', '\t', '\u0000', '\u001f', '\u007f', '\u2028', 'é', '€']
const PAIRS = ['😀', '𝄞']
const LONE = ['\ud800', '\udfff']

function text(next: () => number, { lone = false } = {}): string {
  const length = Math.floor(next() * 24)
  let out = ''
  for (let index = 0; index < length; index++) {
    const pick = next()
    if (pick < 0.6) out += String.fromCharCode(0x20 + Math.floor(next() * 95))
    else if (pick < 0.85) out += TRICKY[Math.floor(next() * TRICKY.length)]
    else if (pick < 0.95 || !lone) out += PAIRS[Math.floor(next() * PAIRS.length)]
    else out += LONE[Math.floor(next() * LONE.length)]
  }
  return out
}

const digest = (next: () => number): `sha256:${string}` =>
  `sha256:${Math.floor(next() * 2 ** 52)
    .toString(16)
    .padStart(64, '0')}`

function number(next: () => number): number {
  const pick = next()
  if (pick < 0.2) return 0
  if (pick < 0.4) return Math.floor(next() * 2 ** 53)
  return 1_700_000_000 + Math.floor(next() * 1000)
}

// Values repeat across draws (as an issuer or a policy does), so remembered escapes are exercised.
function content(next: () => number, pool: string[]): ReceiptContent {
  const word = (): string =>
    next() < 0.5 ? (pool[Math.floor(next() * pool.length)] ?? '') : text(next, { lone: true })
  const maybe = <T>(value: () => T): T | undefined => (next() < 0.5 ? value() : undefined)
  const hold = next()
  return {
    iss: word(),
    jti: text(next),
    iat: number(next),
    exp: number(next),
    sub: word(),
    aud: maybe(word),
    req: word(),
    decision: (['PERMIT', 'DENY', 'SILENCE'] as const)[Math.floor(next() * 3)] ?? 'DENY',
    reason: word(),
    rule: next() < 0.3 ? null : word(),
    policy: { id: word(), digest: digest(next) },
    act: { name: word(), args: digest(next) },
    http: maybe(() => ({ method: word(), uri: text(next), body: digest(next) })),
    refs: maybe(() => ({ [word()]: digest(next), [text(next)]: digest(next) })),
    ...(hold < 0.2
      ? { hold: word() }
      : hold < 0.4
        ? { hold: { id: word(), approvers: word(), quorum: number(next), exp: number(next) } }
        : {}),
    ...(next() < 0.2
      ? {
          appr: [
            { by: word(), digest: digest(next) },
            { by: word(), digest: digest(next) },
          ],
        }
      : {}),
  }
}

describe('receipt claims from the template', () => {
  it('are byte for byte what JSON.stringify writes, over many random receipts', () => {
    const next = random(20261203)
    const pool = [
      'https://writ.test',
      'agent-7',
      'payments.transfer',
      'small',
      'RULE_PERMIT',
      'a"b',
      'é\n',
    ]
    for (let round = 0; round < 5000; round++) {
      const chain = {
        id: next() < 0.5 ? 'main' : text(next),
        seq: number(next),
        prev: next() < 0.2 ? null : digest(next),
      }
      const claims = receiptClaims(content(next, pool), chain)
      const expected = JSON.stringify(claims)
      expect(receiptJson(claims), `round ${round}`).toBe(expected)
      if (round % 50 === 0) {
        // The signed payload is the same text, encoded as UTF-8.
        const token = encodeReceipt(claims, signer)
        expect(utf8Decode(base64UrlDecode(token.split('.')[1] ?? ''))).toBe(expected)
      }
    }
  })

  it('leaves claims the template did not build to JSON.stringify, in their own order', () => {
    const built = receiptClaims(content(random(7), ['x']), { id: 'main', seq: 0, prev: null })
    const { chain, ...rest } = built
    const reordered = { chain, ...rest }
    const token = encodeReceipt(reordered, signer)
    expect(utf8Decode(base64UrlDecode(token.split('.')[1] ?? ''))).toBe(JSON.stringify(reordered))
  })

  it('are frozen all the way down', () => {
    const next = random(11)
    for (let round = 0; round < 200; round++) {
      const claims = receiptClaims(content(next, ['p']), { id: 'main', seq: round, prev: null })
      const stack: unknown[] = [claims]
      while (stack.length > 0) {
        const value = stack.pop()
        if (typeof value !== 'object' || value === null) continue
        expect(Object.isFrozen(value)).toBe(true)
        stack.push(...Object.values(value))
      }
    }
  })
})
