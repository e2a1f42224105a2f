/**
 * A gate that holds large payments for approval, with three approvers who hold their own
 * keys: what core's, the stores', the server's and the adapters' approval tests share.
 */
import type { ApprovalVerdict, PublicJwk, ReceiptClaims } from '@writ/verify'
import { base64UrlDecode, utf8Decode } from '@writ/verify/internal'
import { type ApproverDirectory, parseApprovers } from '../approvals/approvers.js'
import { approvalClaimsFor, signApproval } from '../approvals/sign-approval.js'
import { createGate, type GateOptions, type LocalGate } from '../gate.js'
import { generateSigningKey, type PrivateSigningJwk } from '../keys.js'
import { createMemoryStore } from '../memory-store.js'
import { compilePolicy } from '../policy/index.js'

/** The approval policy's text: transfers up to 1000 run, above 1000 wait for `quorum` of finance, above 1 000 000 are denied. */
export function approvalsPolicyText(
  options: { quorum?: number; ttl?: string; dailyLimit?: number } = {},
): string {
  return `writ: 1
id: payments-approvals
rules:
  - id: small
    effect: permit
    actions: [payments.transfer]
    when: args.amount <= 1000
  - id: large
    effect: approve
    actions: [payments.transfer]
    when: args.amount > 1000
    approvers: finance
    quorum: ${options.quorum ?? 1}
    ttl: ${options.ttl ?? '15m'}
    description: Transfers above 1000 need a finance approver
  - id: huge
    effect: deny
    actions: [payments.transfer]
    when: args.amount > 1000000
limits:
  - id: daily
    actions: [payments.transfer]
    per: agent
    window: 24h
    sum: args.amount
    max: ${options.dailyLimit ?? 100000000}
`
}

/** The approvers of the fixture: `alice`, `bob` and `carol` in group `finance`, `mallory` in `ops`, and `agent-7` (the agent's own id) in `finance` too. */
export interface ApprovalsFixture {
  readonly gate: LocalGate
  readonly directory: ApproverDirectory
  /** Private keys by approver id. */
  readonly keys: Readonly<Record<string, PrivateSigningJwk>>
  /** Signs an approval by `approver` for the hold opened by `holdReceipt` (compact JWS). */
  approve(
    holdReceipt: string,
    approver: string,
    verdict?: ApprovalVerdict,
    options?: { now?: number; ttlSeconds?: number; note?: string; key?: PrivateSigningJwk },
  ): string
}

const publicOf = (key: PrivateSigningJwk): PublicJwk => ({
  kty: 'OKP',
  crv: 'Ed25519',
  x: key.x,
  kid: key.kid,
})

/** Claims of a compact receipt, unverified (tests only). */
export function claimsOf(token: string): ReceiptClaims {
  return JSON.parse(utf8Decode(base64UrlDecode(token.split('.')[1] ?? ''))) as ReceiptClaims
}

/**
 * A real gate over {@link approvalsPolicyText} (default agent `agent-7`) with the fixture's
 * approvers; any gate option given overrides the defaults.
 */
export function createApprovalsFixture(
  options: { quorum?: number; ttl?: string; dailyLimit?: number } & Partial<GateOptions> = {},
): ApprovalsFixture {
  const { quorum, ttl, dailyLimit, ...gateOptions } = options
  const ids = ['alice', 'bob', 'carol', 'mallory', 'agent-7']
  const keys = Object.fromEntries(ids.map((id) => [id, generateSigningKey()]))
  const directory = parseApprovers({
    groups: { finance: ['alice', 'bob', 'carol', 'agent-7'], ops: ['mallory'] },
    approvers: ids.map((id) => ({
      id,
      name: id.charAt(0).toUpperCase() + id.slice(1),
      keys: [publicOf(keys[id] as PrivateSigningJwk)],
    })),
  })
  const gate = createGate({
    policy: compilePolicy(
      approvalsPolicyText({
        ...(quorum === undefined ? {} : { quorum }),
        ...(ttl === undefined ? {} : { ttl }),
        ...(dailyLimit === undefined ? {} : { dailyLimit }),
      }),
    ),
    keys: generateSigningKey(),
    issuer: 'https://writ.test',
    store: createMemoryStore(),
    defaultAgent: 'agent-7',
    approvers: directory,
    ...gateOptions,
  })
  return {
    gate,
    directory,
    keys,
    approve(holdReceipt, approver, verdict = 'approve', signOptions = {}) {
      const claims = approvalClaimsFor(claimsOf(holdReceipt), approver, verdict, signOptions)
      return signApproval(claims, signOptions.key ?? keys[approver])
    },
  }
}
