import { describe, expect, it } from 'vitest'
import { jsonEqual } from './json-equal.js'

describe('jsonEqual', () => {
  it('accepts the same JSON value whatever the key order', () => {
    expect(
      jsonEqual(
        { a: 1, b: [true, null, 'x', { c: 2.5 }] },
        { b: [true, null, 'x', { c: 2.5 }], a: 1 },
      ),
    ).toBe(true)
    expect(jsonEqual(0, -0)).toBe(true)
    expect(jsonEqual(Object.freeze({ a: 1 }), Object.assign(Object.create(null), { a: 1 }))).toBe(
      true,
    )
  })

  it.each([
    ['a changed value', { a: 'alice' }, { a: 'ALICE' }],
    ['a stripped key', { a: 1, b: 2 }, { a: 1 }],
    ['an added default', { a: 1 }, { a: 1, b: 0 }],
    ['an undefined member', { a: 1 }, { a: 1, b: undefined }],
    ['a coerced type', { a: '1' }, { a: 1 }],
    ['a Date', { at: '2025-01-01T00:00:00.000Z' }, { at: new Date('2025-01-01T00:00:00.000Z') }],
    ['a class instance', { a: {} }, { a: new (class Box {})() }],
    ['an array length', [1, 2], [1, 2, 3]],
    ['an array for an object', { 0: 1 }, [1]],
    ['null for an object', {}, null],
    ['NaN', Number.NaN, Number.NaN],
    ['a symbol key', { a: 1 }, { a: 1, [Symbol('s')]: 1 }],
  ])('rejects %s', (_label, left, right) => {
    expect(jsonEqual(left, right)).toBe(false)
    expect(jsonEqual(right, left)).toBe(false)
  })
})
