import { ACTION_NAME_PATTERN } from '@writ/verify'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  EMPTY_ACTION_NAME,
  escapeActionName,
  MAX_ESCAPED_ACTION_NAME_LENGTH,
} from './action-name-escape.js'

/** The reading back that the escape's documentation describes, for names not truncated. */
function readBack(escaped: string): string {
  const bytes: number[] = []
  for (let index = 0; index < escaped.length; index++) {
    if (escaped[index] === '%') {
      bytes.push(Number.parseInt(escaped.slice(index + 1, index + 3), 16))
      index += 2
    } else bytes.push(escaped.charCodeAt(index))
  }
  // Generalized UTF-8 (WTF-8): surrogate code points decode to lone UTF-16 units.
  let text = ''
  for (let index = 0; index < bytes.length; ) {
    const first = bytes[index] as number
    const size = first < 0x80 ? 1 : first < 0xe0 ? 2 : first < 0xf0 ? 3 : 4
    let codePoint = size === 1 ? first : first & (0xff >> (size + 1))
    for (let offset = 1; offset < size; offset++)
      codePoint = (codePoint << 6) | ((bytes[index + offset] as number) & 0x3f)
    text += String.fromCodePoint(codePoint)
    index += size
  }
  return text
}

describe('escapeActionName', () => {
  it('keeps printable ASCII and writes the UTF-8 bytes of everything else as %XX', () => {
    expect(escapeActionName('payments transfer')).toBe('payments transfer')
    expect(escapeActionName('payments.transfer\u200b')).toBe('payments.transfer%E2%80%8B')
    // Cyrillic р and а, which look like Latin p and a.
    expect(escapeActionName('\u0440\u0430yments.transfer')).toBe('%D1%80%D0%B0yments.transfer')
    expect(escapeActionName('a\nb\u0000')).toBe('a%0Ab%00')
    expect(escapeActionName('100%')).toBe('100%25')
    expect(escapeActionName('pay\u{1F4B8}')).toBe('pay%F0%9F%92%B8')
    expect(escapeActionName('\ud800x')).toBe('%ED%A0%80x')
  })

  it('returns a valid name unchanged', () => {
    for (const name of ['payments.transfer', 'ehr:write-note_v2', 'x'.repeat(128)])
      expect(escapeActionName(name)).toBe(name)
  })

  it('marks empty names and non-strings, and never starts a name with (', () => {
    expect(escapeActionName('')).toBe(EMPTY_ACTION_NAME)
    expect(escapeActionName(42)).toBe('(non-string: number)')
    expect(escapeActionName(null)).toBe('(non-string: null)')
    expect(escapeActionName(undefined)).toBe('(non-string: undefined)')
    expect(escapeActionName(['a'])).toBe('(non-string: array)')
    expect(escapeActionName({})).toBe('(non-string: object)')
    expect(escapeActionName('(empty)')).toBe('%28empty)')
  })

  it('truncates past the maximum with a marker, never inside an escape', () => {
    const long = escapeActionName('a'.repeat(500))
    expect(long).toBe(`${'a'.repeat(256 - '%~truncated(500)'.length)}%~truncated(500)`)
    const wide = escapeActionName('\u00e9'.repeat(200))
    expect(wide.length).toBeLessThanOrEqual(MAX_ESCAPED_ACTION_NAME_LENGTH)
    expect(wide).toMatch(/^(%C3%A9)+%~truncated\(200\)$/)
  })

  it('is printable ASCII, bounded, reversible, and never a valid name for an invalid one', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 120 }), (name) => {
        const escaped = escapeActionName(name)
        expect(escaped).toMatch(/^[\x20-\x7e]*$/)
        expect(escaped.length).toBeLessThanOrEqual(MAX_ESCAPED_ACTION_NAME_LENGTH)
        if (!ACTION_NAME_PATTERN.test(name)) expect(ACTION_NAME_PATTERN.test(escaped)).toBe(false)
        if (name.length > 0 && !escaped.includes('%~')) {
          expect(readBack(escaped)).toBe(name)
        }
      }),
      { numRuns: 2000 },
    )
  })
})
