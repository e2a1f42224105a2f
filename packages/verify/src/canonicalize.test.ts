import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { codeOf, sparse } from '../test/codes.js'
import { listVectors, readVector } from '../test/vectors.js'
import { canonicalize } from './canonicalize.js'
import { digestOf } from './digest.js'
import { WritError } from './errors.js'

describe('canonicalize (RFC 8785)', () => {
  const files = listVectors('jcs', 'input')

  it('has the RFC 8785 vectors', () => {
    expect(files.length).toBeGreaterThanOrEqual(6)
  })

  for (const file of files) {
    it(`is byte-exact on jcs/${file}`, () => {
      const input = JSON.parse(readVector('jcs', 'input', file)) as unknown
      const expected = Buffer.from(readVector('jcs', 'output', file), 'utf8')
      expect(Buffer.from(canonicalize(input), 'utf8').equals(expected)).toBe(true)
    })
  }

  it('writes numbers as ECMAScript does', () => {
    expect(canonicalize([-0, 1e21, 1e-7, 0.1, 250.0, -1.5e-300])).toBe(
      '[0,1e+21,1e-7,0.1,250,-1.5e-300]',
    )
  })

  it('sorts by UTF-16 code units, not code points', () => {
    // U+FB33 (one unit) sorts after U+1F602 (surrogates D83D DE02) in UTF-16 order.
    expect(canonicalize({ '\ufb33': 1, '\u{1f602}': 2 })).toBe('{"\u{1f602}":2,"\ufb33":1}')
  })

  it('accepts null-prototype objects', () => {
    const value = Object.create(null) as Record<string, unknown>
    value['b'] = 1
    value['a'] = 2
    expect(canonicalize(value)).toBe('{"a":2,"b":1}')
  })

  it.each([
    ['NaN', Number.NaN, 'INPUT_NON_FINITE_NUMBER'],
    ['Infinity', [Number.POSITIVE_INFINITY], 'INPUT_NON_FINITE_NUMBER'],
    ['lone high surrogate', { a: '\ud800' }, 'INPUT_LONE_SURROGATE'],
    ['lone low surrogate in a key', { '\udc00': 1 }, 'INPUT_LONE_SURROGATE'],
    ['undefined', { a: undefined }, 'INPUT_UNSUPPORTED_TYPE'],
    ['function', [() => 1], 'INPUT_UNSUPPORTED_TYPE'],
    ['symbol', Symbol('x'), 'INPUT_UNSUPPORTED_TYPE'],
    ['bigint', { a: 1n }, 'INPUT_UNSUPPORTED_TYPE'],
    ['Date', { a: new Date(0) }, 'INPUT_UNSUPPORTED_TYPE'],
    ['Map', new Map(), 'INPUT_UNSUPPORTED_TYPE'],
    ['class instance', new (class Point {})(), 'INPUT_UNSUPPORTED_TYPE'],
    ['sparse array', sparse(), 'INPUT_UNSUPPORTED_TYPE'],
  ])('refuses %s', (_name, value, code) => {
    expect(codeOf(() => canonicalize(value))).toBe(code)
  })

  it('refuses cycles instead of overflowing the stack', () => {
    const value: Record<string, unknown> = {}
    value['self'] = value
    expect(codeOf(() => canonicalize(value))).toBe('INPUT_UNSUPPORTED_TYPE')
  })

  it('gives the JSON Pointer of the offending value', () => {
    try {
      canonicalize({ a: [{ 'b/c': Number.NaN }] })
      expect.unreachable()
    } catch (error) {
      expect(WritError.isInstance(error) && error.details?.['path']).toBe('/a/0/b~1c')
    }
  })

  it('is stable: canonicalize(JSON.parse(canonicalize(x))) === canonicalize(x)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const once = canonicalize(value)
        expect(canonicalize(JSON.parse(once))).toBe(once)
      }),
      { numRuns: 300 },
    )
  })

  it('does not depend on key order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (record) => {
        const reversed = Object.fromEntries(Object.entries(record).reverse())
        expect(digestOf(canonicalize(reversed))).toBe(digestOf(canonicalize(record)))
      }),
      { numRuns: 200 },
    )
  })
})
