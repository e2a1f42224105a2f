import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { analyzeRegex, MAX_REGEX_LENGTH } from './regex-safety.js'

const safe = [
  '^acct_[0-9]+$',
  '^[a-z]+@[a-z]+\\.[a-z]{2,6}$',
  '^\\d+\\.\\d+$',
  'x\\d+y',
  '^(ab|cd)*$',
  '^[A-Z]{3}$',
  'invoice',
  '^(?:foo|bar)-\\d{1,4}$',
  '^https://api\\.example\\.com/',
  '^[^/]+/[^/]+$',
  '\\bword\\b',
  '^a?b$',
]

const unsafe = [
  '(a+)+',
  '(a*)*',
  '(a+)+$',
  '^(a+)+$',
  '(a|a)*',
  '^(a|a)*$',
  '^(a|ab)*$',
  '^(a|)*$',
  '^(\\w+\\s?)*$',
  '^(a?){30}a{30}$',
  '(.*a){12}',
  '^.*a.*$',
  '^\\d+\\d+$',
  '\\d+x',
  '.*foo',
  '^(a+|b)c$',
  '(a)\\1',
  '(?=a)a',
  '(?!a)b',
  '(?<=a)b',
  '(?<name>a)',
  '\\k<name>',
  '(?i)a',
  '\\p{L}',
  '[]',
  'a**',
  'a{2,1}',
  'a{1,5000}',
  '(',
  'a)',
  '[a',
  '\\',
  'x'.repeat(MAX_REGEX_LENGTH + 1),
]

describe('analyzeRegex', () => {
  it.each(safe)('accepts %s', (pattern) => {
    expect(analyzeRegex(pattern)).toEqual({ safe: true })
  })

  it.each(unsafe)('refuses %s', (pattern) => {
    expect(analyzeRegex(pattern).safe).toBe(false)
  })

  const atom = fc.constantFrom(
    'a',
    'b',
    '\\d',
    '\\w',
    '.',
    '[a-z]',
    '[^x]',
    '\\s',
    '(?:ab)',
    '(?:a|b)',
  )
  const quantifier = fc.constantFrom('*', '+', '{1,3}', '{2,}', '*?', '+?')

  it('refuses every nested quantifier (X+)+ shape', () => {
    fc.assert(
      fc.property(atom, quantifier, quantifier, fc.boolean(), (x, inner, outer, anchored) => {
        const pattern = `${anchored ? '^' : ''}(${x}${inner})${outer}`
        expect(analyzeRegex(pattern).safe).toBe(false)
      }),
    )
  })

  it('refuses every repeated alternation whose branches overlap', () => {
    fc.assert(
      fc.property(
        atom,
        fc.string({ unit: fc.constantFrom('a', 'b', 'c'), maxLength: 3 }),
        quantifier,
        (x, tail, outer) => {
          const pattern = `^(?:${x}|${x}${tail})${outer}$`
          expect(analyzeRegex(pattern).safe).toBe(false)
        },
      ),
    )
  })

  it('refuses two overlapping quantifiers with nothing disjoint between them', () => {
    fc.assert(
      fc.property(quantifier, quantifier, (first, second) => {
        expect(analyzeRegex(`^a${first}a${second}$`).safe).toBe(false)
        expect(analyzeRegex(`^\\w${first}\\d${second}$`).safe).toBe(false)
      }),
    )
  })

  it('never throws, and everything it accepts is a valid JavaScript RegExp', () => {
    const piece = fc.constantFrom(
      'a',
      'b',
      '.',
      '\\d',
      '[a-c]',
      '(',
      ')',
      '|',
      '*',
      '+',
      '?',
      '{2}',
      '^',
      '$',
      '\\',
      '(?:',
      '[',
      ']',
      '\\1',
      '-',
    )
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
        const pattern = pieces.join('')
        const verdict = analyzeRegex(pattern)
        if (verdict.safe) expect(() => new RegExp(pattern)).not.toThrow()
        else expect(typeof verdict.reason).toBe('string')
      }),
      { numRuns: 2000 },
    )
  })
})
