/**
 * Encodes and signs receipts and checkpoints as compact JWS, byte for byte as the
 * receipt spec says: a fixed protected header per key and claims in a fixed order.
 */
import type {
  ChainLink,
  CheckpointClaims,
  HttpBinding,
  JsonObject,
  ReceiptClaims,
} from '@writ/verify'
import { base64UrlEncode } from '@writ/verify/internal'
import { type AnySigner, isAsyncSigner, signerUnavailable } from './async-signer.js'
import { freezeMembers, receiptJson } from './receipt-json.js'

/** `typ` of a receipt's protected header. */
export const RECEIPT_TYPE = 'writ-receipt+jwt'
/** `typ` of a checkpoint's protected header. */
export const CHECKPOINT_TYPE = 'writ-checkpoint+jwt'

const encoder = new TextEncoder()
/** Claims objects {@link receiptClaims} built (frozen): their member order is the template's. */
const builtClaims = new WeakSet<object>()
const receiptHeaders = new WeakMap<AnySigner, string>()
const checkpointHeaders = new WeakMap<AnySigner, string>()

function encodedHeader(signer: AnySigner, typ: string, cache: WeakMap<AnySigner, string>): string {
  let header = cache.get(signer)
  if (header === undefined) {
    header = base64UrlEncode(
      encoder.encode(`{"alg":"EdDSA","typ":"${typ}","kid":${JSON.stringify(signer.kid)}}`),
    )
    cache.set(signer, header)
  }
  return header
}

type NodeBuffer = {
  from(
    text: string,
    encoding: 'utf8' | 'latin1',
  ): Uint8Array & {
    toString(encoding: 'base64url'): string
  }
  from(
    bytes: ArrayBufferLike,
    offset: number,
    length: number,
  ): { toString(encoding: 'base64url'): string }
}

// Node's Buffer encodes base64url natively (same unpadded RFC 4648 alphabet as
// `base64UrlEncode`), several times faster than the portable loop; elsewhere the loop.
const nodeBuffer = (globalThis as { Buffer?: NodeBuffer }).Buffer

function sign(signer: AnySigner, header: string, claims: unknown): string {
  // An asynchronous signer cannot answer here; the gate signs it before the append.
  if (isAsyncSigner(signer)) throw signerUnavailable(signer.kid, 'asynchronous')
  const json = claimsJson(claims)
  if (nodeBuffer !== undefined) {
    const payload = nodeBuffer.from(json, 'utf8').toString('base64url')
    const signingInput = `${header}.${payload}`
    // base64url text is ASCII: its latin1 bytes are the ASCII bytes the spec signs.
    const signature = signer.sign(nodeBuffer.from(signingInput, 'latin1'))
    const encoded = nodeBuffer
      .from(signature.buffer, signature.byteOffset, signature.byteLength)
      .toString('base64url')
    return `${signingInput}.${encoded}`
  }
  const payload = base64UrlEncode(encoder.encode(json))
  const signingInput = `${header}.${payload}`
  // base64url text is ASCII, so its UTF-8 bytes are the ASCII bytes the spec signs.
  const signature = signer.sign(encoder.encode(signingInput))
  return `${signingInput}.${base64UrlEncode(signature)}`
}

/**
 * What an asynchronous signer signs: the JWS signing input (`header.payload`) as text and
 * as its ASCII bytes. {@link joinSignature} completes the token.
 */
export interface SigningInput {
  readonly text: string
  readonly bytes: Uint8Array
}

function signingInputOf(header: string, claims: unknown): SigningInput {
  const json = claimsJson(claims)
  if (nodeBuffer !== undefined) {
    const text = `${header}.${nodeBuffer.from(json, 'utf8').toString('base64url')}`
    return { text, bytes: nodeBuffer.from(text, 'latin1') }
  }
  const text = `${header}.${base64UrlEncode(encoder.encode(json))}`
  return { text, bytes: encoder.encode(text) }
}

/** The compact JWS of `input` and its 64-byte `signature`. */
export function joinSignature(input: SigningInput, signature: Uint8Array): string {
  if (nodeBuffer !== undefined) {
    const encoded = nodeBuffer
      .from(signature.buffer, signature.byteOffset, signature.byteLength)
      .toString('base64url')
    return `${input.text}.${encoded}`
  }
  return `${input.text}.${base64UrlEncode(signature)}`
}

/** The signing input of a receipt, for a signer that signs asynchronously. */
export function receiptSigningInput(claims: ReceiptClaims, signer: AnySigner): SigningInput {
  return signingInputOf(encodedHeader(signer, RECEIPT_TYPE, receiptHeaders), claims)
}

/** The signing input of a checkpoint, for a signer that signs asynchronously. */
export function checkpointSigningInput(claims: CheckpointClaims, signer: AnySigner): SigningInput {
  return signingInputOf(
    encodedHeader(signer, CHECKPOINT_TYPE, checkpointHeaders),
    checkpointClaims(claims),
  )
}

/** Everything a receipt says, before it takes its place in a chain. */
export type ReceiptContent = Omit<ReceiptClaims, 'v' | 'aud' | 'http' | 'refs' | 'chain'> & {
  readonly aud?: string | undefined
  readonly http?: HttpBinding | undefined
  readonly refs?: ReceiptClaims['refs'] | undefined
}

/** The JSON text of claims: from the receipt template when {@link receiptClaims} built them. */
function claimsJson(claims: unknown): string {
  return builtClaims.has(claims as object)
    ? receiptJson(claims as ReceiptClaims)
    : JSON.stringify(claims)
}

/**
 * Builds the claims of a receipt in the spec's member order (v, iss, jti, iat, exp,
 * sub, aud?, req, decision, reason, rule, policy, act, http?, refs?, chain), frozen.
 */
export function receiptClaims(content: ReceiptContent, chain: ChainLink): ReceiptClaims {
  return outcomeClaims(content, content, chain)
}

/**
 * {@link receiptClaims} of a draft and the outcome decided for it, read from each without
 * first merging them into one object. @internal
 */
export function outcomeClaims(
  content: Omit<ReceiptContent, 'decision' | 'reason' | 'rule'>,
  outcome: Pick<ReceiptContent, 'decision' | 'reason' | 'rule'>,
  chain: ChainLink,
): ReceiptClaims {
  // Insertion order is serialization order: this literal is the wire order.
  const claims: JsonObject = {
    v: 1,
    iss: content.iss,
    jti: content.jti,
    iat: content.iat,
    exp: content.exp,
    sub: content.sub,
  }
  if (content.aud !== undefined) claims['aud'] = content.aud
  claims['req'] = content.req
  claims['decision'] = outcome.decision
  claims['reason'] = outcome.reason
  claims['rule'] = outcome.rule
  claims['policy'] = { id: content.policy.id, digest: content.policy.digest }
  claims['act'] = { name: content.act.name, args: content.act.args }
  if (content.http !== undefined) {
    claims['http'] = { method: content.http.method, uri: content.http.uri, body: content.http.body }
  }
  if (content.refs !== undefined) claims['refs'] = { ...content.refs }
  if (content.hold !== undefined) {
    claims['hold'] = typeof content.hold === 'string' ? content.hold : { ...content.hold }
  }
  if (content.appr !== undefined) {
    claims['appr'] = content.appr.map((entry) => ({ by: entry.by, digest: entry.digest }))
  }
  claims['chain'] = { id: chain.id, seq: chain.seq, prev: chain.prev }
  // Frozen, nested objects included: a receipt never changes once signed. Every member
  // is a fresh copy made above, so freezing each one (no general walk) covers them all.
  freezeMembers(claims)
  builtClaims.add(claims)
  return claims as unknown as ReceiptClaims
}

/**
 * Signs receipt claims into a compact JWS with header
 * `{"alg":"EdDSA","typ":"writ-receipt+jwt","kid":…}` (encoded once per signer).
 * The claims are serialized once, in the order they were built ({@link receiptClaims}).
 */
export function encodeReceipt(claims: ReceiptClaims, signer: AnySigner): string {
  return sign(signer, encodedHeader(signer, RECEIPT_TYPE, receiptHeaders), claims)
}

/** Builds checkpoint claims in the spec's member order (v, iss, chain, size, head, iat). */
export function checkpointClaims(content: Omit<CheckpointClaims, 'v'>): CheckpointClaims {
  return {
    v: 1,
    iss: content.iss,
    chain: content.chain,
    size: content.size,
    head: content.head,
    iat: content.iat,
  }
}

/** Signs checkpoint claims into a compact JWS with `typ` `writ-checkpoint+jwt`. */
export function encodeCheckpoint(claims: CheckpointClaims, signer: AnySigner): string {
  return sign(
    signer,
    encodedHeader(signer, CHECKPOINT_TYPE, checkpointHeaders),
    checkpointClaims(claims),
  )
}
