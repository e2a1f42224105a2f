import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { codeOf, detailsOf } from '../test/codes.js'
import { canonicalize } from './canonicalize.js'
import { DEFAULT_MAX_BYTES, parseJson } from './json.js'

function nested(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`
}

describe('parseJson', () => {
  it('parses what JSON.parse parses, to the same value', () => {
    const text = '{ "a": [1, -2.5e3, true, false, null, "x\\u00e9\\n\\ud83d\\ude02"], "b": {} }'
    expect(parseJson(text)).toEqual(JSON.parse(text))
  })

  it('agrees with JSON.parse on generated JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 10 }), (value) => {
        const text = JSON.stringify(value)
        // fast-check may generate the refused keys; those are covered separately
        fc.pre(!/"(__proto__|constructor|prototype)":/.test(text))
        fc.pre(!/\d{16,}|e\+?\d{2,}/i.test(text))
        expect(canonicalize(parseJson(text))).toBe(canonicalize(JSON.parse(text)))
      }),
      { numRuns: 300 },
    )
  })

  it('is stable: canonicalize(parseJson(canonicalize(x))) === canonicalize(x)', () => {
    const safe = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.constant(null),
        fc.boolean(),
        fc.maxSafeInteger(),
        fc
          .double({ noNaN: true, noDefaultInfinity: true })
          .filter((number) => !Number.isInteger(number) || Number.isSafeInteger(number)),
        fc.string({ unit: 'binary' }),
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(
          fc.string().filter((key) => !['__proto__', 'constructor', 'prototype'].includes(key)),
          tie('value'),
          { maxKeys: 4 },
        ),
      ),
    })).value
    fc.assert(
      fc.property(safe, (value) => {
        const once = canonicalize(value)
        expect(canonicalize(parseJson(once))).toBe(once)
      }),
      { numRuns: 300 },
    )
  })

  it('refuses a non-string with INPUT_SYNTAX', () => {
    expect(codeOf(() => parseJson(42 as unknown as string))).toBe('INPUT_SYNTAX')
  })

  it('builds plain objects', () => {
    const value = parseJson('{"a":{"b":1}}') as Record<string, unknown>
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype)
  })

  it.each([
    ['empty', ''],
    ['trailing comma in object', '{"a":1,}'],
    ['trailing comma in array', '[1,]'],
    ['single quotes', "{'a':1}"],
    ['leading zero', '[01]'],
    ['bare dot', '[1.]'],
    ['plus sign', '[+1]'],
    ['hex', '[0x10]'],
    ['NaN literal', '[NaN]'],
    ['comment', '{"a":1 /* c */}'],
    ['two values', '{} {}'],
    ['control character in string', '["a\u0001"]'],
    ['bad escape', '["\\x41"]'],
    ['short unicode escape', '["\\u12"]'],
    ['unterminated string', '["abc'],
    ['unquoted key', '{a:1}'],
    ['byte order mark', '\ufeff{}'],
    ['non-JSON whitespace', '{\u00a0}'],
  ])('refuses %s with INPUT_SYNTAX', (_name, text) => {
    expect(codeOf(() => parseJson(text))).toBe('INPUT_SYNTAX')
  })

  it('refuses duplicate keys, nested, naming the path', () => {
    expect(codeOf(() => parseJson('{"a":1,"a":1}'))).toBe('INPUT_DUPLICATE_KEY')
    expect(detailsOf(() => parseJson('{"x":[{"b":1,"c":2,"b":3}]}'))?.['path']).toBe('/x/0/b')
    // Same key written two ways is still a duplicate.
    expect(codeOf(() => parseJson('{"a":1,"\\u0061":2}'))).toBe('INPUT_DUPLICATE_KEY')
  })

  it.each([
    ['__proto__ at the top', '{"__proto__":{"admin":true}}', ''],
    ['constructor nested', '{"a":{"b":[{"constructor":{"prototype":1}}]}}', '/a/b/0'],
    ['prototype', '{"prototype":1}', ''],
    ['escaped __proto__', '{"\\u005f_proto__":1}', ''],
  ])('refuses %s with INPUT_FORBIDDEN_KEY', (_name, text, parent) => {
    expect(codeOf(() => parseJson(text))).toBe('INPUT_FORBIDDEN_KEY')
    expect(String(detailsOf(() => parseJson(text))?.['path']).startsWith(parent)).toBe(true)
  })

  it('never pollutes Object.prototype', () => {
    expect(codeOf(() => parseJson('{"__proto__":{"polluted":true}}'))).toBe('INPUT_FORBIDDEN_KEY')
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined()
  })

  it.each([
    ['escaped high surrogate', '["\\ud800"]'],
    ['escaped low surrogate', '["\\udc00x"]'],
    ['escaped pair reversed', '["\\ude02\\ud83d"]'],
    ['raw lone surrogate', '["\ud800"]'],
    ['lone surrogate in a key', '{"\\ud800":1}'],
  ])('refuses %s with INPUT_LONE_SURROGATE', (_name, text) => {
    expect(codeOf(() => parseJson(text))).toBe('INPUT_LONE_SURROGATE')
  })

  it('accepts a surrogate pair, escaped or raw', () => {
    expect(parseJson('["\\ud83d\\ude02", "\u{1f602}"]')).toEqual(['\u{1f602}', '\u{1f602}'])
  })

  it.each([
    ['1e400', 'INPUT_NON_FINITE_NUMBER'],
    ['-1e400', 'INPUT_NON_FINITE_NUMBER'],
    ['9007199254740993', 'INPUT_UNSAFE_INTEGER'],
    ['9007199254740992', 'INPUT_UNSAFE_INTEGER'],
    ['-9007199254740993', 'INPUT_UNSAFE_INTEGER'],
    ['1e300', 'INPUT_UNSAFE_INTEGER'],
    ['1e16', 'INPUT_UNSAFE_INTEGER'],
  ])('refuses %s with %s', (literal, code) => {
    expect(codeOf(() => parseJson(`{"n":${literal}}`))).toBe(code)
    expect(detailsOf(() => parseJson(`{"n":${literal}}`))?.['path']).toBe('/n')
  })

  it('accepts the largest safe integers and non-integers', () => {
    expect(parseJson('[9007199254740991,-9007199254740991,1.5,1e-300]')).toEqual([
      9007199254740991, -9007199254740991, 1.5, 1e-300,
    ])
  })

  it('limits depth: 64 levels pass, 65 fail', () => {
    expect(parseJson(nested(64))).toBeDefined()
    expect(codeOf(() => parseJson(nested(65)))).toBe('INPUT_TOO_DEEP')
    expect(codeOf(() => parseJson(nested(5), { maxDepth: 4 }))).toBe('INPUT_TOO_DEEP')
    expect(codeOf(() => parseJson(nested(100_000), { maxDepth: 1_000_000 }))).toBe('INPUT_TOO_DEEP')
  })

  it('limits size in UTF-8 bytes: 1 MiB passes, one more byte fails', () => {
    const exact = `"${'a'.repeat(DEFAULT_MAX_BYTES - 2)}"`
    expect(parseJson(exact)).toHaveLength(DEFAULT_MAX_BYTES - 2)
    expect(codeOf(() => parseJson(`"${'a'.repeat(DEFAULT_MAX_BYTES - 1)}"`))).toBe(
      'INPUT_TOO_LARGE',
    )
    // 3 bytes per character in UTF-8, 1 code unit in JavaScript
    expect(codeOf(() => parseJson(`"${'€'.repeat(400)}"`, { maxBytes: 1000 }))).toBe(
      'INPUT_TOO_LARGE',
    )
  })
})
