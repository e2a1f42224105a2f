/**
 * Approvals across instances: three real `writ serve --approvers` processes on one
 * PostgreSQL. However many agents race for one approved hold, across all three, it
 * yields at most one PERMIT, and the chains prove which approvals unlocked it.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  approvalClaimsFor,
  approvalSources,
  createRemoteGate,
  type Decision,
  generateSigningKey,
  parseApprovers,
  signApproval,
} from '@writ/core'
import { approvalsPolicyText, claimsOf } from '@writ/core/testing'
import { createPostgresStore } from '@writ/store-postgres'
import { createKeySet, verifyChain } from '@writ/verify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type PgCluster, startPgCluster } from '../../../test/support/pg-cluster.mjs'
import { hashToken } from '../src/index.js'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const bin = join(root, 'packages/cli/dist/bin.js')
const tokens = ['payer-one-token-0123456789', 'payer-two-token-0123456789']
const alice = generateSigningKey()
const approversDocument = {
  groups: { finance: ['alice'] },
  approvers: [
    {
      id: 'alice',
      name: 'Alice',
      keys: [{ kty: 'OKP', crv: 'Ed25519', x: alice.x, kid: alice.kid }],
    },
  ],
}

let cluster: PgCluster
let dir: string
const children: ChildProcess[] = []

async function serve(chain: string): Promise<string> {
  const child = spawn(
    process.execPath,
    [
      bin,
      'serve',
      '--policy',
      join(dir, 'policy.yaml'),
      '--key',
      join(dir, 'key.json'),
      '--agents',
      join(dir, 'agents.json'),
      '--approvers',
      join(dir, 'approvers.json'),
      '--postgres',
      cluster.url,
      '--chain',
      chain,
      '--port',
      '0',
      '--max-in-flight',
      '256',
      '--rate',
      '10000',
      '--burst',
      '10000',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  children.push(child)
  return new Promise<string>((resolve, reject) => {
    let out = ''
    let err = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const match = /serving on (http:\/\/[^\s]+)/.exec(out)
      if (match) resolve(match[1] as string)
    })
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString()
    })
    child.once('exit', (code) => reject(new Error(`writ serve exited ${code}: ${err}`)))
  })
}

beforeAll(async () => {
  if (!existsSync(bin))
    execFileSync(
      'npx',
      ['turbo', 'run', 'build', '--filter=@writ/cli...', '--output-logs=errors-only'],
      {
        cwd: root,
        stdio: 'inherit',
      },
    )
  cluster = await startPgCluster()
  dir = mkdtempSync(join(tmpdir(), 'writ-approvals-scale-'))
  writeFileSync(join(dir, 'policy.yaml'), approvalsPolicyText(), { mode: 0o644 })
  writeFileSync(join(dir, 'key.json'), JSON.stringify(generateSigningKey()), { mode: 0o600 })
  writeFileSync(join(dir, 'approvers.json'), JSON.stringify(approversDocument), { mode: 0o644 })
  // Two credentials for one agent: "many agents" of one principal, racing from everywhere.
  writeFileSync(
    join(dir, 'agents.json'),
    JSON.stringify({
      agents: tokens.map((token) => ({
        agent: 'agent-7',
        tokenSha256: hashToken(token),
      })),
    }),
    { mode: 0o644 },
  )
}, 180_000)

afterAll(() => {
  for (const child of children) child.kill('SIGKILL')
  cluster?.destroy()
})

describe('three writ serve instances on one PostgreSQL, one approved hold', () => {
  it('yields at most one PERMIT however many agents race on every instance', async () => {
    const urls = await Promise.all(['a', 'b', 'c'].map((chain) => serve(`approvals-${chain}`)))
    const keys = (await (await fetch(`${urls[0]}/.well-known/writ/keys.json`)).json()) as never
    const gates = urls.flatMap((url) =>
      tokens.map((token) => createRemoteGate({ url, token, keys, timeoutMs: 30_000 })),
    )
    const request = { action: 'payments.transfer', args: { to: 'acme', amount: 20000 } }
    const held = await gates[0]!.authorize(request)
    expect([held.decision, held.reason]).toEqual(['SILENCE', 'APPROVAL_REQUIRED'])
    const approval = signApproval(
      approvalClaimsFor(claimsOf(held.receipt), 'alice', 'approve'),
      alice,
    )
    const posted = await fetch(`${urls[1]}/v1/holds/${held.claims.jti}/approvals`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ approval }),
    })
    expect(posted.status).toBe(200)
    const decisions: Decision[] = await Promise.all(
      Array.from({ length: 60 }, (_, index) => gates[index % gates.length]!.authorize(request)),
    )
    const permits = decisions.filter((decision) => decision.decision === 'PERMIT')
    expect(permits).toHaveLength(1)
    expect(permits[0]?.claims.hold).toBe(held.claims.jti)
    // The losers were refused: the hold was used, or a new hold opened after it.
    for (const decision of decisions.filter((entry) => entry.decision !== 'PERMIT'))
      expect(['APPROVAL_USED', 'APPROVAL_REQUIRED']).toContain(decision.reason)
    // Every chain verifies, and every PERMIT is backed by the approvals kept in PostgreSQL.
    const store = await createPostgresStore({ connectionString: cluster.url })
    const sources = approvalSources(store, parseApprovers(approversDocument))
    for (const chain of ['approvals-a', 'approvals-b', 'approvals-c']) {
      const chainTokens: string[] = []
      for await (const stored of store.receipts(chain)) chainTokens.push(stored.token)
      const report = await verifyChain(chainTokens, createKeySet(keys), { approvals: sources })
      expect(report.valid).toBe(true)
    }
    await store.close()
  }, 120_000)
})
