import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { oracleCanonicalArgs } from '../test/canonical-args-oracle.js'
import { sparse } from '../test/codes.js'
import { canonicalArgs } from './canonical-args.js'
import { WritError } from './errors.js'
import type { JsonLimits } from './json.js'

// The one-pass canonicalArgs against the implementation it replaced (validate, copy and
// freeze, then canonicalize, then digest), on random values and random raw JSON text.

type Outcome =
  | { readonly ok: true; readonly canonical: string; readonly digest: string; value: unknown }
  | { readonly ok: false; readonly code: string; readonly details: unknown }

function outcome(run: () => { canonical: string; digest: string; value: unknown }): Outcome {
  try {
    const { canonical, digest, value } = run()
    return { ok: true, canonical, digest, value }
  } catch (error) {
    if (!WritError.isInstance(error)) throw error
    return { ok: false, code: error.code, details: error.details }
  }
}

/** A value with plain objects, members sorted and -0 as 0, to compare structures. */
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalize)
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>
    return Object.fromEntries(
      Object.keys(record)
        .sort()
        .map((key) => [key, normalize(record[key])]),
    )
  }
  return value === 0 ? 0 : value
}

/** Every object of the new value has no prototype and every container is frozen. */
function expectDetachedAndFrozen(value: unknown): void {
  if (typeof value !== 'object' || value === null) return
  expect(Object.isFrozen(value)).toBe(true)
  if (!Array.isArray(value)) expect(Object.getPrototypeOf(value)).toBe(null)
  for (const item of Object.values(value)) expectDetachedAndFrozen(item)
}

function expectSameAcceptance(fresh: Outcome, oracle: Outcome): void {
  expect(fresh.ok).toBe(oracle.ok)
  if (fresh.ok && oracle.ok) {
    expect(fresh.canonical).toBe(oracle.canonical)
    expect(fresh.digest).toBe(oracle.digest)
    expect(normalize(fresh.value)).toEqual(normalize(oracle.value))
    expectDetachedAndFrozen(fresh.value)
  }
}

function expectSame(fresh: Outcome, oracle: Outcome): void {
  expectSameAcceptance(fresh, oracle)
  if (!fresh.ok && !oracle.ok) {
    expect(fresh.code).toBe(oracle.code)
    expect(fresh.details).toEqual(oracle.details)
  }
}

// Keys: sorting edge cases (UTF-16 order against code points, array indices, prefixes),
// escapes, astral characters, and (in the "any" sets) forbidden keys and lone surrogates.
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code))
const wellFormedKey = fc.oneof(
  fc.constantFrom(
    '',
    'a',
    'aa',
    'b',
    'B',
    '_',
    '0',
    '1',
    '2',
    '10',
    '01',
    '4294967294',
    '4294967295',
    '-1',
    '1.5',
    'toJSON',
    '\u00e9',
    '\u20ac',
    '\ufb33',
    '\u{1f602}',
    '\u{10ffff}',
    'a\u0000',
    '"',
    '\\',
    '\u2028',
  ),
  fc.string({ unit: 'binary', maxLength: 4 }),
  fc.string({ unit: 'grapheme-ascii', maxLength: 3 }),
)
const anyKey = fc.oneof(
  { weight: 6, arbitrary: wellFormedKey },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype') },
  { weight: 1, arbitrary: fc.string({ unit: codeUnit, maxLength: 3 }) },
)
const wellFormedString = fc.oneof(
  wellFormedKey,
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: fc.constantFrom('a', '"', '\\', '\n', '\u001f', '\u007f', '/', 'é', '😂') }),
)
const anyString = fc.oneof(
  { weight: 6, arbitrary: wellFormedString },
  { weight: 1, arbitrary: fc.string({ unit: codeUnit, maxLength: 6 }) },
)
// Numbers: ECMAScript serialization (exponents, -0, the safe-integer edges, subnormals).
const safeNumber = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e15, max: 1e15 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => Math.abs(n) < 2 ** 53),
  fc.constantFrom(-0, 1e-7, 1e-6, 5e-324, 0.1 + 0.2, 2 ** 53 - 1, -(2 ** 53 - 1), 123456789012345),
)
const anyNumber = fc.oneof(
  { weight: 6, arbitrary: safeNumber },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.constantFrom(2 ** 53, 1e21, 1e300, -(2 ** 60)) },
)

function valueArbitrary(
  key: fc.Arbitrary<string>,
  text: fc.Arbitrary<string>,
  number: fc.Arbitrary<number>,
) {
  return fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constant(null),
      fc.boolean(),
      number,
      text,
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(key, tie('value'), { maxKeys: 5 }),
    ),
  })).value
}

const validObject = fc.dictionary(
  wellFormedKey,
  valueArbitrary(wellFormedKey, wellFormedString, safeNumber),
  {
    maxKeys: 6,
  },
)
const anyObject = fc.dictionary(anyKey, valueArbitrary(anyKey, anyString, anyNumber), {
  maxKeys: 6,
})

describe('canonicalArgs (one pass) against the previous implementation', () => {
  it('gives the same canonical text, digest and value for valid JavaScript values', () => {
    fc.assert(
      fc.property(validObject, (value) => {
        const fresh = outcome(() => canonicalArgs(value))
        expect(fresh.ok).toBe(true)
        expectSame(
          fresh,
          outcome(() => oracleCanonicalArgs(value)),
        )
      }),
      { numRuns: 1500 },
    )
  })

  it('accepts and refuses the same JavaScript values', () => {
    fc.assert(
      fc.property(anyObject, (value) => {
        expectSameAcceptance(
          outcome(() => canonicalArgs(value)),
          outcome(() => oracleCanonicalArgs(value)),
        )
      }),
      { numRuns: 1500 },
    )
  })
})

// One defect injected at a random place in a valid value: whatever the walk order, the
// same refusal, with the same code and the same JSON Pointer.
class Money {}
const defects: readonly (() => { key?: string; value?: unknown; sparse?: true; getter?: true })[] =
  [
    () => ({ value: Number.NaN }),
    () => ({ value: Number.NEGATIVE_INFINITY }),
    () => ({ value: 2 ** 53 }),
    () => ({ value: -1e300 }),
    () => ({ value: undefined }),
    () => ({ value: () => 1 }),
    () => ({ value: 5n }),
    () => ({ value: Symbol('s') }),
    () => ({ value: new Date(0) }),
    () => ({ value: new Map() }),
    () => ({ value: new Money() }),
    () => ({ value: 'x\ud800' }),
    () => ({ value: '\udc00y' }),
    () => ({ key: 'k\udbff' }),
    () => ({ key: '__proto__' }),
    () => ({ key: 'constructor' }),
    () => ({ key: 'prototype' }),
    () => ({ sparse: true }),
    () => ({ getter: true }),
  ]

/** The containers of a value, outermost first. */
function containersOf(value: unknown, found: object[] = []): object[] {
  if (typeof value === 'object' && value !== null) {
    found.push(value)
    for (const item of Object.values(value)) containersOf(item, found)
  }
  return found
}

function inject(container: object, defect: ReturnType<(typeof defects)[number]>): void {
  if (Array.isArray(container)) {
    if (defect.sparse) container.length += 2
    else if (defect.key === undefined && !defect.getter) container.push(defect.value)
    else container.push({ [defect.key ?? 'g']: 1 })
    if (defect.getter) injectGetter(container[container.length - 1] as object)
    return
  }
  const record = container as Record<string, unknown>
  if (defect.sparse) record['hole'] = sparse()
  else if (defect.getter) injectGetter(record)
  else if (defect.key !== undefined)
    Object.defineProperty(record, defect.key, {
      value: 1,
      enumerable: true,
      configurable: true,
      writable: true,
    })
  else record['bad'] = defect.value
}

function injectGetter(record: object): void {
  Object.defineProperty(record, 'unreadable', {
    enumerable: true,
    get() {
      throw new Error('no')
    },
  })
}

describe('canonicalArgs (one pass) refuses as before', () => {
  it('gives the same code and path for one defect anywhere in a value', () => {
    fc.assert(
      fc.property(
        validObject,
        fc.nat(),
        fc.nat({ max: defects.length - 1 }),
        (value, at, which) => {
          const containers = containersOf(value)
          inject(containers[at % containers.length]!, defects[which]!())
          const fresh = outcome(() => canonicalArgs(value))
          expect(fresh.ok).toBe(false)
          expectSame(
            fresh,
            outcome(() => oracleCanonicalArgs(value)),
          )
        },
      ),
      { numRuns: 1500 },
    )
  })

  it('accepts and refuses the same values under small limits', () => {
    fc.assert(
      fc.property(
        validObject,
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 2, max: 120 }),
        (value, maxDepth, maxBytes) => {
          const limits: JsonLimits = { maxDepth, maxBytes }
          expectSameAcceptance(
            outcome(() => canonicalArgs(value, limits)),
            outcome(() => oracleCanonicalArgs(value, limits)),
          )
        },
      ),
      { numRuns: 1000 },
    )
  })
})

// Raw JSON text, as a model writes it: random whitespace, escapes (short, \u in either
// case, escaped surrogates), number spellings, duplicate members, and corruptions.

/** A small deterministic generator of choices. */
function chooser(seed: number): (n: number) => number {
  let state = seed >>> 0 || 1
  return (n) => {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return (state >>> 0) % n
  }
}

const SHORT: Readonly<Record<string, string>> = {
  '"': '\\"',
  '\\': '\\\\',
  '/': '\\/',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
}
const NUMBER_SPELLINGS = [
  '-0',
  '0.0',
  '-0.0e-5',
  '1E2',
  '2.5e+2',
  '25000e-2',
  '1e400',
  '-1e400',
  '9007199254740991',
  '9007199254740993',
  '1e300',
  '0.1e1',
  '123456789012345678',
  '5e-324',
  '1e-400',
]
const BROKEN = ['00', '1.', '.5', '+1', '-', '1e', '01', '-a', 'tru', 'nul', '"\\x"', '"\\u12G4"']

function writeString(text: string, pick: (n: number) => number): string {
  let out = '"'
  for (const unit of text.split('')) {
    const code = unit.charCodeAt(0)
    const mustEscape = unit === '"' || unit === '\\' || code < 0x20
    const style = mustEscape ? 1 + pick(2) : pick(6)
    if (style === 1 && SHORT[unit] !== undefined) out += SHORT[unit]
    else if (style === 1 || style === 2) {
      const hex = code.toString(16).padStart(4, '0')
      out += `\\u${pick(2) === 0 ? hex : hex.toUpperCase()}`
    } else out += unit
  }
  return `${out}"`
}

function writeText(value: unknown, pick: (n: number) => number): string {
  const space = () => ['', '', ' ', '\n  ', '\t', '\r\n'][pick(6)]!
  if (typeof value === 'string') return writeString(value, pick)
  if (typeof value === 'number') {
    if (pick(8) === 0) return NUMBER_SPELLINGS[pick(NUMBER_SPELLINGS.length)]!
    if (Number.isInteger(value) && pick(4) === 0) return `${value}${pick(2) ? '.0' : 'e0'}`
    return Number.isFinite(value) ? String(value) : 'null'
  }
  if (Array.isArray(value)) {
    return `[${space()}${value.map((item) => writeText(item, pick) + space()).join(`,${space()}`)}]`
  }
  if (typeof value === 'object' && value !== null) {
    const members = Object.entries(value)
    // Sometimes a member name twice.
    if (members.length > 0 && pick(10) === 0) members.push(members[pick(members.length)]!)
    const written = members.map(
      ([key, item]) => `${writeString(key, pick)}${space()}:${space()}${writeText(item, pick)}`,
    )
    return `{${space()}${written.join(`${space()},${space()}`)}${space()}}`
  }
  return String(value)
}

function corrupt(text: string, pick: (n: number) => number): string {
  const at = pick(text.length + 1)
  switch (pick(12)) {
    case 0:
      return text.slice(0, at) + text.slice(at + 1)
    case 1:
      return text.slice(0, at) + '{}[]",:\\ a0-.eE\u0001'[pick(17)]! + text.slice(at)
    case 2:
      return text.slice(0, at)
    case 3:
      return `${text.slice(0, at)}${BROKEN[pick(BROKEN.length)]!}${text.slice(at)}`
    case 4:
      return `${text} x`
    default:
      return text
  }
}

const rawText = fc.tuple(anyObject, fc.integer({ min: 1 })).map(([value, seed]) => {
  const pick = chooser(seed)
  return corrupt(writeText(value, pick), pick)
})

describe('canonicalArgs (one pass) on raw JSON text', () => {
  it('gives the same result, or the same refusal with the same path and offset', () => {
    fc.assert(
      fc.property(rawText, (text) => {
        expectSame(
          outcome(() => canonicalArgs(text)),
          outcome(() => oracleCanonicalArgs(text)),
        )
      }),
      { numRuns: 4000 },
    )
  })

  it('does the same under small limits, for text and its UTF-8 bytes', () => {
    fc.assert(
      fc.property(
        rawText,
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 200 }),
        (text, maxDepth, maxBytes) => {
          const limits: JsonLimits = { maxDepth, maxBytes }
          expectSame(
            outcome(() => canonicalArgs(text, limits)),
            outcome(() => oracleCanonicalArgs(text, limits)),
          )
          const bytes = new TextEncoder().encode(text)
          expectSame(
            outcome(() => canonicalArgs(bytes, limits)),
            outcome(() => oracleCanonicalArgs(bytes, limits)),
          )
        },
      ),
      { numRuns: 2000 },
    )
  })

  it('parses the text of every valid value to the value canonicalized from the object', () => {
    fc.assert(
      fc.property(validObject, fc.integer({ min: 1 }), (value, seed) => {
        const text = writeText(value, chooser(seed))
        const fromText = outcome(() => canonicalArgs(text))
        const oracle = outcome(() => oracleCanonicalArgs(text))
        expectSame(fromText, oracle)
      }),
      { numRuns: 1500 },
    )
  })
})

describe('canonicalArgs (one pass) in a polluted process', () => {
  const value = { b: [1, { d: 'x', c: [] }], a: { z: 3, y: [] } }
  const text = JSON.stringify(value)
  const expected = '{"a":{"y":[],"z":3},"b":[1,{"c":[],"d":"x"}]}'

  it('writes the canonical text whatever toJSON a prototype carries', () => {
    const prototypes = [Array.prototype, Object.prototype] as Record<string, unknown>[]
    const plants: PropertyDescriptor[] = [
      { value: () => 'polluted', configurable: true, writable: true },
      { value: 'not a function', configurable: true, writable: true },
      {
        get() {
          throw new Error('no')
        },
        configurable: true,
      },
    ]
    for (const prototype of prototypes) {
      for (const plant of plants) {
        Object.defineProperty(prototype, 'toJSON', plant)
        try {
          expect(canonicalArgs(value).canonical).toBe(expected)
          expect(canonicalArgs(text).canonical).toBe(expected)
        } finally {
          delete prototype['toJSON']
        }
      }
    }
    expect(canonicalArgs(value).canonical).toBe(expected)
  })
})

describe('canonicalArgs (one pass) on lists of records in raw text', () => {
  it('reads names repeated from the record before exactly as written', () => {
    const records = [
      '{"sku":"a","qty":1}',
      '{"sku":"b","qty":2}',
      '{"sk":"c","qty":3}',
      '{"skus":"d","qty":4}',
      '{"\\u0073ku":"e","qty":5}',
      '{"sku":"f","qty":6,"sku":7}',
      '{"sku":"g","sku":8}',
      '{"sku":"h","qty":9,"__proto__":{}}',
      '{"sku" : "i","qty":10}',
      '{"sku":"j","qty":11,"é":12}',
      '{"sku":"k","qty\\"":13}',
      '{"sku":"l","qty":14}',
      '{"":1,"sku":15}',
      '{"":2,"sku":16}',
    ]
    for (let first = 0; first < records.length; first++) {
      for (let second = 0; second < records.length; second++) {
        const text = `{"items":[${records[first]},${records[second]},${records[second]}]}`
        expectSame(
          outcome(() => canonicalArgs(text)),
          outcome(() => oracleCanonicalArgs(text)),
        )
      }
    }
  })
})

describe('canonicalArgs (one pass) on hostile objects', () => {
  it('lists the members of each object once, so a proxy cannot swap the names checked', () => {
    let listings = 0
    const hostile = new Proxy(
      {},
      {
        ownKeys: () => (listings++ === 0 ? ['x'] : ['__proto__']),
        getOwnPropertyDescriptor: () => ({ value: 1, enumerable: true, configurable: true }),
        get: () => 1,
      },
    )
    const value = { list: [hostile, JSON.parse('{"__proto__":1}') as unknown] }
    const fresh = outcome(() => canonicalArgs(value))
    listings = 0
    expectSame(
      fresh,
      outcome(() => oracleCanonicalArgs(value)),
    )
    expect(fresh.ok ? undefined : fresh.code).toBe('INPUT_FORBIDDEN_KEY')
  })
})
