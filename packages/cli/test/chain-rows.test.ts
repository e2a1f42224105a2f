/**
 * `writ chain verify` compares the columns a SQLite store keeps beside each receipt
 * (decision, req, decoded claims...) with the signed token: a row edited in the file
 * while its token stays intact is reported as CHAIN_ROW_MISMATCH.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { chainVerify, decideArgv, runSql, signingWorkspace, type Workspace } from './helpers.js'

let ws: Workspace
beforeEach(async () => {
  ws = await signingWorkspace()
  for (const amount of [10, 5000, 20]) {
    const result = await ws.writ(...decideArgv({ to: 'acme', amount }, '--store', 'receipts.db'))
    expect(result.code).toBe(0)
  }
})
afterEach(() => ws.remove())

describe('writ chain verify: stored columns against the signed token', () => {
  it('passes an untouched store', async () => {
    const result = await chainVerify(ws)
    expect(result.code).toBe(0)
    expect(result.report.valid).toBe(true)
  })

  it.each([
    ['the decision column', `UPDATE receipts SET decision = 'PERMIT' WHERE seq = 1`],
    [
      'the decoded claims',
      `UPDATE receipts SET claims = json_set(claims, '$.decision', 'PERMIT') WHERE seq = 1`,
    ],
    ['the request id', `UPDATE receipts SET req = 'other-request' WHERE seq = 1`],
  ])('reports an edit of %s as CHAIN_ROW_MISMATCH at that seq, exit 1', async (_, statement) => {
    runSql(ws, statement)
    const result = await chainVerify(ws)
    expect(result.code).toBe(1)
    expect(result.report.valid).toBe(false)
    expect(result.report.chains[0]).toMatchObject({
      valid: false,
      code: 'CHAIN_ROW_MISMATCH',
      seq: 1,
    })
    expect(result.stderr).toMatch(/^writ: CHAIN_ROW_MISMATCH: /m)
  })
})
