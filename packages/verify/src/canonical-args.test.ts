import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { codeOf, detailsOf, sparse } from '../test/codes.js'
import { validateActionName } from './action-name.js'
import { bestEffortDigest, canonicalArgs } from './canonical-args.js'
import { digestOf, isDigest } from './digest.js'
import { utf8Encode } from './encoding.js'

describe('canonicalArgs', () => {
  it('hands back null-prototype objects and frozen arrays, from text, bytes and values', () => {
    const text = '{"a":{"b":[{"c":1}]},"d":[]}'
    for (const input of [text, utf8Encode(text), JSON.parse(text) as unknown]) {
      const { value } = canonicalArgs(input)
      const a = value['a'] as Record<string, unknown>
      const list = a['b'] as readonly Record<string, unknown>[]
      for (const object of [value, a, list[0]]) {
        expect(Object.getPrototypeOf(object)).toBe(null)
        expect(Object.isFrozen(object)).toBe(true)
      }
      expect(Array.isArray(list)).toBe(true)
      expect(Object.isFrozen(list)).toBe(true)
      expect(JSON.stringify(value)).toBe(text)
      expect(Object.hasOwn(value, 'a')).toBe(true)
      expect('toString' in value).toBe(false)
    }
  })

  it('gives one digest for raw text, bytes and the object', () => {
    const fromText = canonicalArgs('{ "to": "acct_1", "amount": 250.0 }')
    const fromBytes = canonicalArgs(utf8Encode('{"amount":250,"to":"acct_1"}'))
    const fromValue = canonicalArgs({ to: 'acct_1', amount: 250 })
    expect(fromText.canonical).toBe('{"amount":250,"to":"acct_1"}')
    expect(fromText.digest).toBe(digestOf('{"amount":250,"to":"acct_1"}'))
    expect(fromBytes.digest).toBe(fromText.digest)
    expect(fromValue.digest).toBe(fromText.digest)
  })

  it('treats 250 and 250.0 and 2.5e2 as the same number', () => {
    const digests = ['{"a":250}', '{"a":250.0}', '{"a":2.5e2}', '{"a":25000e-2}'].map(
      (text) => canonicalArgs(text).digest,
    )
    expect(new Set(digests).size).toBe(1)
  })

  it('returns a fresh deep-frozen copy', () => {
    const input = { nested: { list: [1, { x: 'y' }] } }
    const { value } = canonicalArgs(input)
    expect(value).toEqual(input)
    expect(value).not.toBe(input)
    expect(Object.isFrozen(value)).toBe(true)
    const nested = value['nested'] as { list: unknown[] }
    expect(Object.isFrozen(nested)).toBe(true)
    const list = nested.list
    expect(Object.isFrozen(list)).toBe(true)
    expect(Object.isFrozen(list[1])).toBe(true)
    input.nested.list.push(2)
    expect(list).toHaveLength(2)
    expect(Object.isFrozen(canonicalArgs('{"a":{"b":[1]}}').value['a'])).toBe(true)
  })

  it('requires an object at the top', () => {
    for (const args of ['[1]', '1', 'null', '"x"', [1], 1, null, true]) {
      expect(codeOf(() => canonicalArgs(args))).toBe('INPUT_NOT_OBJECT')
    }
  })

  it('refuses invalid UTF-8 bytes', () => {
    expect(codeOf(() => canonicalArgs(new Uint8Array([0x7b, 0xff, 0x7d])))).toBe('INPUT_SYNTAX')
  })

  it('refuses forbidden keys in raw text and in JavaScript values', () => {
    expect(codeOf(() => canonicalArgs('{"__proto__":{"isAdmin":true}}'))).toBe(
      'INPUT_FORBIDDEN_KEY',
    )
    // JSON.parse makes "__proto__" an own property: the value route must see it too.
    const parsed = JSON.parse('{"a":{"__proto__":{"isAdmin":true}}}') as unknown
    expect(codeOf(() => canonicalArgs(parsed))).toBe('INPUT_FORBIDDEN_KEY')
    expect(detailsOf(() => canonicalArgs(parsed))?.['path']).toBe('/a/__proto__')
    expect(codeOf(() => canonicalArgs({ a: [{ b: { constructor: 1 } }] }))).toBe(
      'INPUT_FORBIDDEN_KEY',
    )
    expect(codeOf(() => canonicalArgs({ prototype: {} }))).toBe('INPUT_FORBIDDEN_KEY')
  })

  it('refuses duplicate keys in raw text, nested', () => {
    expect(codeOf(() => canonicalArgs('{"a":{"b":[{"c":1,"c":1}]}}'))).toBe('INPUT_DUPLICATE_KEY')
  })

  it.each([
    ['lone surrogate (value)', { a: 'x\ud800' }, 'INPUT_LONE_SURROGATE'],
    ['lone surrogate (key)', { 'x\udfff': 1 }, 'INPUT_LONE_SURROGATE'],
    ['NaN', { a: Number.NaN }, 'INPUT_NON_FINITE_NUMBER'],
    ['Infinity', { a: [Number.NEGATIVE_INFINITY] }, 'INPUT_NON_FINITE_NUMBER'],
    ['unsafe integer', { a: 2 ** 53 }, 'INPUT_UNSAFE_INTEGER'],
    ['1e300', { a: 1e300 }, 'INPUT_UNSAFE_INTEGER'],
    ['undefined', { a: undefined }, 'INPUT_UNSUPPORTED_TYPE'],
    ['bigint', { a: 5n }, 'INPUT_UNSUPPORTED_TYPE'],
    ['function', { a: () => 0 }, 'INPUT_UNSUPPORTED_TYPE'],
    ['Date', { a: new Date() }, 'INPUT_UNSUPPORTED_TYPE'],
    ['class instance', { a: new (class Money {})() }, 'INPUT_UNSUPPORTED_TYPE'],
    ['sparse array', { a: sparse() }, 'INPUT_UNSUPPORTED_TYPE'],
    [
      'throwing getter',
      Object.defineProperty({}, 'a', {
        enumerable: true,
        get() {
          throw new Error('boom')
        },
      }),
      'INPUT_UNSUPPORTED_TYPE',
    ],
  ])('refuses %s', (_name, args, code) => {
    expect(codeOf(() => canonicalArgs(args))).toBe(code)
  })

  it.each([
    ['escaped lone surrogate', '{"a":"\\ud800"}', 'INPUT_LONE_SURROGATE'],
    ['1e400', '{"a":1e400}', 'INPUT_NON_FINITE_NUMBER'],
    ['9007199254740993', '{"a":9007199254740993}', 'INPUT_UNSAFE_INTEGER'],
    ['syntax', '{"a":}', 'INPUT_SYNTAX'],
  ])('refuses raw %s', (_name, text, code) => {
    expect(codeOf(() => canonicalArgs(text))).toBe(code)
  })

  it('limits depth for text and values: 64 pass, 65 fail', () => {
    const deepValue = (depth: number): unknown => {
      let value: unknown = {}
      for (let level = 1; level < depth; level++) value = { a: value }
      return value
    }
    expect(canonicalArgs(deepValue(64)).digest).toMatch(/^sha256:/)
    expect(codeOf(() => canonicalArgs(deepValue(65)))).toBe('INPUT_TOO_DEEP')
    const text = `${'{"a":'.repeat(64)}{}${'}'.repeat(64)}`
    expect(codeOf(() => canonicalArgs(text))).toBe('INPUT_TOO_DEEP')
    expect(codeOf(() => canonicalArgs(deepValue(10), { maxDepth: 9 }))).toBe('INPUT_TOO_DEEP')
    const cyclic: Record<string, unknown> = {}
    cyclic['self'] = cyclic
    expect(codeOf(() => canonicalArgs(cyclic))).toBe('INPUT_TOO_DEEP')
  })

  it('limits size for text and values (> 1 MiB)', () => {
    const big = 'x'.repeat(1024 * 1024)
    expect(codeOf(() => canonicalArgs(`{"a":"${big}"}`))).toBe('INPUT_TOO_LARGE')
    expect(codeOf(() => canonicalArgs({ a: big }))).toBe('INPUT_TOO_LARGE')
    expect(codeOf(() => canonicalArgs(utf8Encode(`{"a":"${big}"}`)))).toBe('INPUT_TOO_LARGE')
    expect(codeOf(() => canonicalArgs({ a: 'x'.repeat(100) }, { maxBytes: 50 }))).toBe(
      'INPUT_TOO_LARGE',
    )
  })

  it('digest does not depend on key order (property)', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.string().filter((key) => !['__proto__', 'constructor', 'prototype'].includes(key)),
          fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)),
        ),
        (record) => {
          const reversed = Object.fromEntries(Object.entries(record).reverse())
          expect(canonicalArgs(reversed).digest).toBe(canonicalArgs(record).digest)
          expect(canonicalArgs(JSON.stringify(reversed)).digest).toBe(canonicalArgs(record).digest)
        },
      ),
      { numRuns: 200 },
    )
  })
})

describe('bestEffortDigest', () => {
  it('hashes raw text exactly as received, duplicates and all', () => {
    expect(bestEffortDigest('{"a":1,"a":2}')).toBe(digestOf('{"a":1,"a":2}'))
    expect(bestEffortDigest(utf8Encode('{"a":1}'))).toBe(digestOf('{"a":1}'))
  })

  it('uses the canonical form when there is one', () => {
    expect(bestEffortDigest({ b: 1, a: 2 })).toBe(digestOf('{"a":2,"b":1}'))
  })

  it('never throws, even on hostile values', () => {
    const cyclic: Record<string, unknown> = { n: Number.NaN, big: 10n, f: () => 1 }
    cyclic['self'] = cyclic
    const hostile = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('no')
        },
      },
    )
    const throwing = Object.defineProperty({}, 'x', {
      enumerable: true,
      get() {
        throw new Error('no')
      },
    })
    for (const value of [cyclic, hostile, throwing, undefined, Symbol('s'), { a: '\ud800' }]) {
      expect(isDigest(bestEffortDigest(value))).toBe(true)
    }
    expect(bestEffortDigest({ a: Number.NaN })).not.toBe(bestEffortDigest({ a: null }))
  })
})

describe('validateActionName', () => {
  it('accepts ASCII [A-Za-z0-9_.:-], 1 to 128 characters', () => {
    for (const name of ['payments.transfer', 'a', 'ehr:write-note_v2', 'x'.repeat(128)]) {
      expect(validateActionName(name)).toBe(name)
    }
  })

  it('refuses everything else with ACTION_NAME_INVALID', () => {
    for (const name of [
      '',
      'x'.repeat(129),
      'pay ments',
      'päy',
      'a/b',
      'a\n',
      42,
      null,
      undefined,
    ]) {
      expect(codeOf(() => validateActionName(name))).toBe('ACTION_NAME_INVALID')
    }
  })
})
