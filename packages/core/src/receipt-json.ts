/**
 * The JSON text of receipt claims, written from a template: the member names and the
 * punctuation between them are constant text, and the values that repeat from one
 * decision to the next (issuer, agent, policy, action, outcome) are escaped once and
 * reused. The text is byte for byte what `JSON.stringify` writes for the same claims in
 * the spec's member order (the receipt-json test checks it over many random claims).
 */
import type { ReceiptClaims } from '@writ/verify'

// Characters JSON.stringify writes as they are: printable ASCII except `"` and `\`.
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/

/** `value` as a JSON string, exactly as JSON.stringify writes it. */
function quote(value: string): string {
  return PLAIN.test(value) ? `"${value}"` : JSON.stringify(value)
}

/** A JSON value as JSON.stringify writes it (`undefined` for a member it would omit). */
function jsonOf(value: unknown): string | undefined {
  if (typeof value === 'string') return quote(value)
  return JSON.stringify(value)
}

/** Remembers the escaped form of the last value seen in one slot of the template. */
interface Memo {
  value: unknown
  json: string | undefined
}

const memo = (): Memo => ({ value: undefined, json: undefined })

function remembered(slot: Memo, value: unknown): string | undefined {
  if (typeof value !== 'string') return jsonOf(value)
  if (slot.value !== value || slot.json === undefined) {
    slot.value = value
    slot.json = jsonOf(value)
  }
  return slot.json
}

const slots = {
  iss: memo(),
  sub: memo(),
  aud: memo(),
  decision: memo(),
  reason: memo(),
  rule: memo(),
  policyId: memo(),
  policyDigest: memo(),
  actName: memo(),
  chainId: memo(),
}

/** `,"name":value`, or nothing for a member JSON.stringify would omit. */
function member(name: string, json: string | undefined): string {
  return json === undefined ? '' : `,"${name}":${json}`
}

/** An object member whose own members are all remembered or plain values. */
function object(name: string, value: unknown): string {
  return value === undefined ? '' : `,"${name}":${JSON.stringify(value)}`
}

function head(claims: ReceiptClaims): string {
  return (
    `{"v":${jsonOf(claims.v)}` +
    member('iss', remembered(slots.iss, claims.iss)) +
    member('jti', jsonOf(claims.jti)) +
    member('iat', jsonOf(claims.iat)) +
    member('exp', jsonOf(claims.exp)) +
    member('sub', remembered(slots.sub, claims.sub)) +
    member('aud', remembered(slots.aud, claims.aud)) +
    member('req', jsonOf(claims.req)) +
    member('decision', remembered(slots.decision, claims.decision)) +
    member('reason', remembered(slots.reason, claims.reason)) +
    member('rule', remembered(slots.rule, claims.rule))
  )
}

/** `,"name":{…}` with the members whose JSON is not `undefined`, in the order given. */
function nested(
  name: string,
  members: ReadonlyArray<readonly [string, string | undefined]>,
): string {
  let inner = ''
  for (const [key, json] of members) {
    if (json !== undefined) inner += `${inner === '' ? '' : ','}"${key}":${json}`
  }
  return `,"${name}":{${inner}}`
}

/** `,"name":{"a":…,"b":…}` for two members, without allocating when both are present. */
function two(
  name: string,
  a: string,
  aJson: string | undefined,
  b: string,
  bJson: string | undefined,
): string {
  return aJson !== undefined && bJson !== undefined
    ? `,"${name}":{"${a}":${aJson},"${b}":${bJson}}`
    : nested(name, [
        [a, aJson],
        [b, bJson],
      ])
}

function chainJson(chain: ReceiptClaims['chain']): string {
  const id = remembered(slots.chainId, chain.id)
  const seq = jsonOf(chain.seq)
  const prev = jsonOf(chain.prev)
  return id !== undefined && seq !== undefined && prev !== undefined
    ? `,"chain":{"id":${id},"seq":${seq},"prev":${prev}}`
    : nested('chain', [
        ['id', id],
        ['seq', seq],
        ['prev', prev],
      ])
}

/**
 * The JSON text of claims built by `receiptClaims`: members in the spec's order (v, iss,
 * jti, iat, exp, sub, aud?, req, decision, reason, rule, policy, act, http?, refs?, hold?,
 * appr?, chain).
 */
export function receiptJson(claims: ReceiptClaims): string {
  const { policy, act } = claims
  return `${
    head(claims) +
    two(
      'policy',
      'id',
      remembered(slots.policyId, policy.id),
      'digest',
      remembered(slots.policyDigest, policy.digest),
    ) +
    two('act', 'name', remembered(slots.actName, act.name), 'args', jsonOf(act.args)) +
    object('http', claims.http) +
    object('refs', claims.refs) +
    object('hold', claims.hold) +
    object('appr', claims.appr) +
    chainJson(claims.chain)
  }}`
}

/**
 * Freezes claims built by `receiptClaims` and each object in them. Every nested object is
 * a fresh copy made there (no shared or deeper objects), so no general walk is needed.
 */
export function freezeMembers(claims: Record<string, unknown>): void {
  Object.freeze(claims['policy'])
  Object.freeze(claims['act'])
  Object.freeze(claims['chain'])
  if (claims['http'] !== undefined) Object.freeze(claims['http'])
  if (claims['refs'] !== undefined) Object.freeze(claims['refs'])
  if (typeof claims['hold'] === 'object') Object.freeze(claims['hold'])
  const appr = claims['appr']
  if (Array.isArray(appr)) {
    for (const entry of appr) Object.freeze(entry)
    Object.freeze(appr)
  }
  Object.freeze(claims)
}
