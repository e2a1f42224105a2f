/**
 * Policies that try to be unsafe, and action names chosen to make a safe-looking policy
 * slow. A policy is loaded once and evaluated on every call, with an action name and
 * arguments an agent chooses: evaluation must stay linear in them.
 */
import { compilePolicy, MAX_RULES } from '@writ/core'
import { matchesAction } from '@writ/core/internal'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { thrownCode } from './support.js'

function globPolicy(glob: string): string {
  return `writ: 1\nid: globs\nrules:\n  - id: r\n    effect: permit\n    actions: ['${glob}']\n`
}

/** The reference semantics of a glob, written as a plain recursive definition. */
function reference(pattern: string, name: string): boolean {
  if (pattern === '') return name === ''
  if (pattern.startsWith('**')) {
    for (let cut = 0; cut <= name.length; cut++)
      if (reference(pattern.slice(2), name.slice(cut))) return true
    return false
  }
  if (pattern.startsWith('*')) {
    for (let cut = 0; cut <= name.length; cut++) {
      if (name.slice(0, cut).includes('.')) break
      if (reference(pattern.slice(1), name.slice(cut))) return true
    }
    return false
  }
  return name.startsWith(pattern[0]!) && reference(pattern.slice(1), name.slice(1))
}

describe('action globs against chosen names', () => {
  it('a glob with many stars matches a long lookalike name without backtracking', () => {
    // On a backtracking regular expression this takes longer than the test timeout.
    const glob = `${'*a'.repeat(30)}*b`
    const policy = compilePolicy(globPolicy(glob))
    const evaluation = policy.evaluate({
      action: 'a'.repeat(128),
      args: {},
      agent: 'bot',
      context: {},
      now: 0,
    })
    expect(evaluation.decision).toBe('SILENCE')
    expect(matchesAction(`${'**a'.repeat(20)}**b`, 'a'.repeat(128))).toBe(false)
    expect(matchesAction(`${'**a'.repeat(20)}**b`, `${'a'.repeat(127)}b`)).toBe(true)
  })

  it('matches exactly as the glob definition says (`*` never crosses a dot, `**` does)', () => {
    const alphabet = fc.constantFrom('a', 'b', '.', '_')
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', 'b', '.', '*', '**'), { maxLength: 8 }),
        fc.array(alphabet, { maxLength: 10 }),
        (parts, letters) => {
          const pattern = parts.join('')
          if (pattern.includes('***') || !pattern.includes('*')) return
          const name = letters.join('')
          expect(matchesAction(pattern, name)).toBe(reference(pattern, name))
        },
      ),
      { numRuns: 2000 },
    )
  })
})

describe('unsafe policy documents', () => {
  it('refuses a YAML alias bomb without expanding it', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]']
    for (let level = 1; level < 10; level++) {
      const previous = `*a${level - 1}`
      lines.push(`a${level}: &a${level} [${Array(10).fill(previous).join(', ')}]`)
    }
    const text = `writ: 1\nid: bomb\nrules: []\n${lines.join('\n')}\n`
    expect(thrownCode(() => compilePolicy(text))).toBe('POLICY_INVALID')
  })

  it('refuses 100 000 levels of YAML or JSON nesting with POLICY_INVALID, not a stack overflow', () => {
    const deepYaml = `writ: 1\nid: deep\nrules: []\nx: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`
    expect(thrownCode(() => compilePolicy(deepYaml))).toBe('POLICY_INVALID')
    const deepJson = `{"writ":1,"id":"deep","rules":[],"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`
    expect(thrownCode(() => compilePolicy(deepJson, { format: 'json' }))).toBe('POLICY_INVALID')
  })

  it.each([
    "args.name.matches('(a+)+$')",
    "args.name.matches('(a|a)*b')",
    "args.name.matches('^([a-z]+ ?)*$')",
    "args.name.matches('.*a.*a.*a.*b')",
    'args.name.matches(args.pattern)',
  ])('refuses the ReDoS-prone condition %s', (condition) => {
    const text = `writ: 1\nid: redos\nrules:\n  - id: r\n    effect: permit\n    actions: [a]\n    when: "${condition}"\n`
    expect(thrownCode(() => compilePolicy(text))).toBe('POLICY_UNSAFE')
  })

  it('refuses deeply nested CEL and nested comprehensions', () => {
    const nested = `${'('.repeat(200)}true${')'.repeat(200)}`
    expect(
      thrownCode(() =>
        compilePolicy(
          `writ: 1\nid: cel\nrules:\n  - id: r\n    effect: permit\n    actions: [a]\n    when: "${nested}"\n`,
        ),
      ),
    ).toMatch(/^POLICY_(UNSAFE|INVALID)$/)
    const comprehension = 'args.l.all(x, args.l.all(y, args.l.all(z, true)))'
    expect(
      thrownCode(() =>
        compilePolicy(
          `writ: 1\nid: cel\nrules:\n  - id: r\n    effect: permit\n    actions: [a]\n    when: "${comprehension}"\n`,
        ),
      ),
    ).toBe('POLICY_UNSAFE')
  })

  it('refuses unknown members, a __proto__ member and duplicate keys', () => {
    expect(thrownCode(() => compilePolicy('writ: 1\nid: p\nrules: []\nallow_all: true\n'))).toBe(
      'POLICY_INVALID',
    )
    expect(
      thrownCode(() =>
        compilePolicy('{"writ":1,"id":"p","rules":[],"__proto__":{"x":1}}', { format: 'json' }),
      ),
    ).toBe('POLICY_INVALID')
    expect(thrownCode(() => compilePolicy('writ: 1\nid: p\nid: q\nrules: []\n'))).toBe(
      'POLICY_INVALID',
    )
  })

  it('refuses more rules than MAX_RULES before compiling any of them', () => {
    const rules = Array.from({ length: MAX_RULES + 1 }, (_, index) => ({
      id: `r${index}`,
      effect: 'permit',
      actions: ['a'],
      when: 'args.x == 1',
    }))
    expect(thrownCode(() => compilePolicy({ writ: 1, id: 'many', rules } as never))).toBe(
      'POLICY_INVALID',
    )
  })

  it('a condition that reads inherited members never sees them', () => {
    const text = `writ: 1\nid: p\nrules:\n  - id: r\n    effect: permit\n    actions: [a]\n    when: "has(args.constructor) || has(args.toString) || 'constructor' in args"\n`
    const evaluation = compilePolicy(text).evaluate({
      action: 'a',
      args: {},
      agent: 'bot',
      context: {},
      now: 0,
    })
    expect(evaluation.decision).toBe('SILENCE')
  })
})
