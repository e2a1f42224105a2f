import { describe, expect, it } from 'vitest'
import type { HistoryEntry } from './cel.js'
import { compilePolicy } from './compile-policy.js'

const text = (when: string, tags = '[untrusted]') => `writ: 1
id: history
rules:
  - id: fetch
    effect: permit
    actions: [web.fetch]
    tags: ${tags}
  - id: send
    effect: permit
    actions: [email.send]
    when: "${when}"
`

const entry = (action: string, tags: string[] = []): HistoryEntry => ({
  action,
  decision: 'PERMIT',
  rule: null,
  time: new Date(0),
  tags,
})

const input = (action: string, history: readonly HistoryEntry[] | null) => ({
  action,
  args: {},
  agent: 'bot',
  context: {},
  now: 1_700_000_000,
  session: 's',
  history,
})

describe('history and tags', () => {
  it('a deciding rule reports its tags; conditions read the entries', () => {
    const policy = compilePolicy(text("!history.exists(h, 'untrusted' in h.tags)"))
    expect(policy.evaluate(input('web.fetch', [])).tags).toEqual(['untrusted'])
    expect(policy.evaluate(input('email.send', [entry('x')])).decision).toBe('PERMIT')
    const tainted = policy.evaluate(input('email.send', [entry('web.fetch', ['untrusted'])]))
    expect([tainted.decision, tainted.reason]).toEqual(['SILENCE', 'CONDITION_FALSE'])
    expect(policy.readsHistory?.('email.send')).toBe('send')
    expect(policy.readsHistory?.('web.fetch')).toBeUndefined()
  })

  it('a rule reading history refuses a request without one (SESSION_REQUIRED)', () => {
    const policy = compilePolicy(text('size(history) < 5'))
    const refused = policy.evaluate(input('email.send', null))
    expect([refused.decision, refused.reason, refused.rule]).toEqual([
      'DENY',
      'SESSION_REQUIRED',
      'send',
    ])
  })

  it('tags that are not short identifiers are refused at load', () => {
    for (const tags of ['[Untrusted]', '["a b"]', `[${'x'.repeat(33)}]`, '[a,b,c,d,e,f,g,h,i]']) {
      expect(() => compilePolicy(text('true', tags))).toThrow(
        expect.objectContaining({ code: 'POLICY_INVALID' }),
      )
    }
  })

  it('history stays within the evaluation budget: a quadratic condition over a long history fails closed', () => {
    const policy = compilePolicy(
      text('history.all(a, history.all(b, a.action == b.action || a.action != b.action))'),
    )
    const long = Array.from({ length: 4096 }, (_, index) => entry(`a${index}`))
    const decided = policy.evaluate(input('email.send', long))
    expect([decided.decision, decided.reason, decided.errorCode]).toEqual([
      'DENY',
      'EVAL_ERROR',
      'EVAL_BUDGET_EXCEEDED',
    ])
  })
})
