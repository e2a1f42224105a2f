/**
 * Tool arguments and prototype pollution (item: null-prototype arguments). The
 * arguments a tool receives are a frozen copy of exactly what the receipt binds; they
 * must not inherit from `Object.prototype`, or a pollution anywhere in the agent's
 * process (`Object.prototype.isAdmin = true`) shows up as an argument the policy never
 * saw, at every level of nesting.
 */
import type { JsonObject } from '@writ/verify'
import { describe, expect, it } from 'vitest'
import { makeGate } from './support.js'

/** Runs `work` while `Object.prototype[key]` is `value`; always restores it. */
async function withPollution<T>(key: string, value: unknown, work: () => Promise<T>): Promise<T> {
  const prototype = Object.prototype as Record<string, unknown>
  Object.defineProperty(prototype, key, { value, configurable: true, writable: true })
  try {
    return await work()
  } finally {
    delete prototype[key]
  }
}

interface Seen {
  readonly top: unknown
  readonly nested: unknown
  readonly inArray: unknown
  readonly inherits: boolean
  readonly json: string
}

async function whatTheToolSees(args: unknown): Promise<Seen> {
  const gate = makeGate()
  return withPollution('isAdmin', true, () =>
    gate.guard({ action: 'payments.transfer', args: args as JsonObject }, (received): Seen => {
      const record = received as Record<string, unknown>
      const meta = record['meta'] as Record<string, unknown>
      const list = record['list'] as Record<string, unknown>[]
      return {
        top: record['isAdmin'],
        nested: meta['isAdmin'],
        inArray: (list[0] as Record<string, unknown>)['isAdmin'],
        inherits: Object.getPrototypeOf(received) !== null,
        json: JSON.stringify(received),
      }
    }),
  )
}

describe('tool arguments do not inherit from a polluted Object.prototype', () => {
  it.each([
    ['raw JSON text', '{"amount":10,"meta":{"note":"x"},"list":[{"id":1}]}'],
    ['a JavaScript object', { amount: 10, meta: { note: 'x' }, list: [{ id: 1 }] }],
  ])('given %s, the tool sees no polluted key at any depth', async (_, args) => {
    const seen = await whatTheToolSees(args)
    expect(seen.top).toBeUndefined()
    expect(seen.nested).toBeUndefined()
    expect(seen.inArray).toBeUndefined()
    expect(seen.inherits).toBe(false)
    // Still ordinary JSON for the tool: it serializes the same.
    // The tool gets the members the receipt binds, in its canonical (RFC 8785) order.
    expect(seen.json).toBe('{"amount":10,"list":[{"id":1}],"meta":{"note":"x"}}')
  })
})
