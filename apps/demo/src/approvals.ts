/**
 * Approvals in the demo: large supplier payments wait for the finance group. The demo's
 * finance approver, Dana, signs with her own Ed25519 key (the "one-click demo approver
 * key": a browser without a passkey can still approve), never the authority's. When she
 * approves, the agent asks again with the very same request and the payment runs on the
 * PERMIT that names her approval; when she rejects, the next ask is DENY and the bank
 * never sees the request.
 */
import {
  type ActionRequest,
  approvalClaimsFor,
  type Decision,
  generateSigningKey,
  type HoldView,
  type LocalGate,
  type PrivateSigningJwk,
  parseApprovers,
  signApproval,
} from '@writ/core'
import type { ApprovalVerdict, PublicJwk, ReceiptClaims } from '@writ/verify'
import { base64UrlDecode, utf8Decode } from '@writ/verify/internal'
import {
  type BrowserCredential,
  createDemoPasskeys,
  type DemoPasskeys,
} from './approval-passkeys.js'
import type { ServiceOutcome, TimelineStep } from './timeline.js'
import { sendAction, type Toolkit } from './tools.js'

/** The demo's finance approver. */
export interface DemoApprover {
  readonly id: string
  readonly name: string
  readonly publicJwk: PublicJwk
}

/** One step of an approval flow, as the page shows and verifies it. */
export type ApprovalFlowStep =
  | {
      readonly kind: 'hold'
      readonly receipt: string
      readonly decision: 'SILENCE'
      readonly reason: string
    }
  | {
      readonly kind: 'approval'
      readonly approval: string
      readonly by: string
      readonly verdict: ApprovalVerdict
    }
  | {
      readonly kind: 'decision'
      readonly receipt: string | null
      readonly decision: 'PERMIT' | 'DENY' | 'SILENCE' | null
      readonly reason: string | null
    }
  | { readonly kind: 'execution'; readonly service: ServiceOutcome | null }

/** What answering a hold did: hold → approval → the agent's next ask → what the bank did. */
export interface ApprovalFlow {
  readonly hold: string
  readonly verdict: ApprovalVerdict
  readonly steps: readonly ApprovalFlowStep[]
  /** True when the payment ran (approved, PERMIT, executed). */
  readonly executed: boolean
}

/** The freight invoices the procurement agent can be asked to pay (each above 500 EUR: held). */
export const FREIGHT_INVOICES: Readonly<Record<string, { readonly amount: number }>> =
  Object.freeze(
    Object.assign(Object.create(null), { 'AF-2207': { amount: 800 }, 'AF-2291': { amount: 950 } }),
  )

/** The agent whose freight payments wait for approval. */
export const PROCUREMENT_AGENT = 'procurement-agent'

/** The demo's approvals: the approver, the held requests, and the one-click answers. */
export interface DemoApprovals {
  readonly approver: DemoApprover
  /** The approvers for the gate (`createGate({ approvers })`): Dana's key and her passkeys. */
  directory(): ReturnType<typeof parseApprovers>
  /** Dana's passkeys (the WebAuthn form of approvals). */
  readonly passkeys: DemoPasskeys
  /** Keeps a passkey Dana registered in the browser, and gives the gate the new approvers. */
  registerPasskey(gate: LocalGate, credential: BrowserCredential): void
  /** The claims Dana's passkey must sign to answer `hold`, and the browser's options. */
  passkeyChallenge(
    gate: LocalGate,
    hold: string,
    verdict: ApprovalVerdict,
  ): Promise<{ ceremony: string; options: unknown }>
  /** Answers with the passkey assertion of a started challenge, then as {@link DemoApprovals.answer}. */
  answerWithPasskey(
    gate: LocalGate,
    toolkit: Toolkit,
    hold: string,
    credential: BrowserCredential,
  ): Promise<ApprovalFlow>
  /**
   * The procurement agent's tool call for a freight invoice: the gated fetch asks the gate,
   * which holds it. Returns the decision's hold id (or `null` when it was not held).
   */
  propose(toolkit: Toolkit, invoice: string): Promise<string | null>
  /** Remembers the request behind each hold, so the agent can ask again with the same bytes. */
  remember(decision: Decision, request: ActionRequest): void
  /** The holds the approver may answer, newest first. */
  list(gate: LocalGate): Promise<HoldView[]>
  /** Signs Dana's answer, records it, lets the agent ask again, and reports each step. */
  answer(
    gate: LocalGate,
    toolkit: Toolkit,
    hold: string,
    verdict: ApprovalVerdict,
  ): Promise<ApprovalFlow>
  /** The flows answered so far in this world, newest first. */
  flows(): readonly ApprovalFlow[]
  /** Forgets the held requests and flows (a new world). */
  reset(): void
}

/** The approver group of the demo's approve rule. */
export const DEMO_APPROVER_GROUP = 'finance'

function claimsOf(token: string): ReceiptClaims {
  return JSON.parse(utf8Decode(base64UrlDecode(token.split('.')[1] ?? ''))) as ReceiptClaims
}

/** Creates the demo's approver (a fresh key for each demo process) and its directory. */
export function createDemoApprovals(): DemoApprovals {
  const key: PrivateSigningJwk = generateSigningKey()
  const publicJwk: PublicJwk = { kty: 'OKP', crv: 'Ed25519', x: key.x, kid: key.kid }
  const approver: DemoApprover = { id: 'dana', name: 'Dana Reyes (finance)', publicJwk }
  const passkeys = createDemoPasskeys()
  const directory = () =>
    parseApprovers({
      groups: { [DEMO_APPROVER_GROUP]: [approver.id] },
      approvers: [
        { id: approver.id, name: approver.name, keys: [publicJwk], passkeys: [...passkeys.list()] },
      ],
    })
  let held = new Map<string, ActionRequest>()
  let flows: ApprovalFlow[] = []
  return {
    approver,
    directory,
    passkeys,
    registerPasskey(gate, credential) {
      passkeys.register(credential)
      gate.setApprovers(directory())
    },
    async passkeyChallenge(gate, id, verdict) {
      const view = await gate.holds.get(id)
      if (view === undefined) throw new RangeError(`no hold ${id} to answer`)
      return passkeys.approvalOptions(
        approvalClaimsFor(claimsOf(view.receipt), approver.id, verdict, { note: noteFor(verdict) }),
      )
    },
    async answerWithPasskey(gate, toolkit, id, credential) {
      const approval = passkeys.approvalText(credential)
      const verdict = (JSON.parse(approval) as { claims: { verdict: ApprovalVerdict } }).claims
        .verdict
      const flow = await runFlow(
        { gate, toolkit, approver, request: held.get(id) },
        id,
        approval,
        verdict,
      )
      flows = [flow, ...flows]
      return flow
    },
    async propose(toolkit, invoice) {
      const found = Object.hasOwn(FREIGHT_INVOICES, invoice) ? FREIGHT_INVOICES[invoice] : undefined
      if (found === undefined) throw new RangeError(`no freight invoice ${invoice}`)
      const before = toolkit.timeline.steps.length
      await sendAction(toolkit, {
        action: 'payments.transfer',
        argsText: JSON.stringify({
          to: 'atlas-freight',
          amount: found.amount,
          currency: 'EUR',
          memo: invoice,
        }),
        agent: PROCUREMENT_AGENT,
      })
      const step = toolkit.timeline.steps[before]
      const claims = step?.receipt ? claimsOf(step.receipt) : undefined
      return step?.reason === 'APPROVAL_REQUIRED' ? (claims?.jti ?? null) : null
    },
    remember(decision, request) {
      const id = decision.decision === 'SILENCE' ? decision.hold?.id : undefined
      if (id !== undefined && !held.has(id)) held.set(id, request)
    },
    async list(gate) {
      const holds = await gate.holds.list({ limit: 50 })
      return holds.filter((hold) => hold.group === DEMO_APPROVER_GROUP)
    },
    async answer(gate, toolkit, id, verdict) {
      const view = await gate.holds.get(id)
      if (view === undefined) throw new RangeError(`no hold ${id} to answer`)
      const claims = approvalClaimsFor(claimsOf(view.receipt), approver.id, verdict, {
        note: noteFor(verdict),
      })
      const approval = signApproval(claims, key)
      const flow = await runFlow(
        { gate, toolkit, approver, request: held.get(id) },
        id,
        approval,
        verdict,
      )
      flows = [flow, ...flows]
      return flow
    },
    flows: () => flows,
    reset() {
      held = new Map()
      flows = []
    },
  }
}

interface AnswerContext {
  readonly gate: LocalGate
  readonly toolkit: Toolkit
  readonly approver: DemoApprover
  readonly request: ActionRequest | undefined
}

function noteFor(verdict: ApprovalVerdict): string {
  return verdict === 'approve'
    ? 'Checked against the purchase order.'
    : 'No purchase order on file.'
}

/** Records `approval` (JWS or passkey form), lets the agent ask again, and reports each step. */
async function runFlow(
  context: AnswerContext,
  id: string,
  approval: string,
  verdict: ApprovalVerdict,
): Promise<ApprovalFlow> {
  const { gate, toolkit, approver, request } = context
  const view = await gate.holds.get(id)
  if (view === undefined || request === undefined) throw new RangeError(`no hold ${id} to answer`)
  await gate.holds.submit(approval, { hold: id })
  // The agent asks again: the same action, agent and request bytes as the held call.
  const before = toolkit.timeline.steps.length
  const body = request.httpRequest?.body
  await sendAction(toolkit, {
    action: view.action,
    argsText: body === undefined ? JSON.stringify(view.args) : utf8Decode(body),
    agent: view.agent,
  })
  const asked: TimelineStep | undefined = toolkit.timeline.steps[before]
  const steps: ApprovalFlowStep[] = [
    { kind: 'hold', receipt: view.receipt, decision: 'SILENCE', reason: 'APPROVAL_REQUIRED' },
    { kind: 'approval', approval, by: approver.id, verdict },
    {
      kind: 'decision',
      receipt: asked?.receipt ?? null,
      decision: asked?.decision ?? null,
      reason: asked?.reason ?? null,
    },
    { kind: 'execution', service: asked?.service ?? null },
  ]
  return { hold: id, verdict, steps, executed: asked?.service?.executed === true }
}
