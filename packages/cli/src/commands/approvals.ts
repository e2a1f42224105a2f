/**
 * Approvals from the command line (spec section 11): `writ approver keygen` makes an
 * approver's own key; `writ approvals list` shows what waits (from the authority, or read
 * straight from a store for an audit); `writ approve HOLD` signs an approval or a reject
 * for exactly that hold with the approver's key and hands it to the authority, which
 * checks it like any other.
 */
import { rmSync, writeFileSync } from 'node:fs'
import {
  approvalClaimsFor,
  generateSigningKey,
  type HoldView,
  type PublicJwk,
  parseSigningKey,
  type StoredApproval,
  type StoredHold,
  signApproval,
} from '@writ/core'
import { APPROVER_ID_PATTERN, type ReceiptClaims } from '@writ/verify'
import { CliError, usageError } from '../cli-error.js'
import {
  booleanFlag,
  type Command,
  jsonLine,
  type ParsedInput,
  positional,
  requiredFlag,
  stringFlag,
} from '../command.js'
import { EXIT_CODES } from '../exit-codes.js'
import { resolvePath } from '../files.js'
import type { CliIo } from '../io.js'
import { readSecretFile } from '../serve-config.js'
import { openExistingStore, STORE_FLAGS, storeLocation } from '../store.js'

/** An approver's key file: the approver's id and name, and the private Ed25519 JWK. */
interface ApproverKeyFile {
  readonly id: string
  readonly name?: string
  readonly key: unknown
}

function publicOf(jwk: { x: string; kid: string }): PublicJwk {
  return { kty: 'OKP', crv: 'Ed25519', x: jwk.x, kid: jwk.kid }
}

/** `writ approver keygen`. */
export const approverKeygenCommand: Command = {
  name: 'approver keygen',
  summary: "generate an approver's own Ed25519 key (file mode 0600)",
  positionals: { min: 0, max: 0, names: '' },
  options: {
    id: { type: 'string' },
    name: { type: 'string' },
    out: { type: 'string' },
    force: { type: 'boolean' },
  },
  help: `Usage: writ approver keygen --id ID --out FILE [--name NAME] [--force]

Generates an Ed25519 key for one approver and writes { id, name, key } to FILE, mode
0600: the approver keeps it, never the authority. Prints the approver's public entry
for the approvers file of writ serve (--approvers): add it under "approvers" and name
the id in a group.

  --id ID      the approver's id, [A-Za-z0-9_.:@-] (required)
  --name NAME  a name people recognise (default: the id)
  --out FILE   where to write the private key (required)
  --force      replace an existing file

Exit codes: 0 written, 2 usage error, 3 file exists or cannot be written.`,
  async run(input, io) {
    const id = requiredFlag(input, 'id')
    if (!APPROVER_ID_PATTERN.test(id)) throw usageError('--id must match [A-Za-z0-9_.:@-]{1,128}')
    const name = stringFlag(input, 'name') ?? id
    const path = resolvePath(io, requiredFlag(input, 'out'))
    const key = generateSigningKey()
    try {
      if (booleanFlag(input, 'force')) rmSync(path, { force: true })
      writeFileSync(path, `${JSON.stringify({ id, name, key }, null, 2)}\n`, {
        mode: 0o600,
        flag: 'wx',
      })
    } catch (cause) {
      const reason = (cause as NodeJS.ErrnoException).code ?? 'unwritable'
      throw new CliError(
        'IO_ERROR',
        reason === 'EEXIST'
          ? `${path} already exists; use --force`
          : `cannot write ${path} (${reason})`,
        { cause, details: { path } },
      )
    }
    io.stdout(jsonLine({ id, name, keys: [publicOf(key)] }))
    return EXIT_CODES.ok
  },
}

/** The operator token for reading holds from a server: `--token-file`, else `WRIT_TOKEN`. */
function operatorToken(input: ParsedInput, io: CliIo): string | undefined {
  const file = stringFlag(input, 'token-file')
  if (file !== undefined) return readSecretFile(io, file, 'token file')
  return process.env['WRIT_TOKEN']
}

/** A JSON answer of the authority, or the code and detail of its refusal. */
async function serverAnswer(
  url: string,
  init: RequestInit = {},
): Promise<{ ok: true; body: unknown } | { ok: false; refusal: string }> {
  let response: Response
  try {
    response = await fetch(url, init)
  } catch (cause) {
    throw new CliError('IO_ERROR', `cannot reach ${url}`, { cause })
  }
  const body = (await response.json().catch(() => ({}))) as { code?: string; detail?: string }
  if (response.ok) return { ok: true, body }
  return { ok: false, refusal: `${body.code ?? response.status}: ${body.detail ?? 'refused'}` }
}

async function serverJson(url: string, init: RequestInit = {}): Promise<unknown> {
  const answer = await serverAnswer(url, init)
  if (!answer.ok) throw new CliError('IO_ERROR', `the authority refused: ${answer.refusal}`)
  return answer.body
}

function describeHold(hold: HoldView): string {
  const approvals = hold.approvals.map((entry) => `${entry.by} ${entry.verdict}d`).join(', ')
  const until = new Date(hold.exp * 1000).toISOString()
  return [
    `${hold.id}  ${hold.state}  ${hold.action} by ${hold.agent}${hold.audience === null ? '' : ` for ${hold.audience}`}`,
    `  arguments: ${JSON.stringify(hold.args)}`,
    `  needs ${hold.quorum} of group ${hold.group} (rule ${hold.rule ?? '-'}${hold.ruleDescription === null ? '' : `: ${hold.ruleDescription}`}), open until ${until}`,
    ...(approvals === '' ? [] : [`  answered: ${approvals}`]),
  ].join('\n')
}

const SERVER_FLAGS = {
  server: { type: 'string' },
  'token-file': { type: 'string' },
} as const

/** `writ approvals list`. */
export const approvalsListCommand: Command = {
  name: 'approvals list',
  summary: 'list holds waiting for approval (from writ serve, or a store)',
  positionals: { min: 0, max: 0, names: '' },
  options: {
    ...SERVER_FLAGS,
    ...STORE_FLAGS,
    state: { type: 'string' },
    json: { type: 'boolean' },
  },
  help: `Usage: writ approvals list (--server URL [--token-file FILE] | --store DB |
                          --store-url-file FILE) [--state STATE] [--json]

Lists holds, newest first: the action, its arguments, the agent, the rule and who has
answered.

  --server URL           the authority (writ serve); reading holds needs an operator
                         token, from --token-file FILE (mode 0600) or WRIT_TOKEN
  --store DB             read the store directly instead (SQLite file or postgres://
                         URL without a password; for audits: what it shows is what the
                         store holds)
  --store-url-file FILE  a file (mode 0600) with the PostgreSQL URL, password included
  --state STATE          pending (the default), approved, rejected, used, expired or all
  --json                 one JSON object per hold

Exit codes: 0 listed, 2 usage error, 3 the server or store cannot be read.`,
  async run(input, io) {
    const state = stringFlag(input, 'state') ?? 'pending'
    const holds = await listHolds(input, io, state)
    for (const hold of holds)
      io.stdout(booleanFlag(input, 'json') ? jsonLine(hold) : `${describeHold(hold)}\n`)
    if (holds.length === 0 && !booleanFlag(input, 'json')) io.stdout('no holds\n')
    return EXIT_CODES.ok
  },
}

async function listHolds(input: ParsedInput, io: CliIo, state: string): Promise<HoldView[]> {
  const server = stringFlag(input, 'server')
  const query = state === 'all' ? '' : `?state=${encodeURIComponent(state)}`
  if (server !== undefined) {
    const token = operatorToken(input, io)
    if (token === undefined)
      throw usageError('--server needs an operator token: --token-file FILE or WRIT_TOKEN')
    const body = (await serverJson(`${server.replace(/\/$/, '')}/v1/holds${query}`, {
      headers: { authorization: `Bearer ${token}` },
    })) as { holds: HoldView[] }
    return body.holds
  }
  const location = storeLocation(input, io)
  if (location === undefined) throw usageError('give --server URL or --store DB')
  const existing = await openExistingStore(io, location)
  try {
    const holds = existing.store.holds
    if (holds === undefined) throw new CliError('IO_ERROR', 'this store keeps no holds')
    const stored = await holds.list({ limit: 500 })
    const views: HoldView[] = []
    for (const hold of stored) views.push(storedView(hold, await holds.approvals(hold.id)))
    return state === 'all' ? views : views.filter((view) => view.state === state)
  } finally {
    await existing.close()
  }
}

/** A stored hold as a view, without the authority's policy and approvers at hand. */
function storedView(hold: StoredHold, approvals: readonly StoredApproval[]): HoldView {
  const claims = claimsOf(hold.receipt)
  const now = Math.floor(Date.now() / 1000)
  const approving = new Set(
    approvals
      .filter((entry) => entry.verdict === 'approve' && entry.exp >= now)
      .map((entry) => entry.approver),
  )
  const state =
    hold.state !== 'open'
      ? hold.state
      : hold.exp <= now
        ? 'expired'
        : approving.size >= hold.quorum
          ? 'approved'
          : 'pending'
  return {
    id: hold.id,
    state,
    group: hold.group,
    quorum: hold.quorum,
    iat: claims.iat,
    exp: hold.exp,
    agent: claims.sub,
    audience: claims.aud ?? null,
    action: claims.act.name,
    args: JSON.parse(hold.args),
    http: claims.http ?? null,
    rule: claims.rule,
    ruleDescription: null,
    policy: claims.policy,
    receipt: hold.receipt,
    approvals: approvals.map((entry) => ({
      by: entry.approver,
      name: entry.approver,
      verdict: entry.verdict,
      iat: entry.iat,
      exp: entry.exp,
      note: null,
      digest: entry.digest,
    })),
    permit: hold.permit,
    approvers: [],
  }
}

function claimsOf(token: string): ReceiptClaims {
  return JSON.parse(
    Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'),
  ) as ReceiptClaims
}

function readApproverKey(io: CliIo, path: string): ApproverKeyFile {
  const text = readSecretFile(io, path, 'approver key file')
  let parsed: Partial<ApproverKeyFile>
  try {
    parsed = JSON.parse(text) as Partial<ApproverKeyFile>
  } catch (cause) {
    throw new CliError('IO_ERROR', `${path} is not JSON`, { cause })
  }
  if (typeof parsed.id !== 'string' || !APPROVER_ID_PATTERN.test(parsed.id))
    throw new CliError('IO_ERROR', `${path} is not an approver key file (writ approver keygen)`)
  parseSigningKey(parsed.key)
  return parsed as ApproverKeyFile
}

/** `writ approve`. */
export const approveCommand: Command = {
  name: 'approve',
  summary: 'approve (or --reject) one hold with your approver key',
  positionals: { min: 1, max: 1, names: 'HOLD' },
  options: {
    ...SERVER_FLAGS,
    key: { type: 'string' },
    reject: { type: 'boolean' },
    note: { type: 'string' },
    ttl: { type: 'string' },
    json: { type: 'boolean' },
  },
  help: `Usage: writ approve HOLD --key approver.json --server URL [--token-file FILE]
                    [--reject] [--note TEXT] [--ttl SECONDS] [--json]

Reads the hold from the authority, shows what it would run, signs an approval (or,
with --reject, a rejection) bound to exactly that hold (its action, arguments, HTTP
request and agent) with your own key, and posts it to the authority, which checks it
(your key, your group, not the agent itself, not expired, not used) before it counts.
A rejection closes the hold: the action stays refused.

  --key FILE     your approver key file, from writ approver keygen (mode 0600)
  --server URL   the authority (writ serve); reading the hold needs an operator token,
                 from --token-file FILE or WRIT_TOKEN (posting the approval does not)
  --reject       sign a rejection instead of an approval
  --note TEXT    a note kept with the approval (at most 1024 characters)
  --ttl SECONDS  how long the approval stays valid (default 900)
  --json         print the hold after the approval as JSON

Exit codes: 0 recorded, 1 refused by the authority (the code says why), 2 usage error,
3 the key, server or hold cannot be read.`,
  async run(input, io) {
    const holdId = positional(input, 0)
    const approver = readApproverKey(io, requiredFlag(input, 'key'))
    const server = requiredFlag(input, 'server').replace(/\/$/, '')
    const token = operatorToken(input, io)
    if (token === undefined)
      throw usageError('reading the hold needs an operator token: --token-file FILE or WRIT_TOKEN')
    const hold = (await serverJson(`${server}/v1/holds/${encodeURIComponent(holdId)}`, {
      headers: { authorization: `Bearer ${token}` },
    })) as HoldView
    const holdClaims = claimsOf(hold.receipt)
    if (hold.id !== holdId || holdClaims.jti !== holdId)
      throw new CliError('IO_ERROR', 'the authority returned another hold')
    io.stderr(`${describeHold(hold)}\n`)
    const verdict = booleanFlag(input, 'reject') ? 'reject' : 'approve'
    const note = stringFlag(input, 'note')
    const ttl = stringFlag(input, 'ttl')
    const claims = approvalClaimsFor(holdClaims, approver.id, verdict, {
      ...(note === undefined ? {} : { note }),
      ...(ttl === undefined ? {} : { ttlSeconds: Number.parseInt(ttl, 10) }),
    })
    const approval = signApproval(claims, approver.key)
    const answer = await serverAnswer(
      `${server}/v1/holds/${encodeURIComponent(holdId)}/approvals`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ approval }),
      },
    )
    if (!answer.ok) {
      io.stderr(`writ approve: refused: ${answer.refusal}\n`)
      return EXIT_CODES.failed
    }
    const after = answer.body as HoldView
    if (booleanFlag(input, 'json')) io.stdout(jsonLine(after))
    else
      io.stdout(
        `${verdict === 'approve' ? 'approved' : 'rejected'} ${holdId}: now ${after.state}\n${describeHold(after)}\n`,
      )
    return EXIT_CODES.ok
  },
}
