/**
 * The approvers an authority trusts (spec section 11): groups of approver ids, and each
 * approver's name and public keys. They come from the authority's own configuration,
 * never from a request; a hold names a group, and only its members may approve it.
 */
import {
  APPROVER_ID_PATTERN,
  type ApproverKeys,
  createKeySet,
  type KeySet,
  type PublicJwk,
  WritError,
} from '@writ/verify'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { GROUP_ID_PATTERN } from '../policy/schema.js'

/** A passkey registered for an approver (WebAuthn); verified by the passkey code path. */
export interface ApproverPasskey {
  /** The credential id, base64url. */
  readonly id: string
  /** The COSE public key, base64url. */
  readonly publicKey: string
  readonly counter?: number | undefined
}

/** One approver as configured. */
export interface ApproverEntry {
  readonly id: string
  /** A name people recognise, shown to other approvers and in `writ inspect`. */
  readonly name?: string | undefined
  /** Ed25519 public keys (JWK with `kid`), for approvals signed with `writ approve`. */
  readonly keys?: readonly PublicJwk[] | undefined
  readonly passkeys?: readonly ApproverPasskey[] | undefined
}

/** The approvers document: `groups` of approver ids, and the `approvers`. */
export interface ApproversDocument {
  readonly groups: Readonly<Record<string, readonly string[]>>
  readonly approvers: readonly ApproverEntry[]
}

/** What is published at `/.well-known/writ/approvers.json`: public keys with their ids, and groups. */
export interface PublishedApprovers {
  readonly groups: Readonly<Record<string, readonly string[]>>
  readonly approvers: readonly {
    readonly id: string
    readonly name: string
    readonly keys: readonly PublicJwk[]
    readonly passkeys: readonly { readonly id: string; readonly publicKey: string }[]
  }[]
}

/** The approvers an authority trusts, validated and frozen. */
export interface ApproverDirectory {
  readonly document: ApproversDocument
  /** The approver with this id, or `undefined`. */
  approver(id: string): ApproverEntry | undefined
  /** The approver's keys as a verifier needs them, or `undefined` when the id is unknown. */
  keysOf(id: string): ApproverKeys | undefined
  /** The ids of a group's members (empty for an unknown group). */
  members(group: string): readonly string[]
  /** True when `id` is a member of `group`. */
  inGroup(id: string, group: string): boolean
  /** The public view, for `/.well-known/writ/approvers.json`. */
  publicDocument(): PublishedApprovers
}

const approverId = z.string().regex(APPROVER_ID_PATTERN, 'must match [A-Za-z0-9_.:@-]{1,128}')
const documentSchema = z.strictObject({
  groups: z.record(
    z.string().regex(GROUP_ID_PATTERN, 'must match [A-Za-z0-9_.:@-]{1,128}'),
    z.array(approverId).min(1).max(1024),
  ),
  approvers: z
    .array(
      z.strictObject({
        id: approverId,
        name: z.string().min(1).max(256).optional(),
        keys: z.array(z.record(z.string(), z.unknown())).max(16).optional(),
        passkeys: z
          .array(
            z.strictObject({
              id: z.string().min(1).max(1024),
              publicKey: z.string().min(1).max(4096),
              counter: z.number().int().nonnegative().optional(),
            }),
          )
          .max(16)
          .optional(),
      }),
    )
    .max(10_000),
})

function invalid(message: string, details: Record<string, unknown> = {}): WritError {
  return new WritError('POLICY_INVALID', `Approvers configuration: ${message}`, { details })
}

function readDocument(input: unknown): ApproversDocument {
  let value = input
  if (typeof input === 'string') {
    try {
      value = parseYaml(input, { schema: 'core', uniqueKeys: true })
    } catch (error) {
      throw invalid('not YAML or JSON', { cause: String(error) })
    }
  }
  const parsed = documentSchema.safeParse(value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw invalid(`${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`, {
      path: issue?.path.join('.'),
    })
  }
  return parsed.data as unknown as ApproversDocument
}

/**
 * Validates an approvers configuration (YAML or JSON text, or the parsed object): unknown
 * members are errors, every group member must be a configured approver, an approver id
 * appears once, and each key must be a public Ed25519 JWK whose `kid` is its thumbprint.
 *
 * @throws WritError `POLICY_INVALID` naming the first problem.
 *
 * @example
 * ```ts
 * const approvers = parseApprovers(`
 * groups: { finance: [alice, bob] }
 * approvers:
 *   - { id: alice, name: Alice Martin, keys: [ { kty: OKP, crv: Ed25519, x: "…", kid: "…" } ] }
 *   - { id: bob, name: Bob Chen, keys: [ … ] }
 * `)
 * const gate = createGate({ policy, keys, issuer, approvers })
 * ```
 */
export function parseApprovers(input: unknown): ApproverDirectory {
  const document = readDocument(input)
  const byId = new Map<string, { entry: ApproverEntry; keys: KeySet }>()
  for (const [index, entry] of document.approvers.entries()) {
    if (byId.has(entry.id)) throw invalid(`approver ${entry.id} is listed twice`, { index })
    let keys: KeySet
    try {
      keys = createKeySet((entry.keys ?? []) as readonly PublicJwk[])
    } catch (error) {
      throw invalid(`approver ${entry.id} has an invalid key`, { index, cause: String(error) })
    }
    byId.set(entry.id, { entry: Object.freeze({ ...entry }), keys })
  }
  const groups = new Map<string, readonly string[]>()
  for (const [group, members] of Object.entries(document.groups)) {
    for (const member of members) {
      if (!byId.has(member)) throw invalid(`group ${group} names unknown approver ${member}`)
    }
    groups.set(group, Object.freeze([...new Set(members)]))
  }
  return Object.freeze({
    document,
    approver: (id: string) => byId.get(id)?.entry,
    keysOf: (id: string): ApproverKeys | undefined => {
      const found = byId.get(id)
      if (found === undefined) return undefined
      return { keys: found.keys, passkeys: found.entry.passkeys ?? [] }
    },
    members: (group: string) => (groups.has(group) ? (groups.get(group) ?? []) : []),
    inGroup: (id: string, group: string) => groups.get(group)?.includes(id) === true,
    publicDocument: (): PublishedApprovers => ({
      groups: Object.fromEntries(groups),
      approvers: [...byId.values()].map(({ entry, keys }) => ({
        id: entry.id,
        name: entry.name ?? entry.id,
        keys: keys.keys,
        passkeys: (entry.passkeys ?? []).map((passkey) => ({
          id: passkey.id,
          publicKey: passkey.publicKey,
        })),
      })),
    }),
  })
}

/** Reads and validates an approvers file (YAML or JSON). See {@link parseApprovers}. */
export async function loadApprovers(path: string): Promise<ApproverDirectory> {
  const { readFile } = await import('node:fs/promises')
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new WritError('POLICY_INVALID', `Cannot read the approvers file ${path}`, {
      cause: error,
      details: { path },
    })
  }
  return parseApprovers(text)
}

/** True when `value` is an {@link ApproverDirectory} built by {@link parseApprovers}. */
export function isApproverDirectory(value: unknown): value is ApproverDirectory {
  const candidate = value as Partial<ApproverDirectory> | undefined
  return typeof candidate?.keysOf === 'function' && typeof candidate.inGroup === 'function'
}
