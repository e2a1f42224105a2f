import { isPlainObject } from './canonicalize.js'
import { isDigest } from './digest.js'
import { WritError } from './errors.js'
import type { CheckpointClaims, Digest, JsonObject, ReceiptClaims } from './types.js'

/** The decisions a receipt may carry. */
export const DECISIONS: readonly string[] = Object.freeze(['PERMIT', 'DENY', 'SILENCE'])

const RECEIPT_MEMBERS = [
  'v',
  'iss',
  'jti',
  'iat',
  'exp',
  'sub',
  'aud',
  'req',
  'decision',
  'reason',
  'rule',
  'policy',
  'act',
  'http',
  'refs',
  'hold',
  'appr',
  'chain',
]
const RECEIPT_OPTIONAL = new Set(['aud', 'http', 'refs', 'hold', 'appr'])
/** The shape of a `refs` name; at most {@link MAX_REFS} of them. */
const REF_NAME = /^[A-Za-z0-9_.:-]{1,64}$/
/** The most names a receipt's `refs` may carry. */
export const MAX_REFS = 16
const CHECKPOINT_MEMBERS = ['v', 'iss', 'chain', 'size', 'head', 'iat']

function invalid(path: string, message: string): WritError {
  return new WritError('CLAIMS_INVALID', message, { details: { path } })
}

function exactMembers(
  value: unknown,
  path: string,
  members: readonly string[],
  optional: ReadonlySet<string> = new Set(),
): Record<string, unknown> {
  if (!isPlainObject(value)) throw invalid(path, 'expected an object')
  const allowed = new Set(members)
  for (const key of Object.keys(value)) {
    if (!allowed.has(key)) throw invalid(`${path}/${key}`, `unknown claim "${key}"`)
  }
  for (const member of members) {
    if (!optional.has(member) && !Object.hasOwn(value, member))
      throw invalid(`${path}/${member}`, `missing claim "${member}"`)
  }
  return value
}

function text(value: unknown, path: string, allowEmpty = false): string {
  if (typeof value !== 'string' || (!allowEmpty && value.length === 0)) {
    throw invalid(path, allowEmpty ? 'expected a string' : 'expected a non-empty string')
  }
  return value
}

function seconds(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(path, 'expected a non-negative integer (NumericDate)')
  }
  return value
}

function count(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(path, 'expected a non-negative integer')
  }
  return value
}

function digest(value: unknown, path: string): void {
  if (!isDigest(value)) throw invalid(path, 'expected "sha256:" and 64 lowercase hex digits')
}

/**
 * Checks receipt claims against spec section 2, strictly: every member present with its
 * type, no unknown member, digests well-formed, `iat`/`exp` non-negative integers with
 * `exp >= iat`, `chain.seq` a non-negative integer with `prev` null exactly at seq 0.
 * `act.name` may be any string: a DENY for an invalid name carries the name as given.
 *
 * @throws WritError `CLAIMS_INVALID` with `details.path` (JSON Pointer of the claim).
 */
export function checkReceiptClaims(claims: Readonly<JsonObject>): ReceiptClaims {
  const record = exactMembers(claims, '', RECEIPT_MEMBERS, RECEIPT_OPTIONAL)
  if (record['v'] !== 1) throw invalid('/v', 'v must be 1')
  text(record['iss'], '/iss')
  text(record['jti'], '/jti')
  const iat = seconds(record['iat'], '/iat')
  const exp = seconds(record['exp'], '/exp')
  if (exp < iat) throw invalid('/exp', 'exp must not be before iat')
  text(record['sub'], '/sub')
  if (Object.hasOwn(record, 'aud')) text(record['aud'], '/aud')
  text(record['req'], '/req')
  if (typeof record['decision'] !== 'string' || !DECISIONS.includes(record['decision'])) {
    throw invalid('/decision', 'decision must be PERMIT, DENY or SILENCE')
  }
  text(record['reason'], '/reason')
  if (record['rule'] !== null) text(record['rule'], '/rule')
  const policy = exactMembers(record['policy'], '/policy', ['id', 'digest'])
  text(policy['id'], '/policy/id')
  digest(policy['digest'], '/policy/digest')
  const act = exactMembers(record['act'], '/act', ['name', 'args'])
  text(act['name'], '/act/name', true)
  digest(act['args'], '/act/args')
  if (Object.hasOwn(record, 'http')) {
    const http = exactMembers(record['http'], '/http', ['method', 'uri', 'body'])
    text(http['method'], '/http/method')
    text(http['uri'], '/http/uri')
    digest(http['body'], '/http/body')
  }
  if (Object.hasOwn(record, 'refs')) checkRefs(record['refs'])
  checkApprovalClaims(record)
  const chain = exactMembers(record['chain'], '/chain', ['id', 'seq', 'prev'])
  text(chain['id'], '/chain/id')
  const seq = count(chain['seq'], '/chain/seq')
  if (seq === 0) {
    if (chain['prev'] !== null) throw invalid('/chain/prev', 'prev must be null at seq 0')
  } else {
    digest(chain['prev'], '/chain/prev')
  }
  return claims as unknown as ReceiptClaims
}

/** The most approvals one PERMIT may name. */
const MAX_APPR = 16

/** Checks `hold` and `appr` (spec section 11): a hold object on a SILENCE, a hold id and approvals on a PERMIT. */
function checkApprovalClaims(record: Record<string, unknown>): void {
  const hasHold = Object.hasOwn(record, 'hold')
  const hasAppr = Object.hasOwn(record, 'appr')
  if (record['decision'] === 'PERMIT') {
    if (hasHold !== hasAppr)
      throw invalid('/appr', 'a PERMIT carries both hold and appr, or neither')
    if (!hasHold) return
    text(record['hold'], '/hold')
    const appr = record['appr']
    if (!Array.isArray(appr) || appr.length === 0 || appr.length > MAX_APPR)
      throw invalid('/appr', `expected 1 to ${MAX_APPR} approvals`)
    appr.forEach((entry, index) => {
      const member = exactMembers(entry, `/appr/${index}`, ['by', 'digest'])
      text(member['by'], `/appr/${index}/by`)
      digest(member['digest'], `/appr/${index}/digest`)
    })
    return
  }
  if (hasAppr) throw invalid('/appr', 'only a PERMIT names approvals')
  if (!hasHold) return
  const hold = exactMembers(
    record['hold'],
    '/hold',
    ['id', 'approvers', 'quorum', 'exp'],
    new Set(['id']),
  )
  if (Object.hasOwn(hold, 'id')) text(hold['id'], '/hold/id')
  text(hold['approvers'], '/hold/approvers')
  if (count(hold['quorum'], '/hold/quorum') < 1) throw invalid('/hold/quorum', 'at least 1')
  seconds(hold['exp'], '/hold/exp')
}

/**
 * Checks a `refs` claim or request member: an object of 1 to {@link MAX_REFS} names
 * (`[A-Za-z0-9_.:-]`, 1 to 64 characters) each mapped to a digest.
 *
 * @throws WritError `CLAIMS_INVALID` with `details.path`.
 */
export function checkRefs(value: unknown, path = '/refs'): Readonly<Record<string, Digest>> {
  if (!isPlainObject(value)) throw invalid(path, 'expected an object')
  const names = Object.keys(value)
  if (names.length === 0 || names.length > MAX_REFS)
    throw invalid(path, `expected 1 to ${MAX_REFS} names`)
  for (const name of names) {
    if (!REF_NAME.test(name)) throw invalid(`${path}/${name}`, 'names are [A-Za-z0-9_.:-]{1,64}')
    digest((value as Record<string, unknown>)[name], `${path}/${name}`)
  }
  return value as Readonly<Record<string, Digest>>
}

/**
 * Checks checkpoint claims against spec section 5: exactly `v` (1), `iss`, `chain`,
 * `size` (non-negative integer), `head` (a digest; `null` exactly when size is 0), `iat`.
 *
 * @throws WritError `CLAIMS_INVALID` with `details.path`.
 */
export function checkCheckpointClaims(claims: Readonly<JsonObject>): CheckpointClaims {
  const record = exactMembers(claims, '', CHECKPOINT_MEMBERS)
  if (record['v'] !== 1) throw invalid('/v', 'v must be 1')
  text(record['iss'], '/iss')
  text(record['chain'], '/chain')
  const size = count(record['size'], '/size')
  if (size === 0) {
    if (record['head'] !== null) throw invalid('/head', 'head must be null for an empty chain')
  } else {
    digest(record['head'], '/head')
  }
  seconds(record['iat'], '/iat')
  return claims as unknown as CheckpointClaims
}
