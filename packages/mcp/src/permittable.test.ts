import { compilePolicy } from '@writ/core'
import { describe, expect, it } from 'vitest'
import { permittableBy } from './permittable.js'

const visible = permittableBy(
  compilePolicy(`
writ: 1
id: visible
rules:
  - id: bank
    effect: permit
    actions: [mcp.bank.*]
    when: args.amount <= 10
  - id: never-close
    effect: deny
    actions: [mcp.bank.close_account]
  - id: no-mallory
    effect: deny
    actions: [mcp.bank.transfer]
    when: args.to == 'mallory'
  - id: big
    effect: approve
    actions: [mcp.vault.open]
    approvers: ops
`),
)

describe('permittableBy', () => {
  it.each([
    ['mcp.bank.transfer', true],
    ['mcp.bank.close_account', false],
    ['mcp.vault.open', true],
    ['mcp.weather.today', false],
    ['mcp.bank.a.b', false],
    ['__proto__', false],
  ])('%s → %s', (action, expected) => {
    expect(visible(action)).toBe(expected)
  })
})
