/**
 * Shared by the approvals page tests: a payments authority whose large transfers wait for
 * the finance group, served on 127.0.0.1 with the approvals page, and a headless Chromium
 * with a virtual passkey authenticator (Chrome DevTools Protocol `WebAuthn` domain).
 */
import { createServer } from 'node:net'
import {
  compilePolicy,
  createGate,
  createMemoryStore,
  generateSigningKey,
  type LocalGate,
  parseApprovers,
} from '@writ/core'
import { webAuthnApprovalVerifier } from '@writ/verify'
import {
  type Browser,
  type BrowserContext,
  type CDPSession,
  chromium,
  type Page,
} from 'playwright-core'
import { openPasskeyRegistry } from '../src/approvals/passkey-registry.js'
import { type ListeningAuthority, startAuthorityServer } from '../src/index.js'

/** A policy where transfers above 10 000 wait for one finance approver. */
export const APPROVALS_POLICY = `writ: 1
id: payments-with-approvals
rules:
  - id: small-transfers
    effect: permit
    actions: [payments.transfer]
    when: args.amount <= 10000
  - id: large-transfers-need-finance
    effect: approve
    actions: [payments.transfer]
    when: args.amount > 10000
    approvers: finance
    ttl: 15m
    description: Transfers above 10,000 EUR need a finance approver.
limits:
  - id: daily-spend
    actions: [payments.transfer]
    per: agent
    window: 24h
    sum: args.amount
    max: 50000
    description: What one agent may pay out in a day.
`

export const APPROVERS = {
  groups: { finance: ['alice', 'bob'] },
  approvers: [
    { id: 'alice', name: 'Alice Martin' },
    { id: 'bob', name: 'Bob Chen' },
  ],
}

export const AGENT = 'agent:accounts-payable'

/** A free port on 127.0.0.1 (the page's origin must be known before the server starts). */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

export interface ApprovalsAuthority {
  readonly gate: LocalGate
  readonly server: ListeningAuthority
  /** `http://localhost:PORT`: WebAuthn refuses IP addresses as relying party ids. */
  readonly origin: string
  readonly operatorToken: string
}

/** Starts the authority with the approvals page on 127.0.0.1, seen as `localhost`. */
export async function startApprovalsAuthority(): Promise<ApprovalsAuthority> {
  const port = await freePort()
  const origin = `http://localhost:${port}`
  const approvers = parseApprovers(APPROVERS)
  const gate = createGate({
    policy: compilePolicy(APPROVALS_POLICY, { source: 'payments.yaml' }),
    keys: generateSigningKey(),
    issuer: 'https://authority.test',
    store: createMemoryStore(),
    defaultAgent: AGENT,
    approvers,
    webauthn: webAuthnApprovalVerifier({ rpId: 'localhost', origins: [origin] }),
  })
  const operatorToken = 'operator-token-for-the-approvals-tests'
  const { hashToken } = await import('../src/index.js')
  const server = await startAuthorityServer({
    gate,
    agents: [],
    operators: [{ name: 'ops', tokenSha256: hashToken(operatorToken) }],
    port,
    approvalsPage: { origin, approvers, passkeys: await openPasskeyRegistry() },
  })
  return { gate, server, origin, operatorToken }
}

/** Asks the authority for an enrollment link, as `writ approver enroll` does. */
export async function enrollmentUrl(
  authority: ApprovalsAuthority,
  approver: string,
): Promise<string> {
  const response = await fetch(`${authority.server.url}/v1/approvers/${approver}/enrollments`, {
    method: 'POST',
    headers: { authorization: `Bearer ${authority.operatorToken}` },
  })
  if (response.status !== 201) throw new Error(`enrollment link: ${response.status}`)
  const { url } = (await response.json()) as { url: string }
  return url
}

/** Headless Chromium from /usr/bin/chromium (never downloaded). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
    ],
  })
}

export interface PasskeyBrowser {
  readonly context: BrowserContext
  readonly page: Page
  readonly cdp: CDPSession
  readonly authenticatorId: string
}

/**
 * A page with a virtual platform authenticator: CTAP2, internal, resident keys, user
 * verification that succeeds. Chromium runs the real WebAuthn ceremony against it.
 */
export async function passkeyBrowser(
  browser: Browser,
  viewport = { width: 1280, height: 720 },
): Promise<PasskeyBrowser> {
  const context = await browser.newContext({ viewport })
  const page = await context.newPage()
  const cdp = await context.newCDPSession(page)
  await cdp.send('WebAuthn.enable')
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  })
  return { context, page, cdp, authenticatorId }
}
