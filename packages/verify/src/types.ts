/** The three outcomes of a Writ decision. Only `PERMIT` ever authorizes execution. */
export type DecisionKind = 'PERMIT' | 'DENY' | 'SILENCE'

/** A digest as written on the wire: `sha256:` and 64 lowercase hex digits. */
export type Digest = `sha256:${string}`

/** A JSON value as Writ reads it (I-JSON: finite numbers, no lone surrogates). */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue }
/** A JSON object: the shape of every action's arguments. */
export type JsonObject = { [key: string]: JsonValue }

/** The protected header of a receipt, checkpoint or approval. Exactly these three members. */
export interface WritHeader {
  readonly alg: 'EdDSA'
  readonly typ: 'writ-receipt+jwt' | 'writ-checkpoint+jwt' | 'writ-approval+jwt'
  readonly kid: string
}

/** Position of a receipt in its authority's chain (spec section 5). */
export interface ChainLink {
  readonly id: string
  readonly seq: number
  readonly prev: Digest | null
}

/** The HTTP request a receipt is bound to, for HTTP actions. */
export interface HttpBinding {
  readonly method: string
  /** The full target URI, query included. */
  readonly uri: string
  readonly body: Digest
}

/** The claims of a receipt, exactly as in spec section 2. */
export interface ReceiptClaims {
  readonly v: 1
  readonly iss: string
  readonly jti: string
  readonly iat: number
  readonly exp: number
  readonly sub: string
  readonly aud?: string
  readonly req: string
  readonly decision: DecisionKind
  readonly reason: string
  readonly rule: string | null
  readonly policy: { readonly id: string; readonly digest: Digest }
  readonly act: { readonly name: string; readonly args: Digest }
  readonly http?: HttpBinding
  /**
   * Digests of further things the action depended on, named by the caller that asked
   * (for example `mcp.tool`: the MCP tool definition that was called). Present only when
   * the request named some (spec section 2).
   */
  readonly refs?: Readonly<Record<string, Digest>>
  /**
   * Approvals (spec section 11). On a hold (SILENCE `APPROVAL_REQUIRED`): who must approve,
   * how many, until when, and (on a later answer about the same hold) its `id`. On a PERMIT
   * that a hold's approvals unlocked: the hold id.
   */
  readonly hold?: HoldClaim | string
  /** On a PERMIT unlocked by approvals: each approver and the digest of the approval as received. */
  readonly appr?: readonly ApprovalReference[]
  readonly chain: ChainLink
}

/** The `hold` claim of a hold receipt (spec section 11). */
export interface HoldClaim {
  /** The hold id, on receipts that answer about a hold opened earlier (the opening receipt's `jti` is the id). */
  readonly id?: string
  /** The approver group. */
  readonly approvers: string
  readonly quorum: number
  /** When the hold closes, seconds since the epoch. */
  readonly exp: number
}

/** One entry of a PERMIT's `appr` claim. */
export interface ApprovalReference {
  /** The approver's id. */
  readonly by: string
  /** `sha256:` of the approval as received. */
  readonly digest: Digest
}

/** The claims of a checkpoint (spec section 5). */
export interface CheckpointClaims {
  readonly v: 1
  readonly iss: string
  readonly chain: string
  readonly size: number
  /** Digest of the last receipt's token; `null` only for an empty chain (size 0). */
  readonly head: Digest | null
  readonly iat: number
}

/** Status of a published key. Retired keys still verify old receipts; revoked keys verify nothing. */
export type KeyStatus = 'active' | 'retired' | 'revoked'

/** A public Ed25519 key as published in the JWK Set (spec section 6). */
export interface PublicJwk {
  readonly kty: 'OKP'
  readonly crv: 'Ed25519'
  readonly x: string
  readonly kid: string
  readonly use?: 'sig'
  readonly alg?: 'EdDSA'
  readonly status?: KeyStatus
  /** First second (inclusive) at which receipts signed by this key are valid. */
  readonly nbf?: number
  /** Last second (inclusive) at which receipts signed by this key are valid. */
  readonly exp?: number
}

/** A JWK Set, as served at `/.well-known/writ/keys.json`. */
export interface JwkSet {
  readonly keys: readonly PublicJwk[]
}

/**
 * Remembers which receipt ids have been used, so that a PERMIT executes once.
 * `claim` returns `true` the first time it sees `jti` and `false` after that.
 * `expiresAt` (seconds) is when the receipt stops being valid, so the entry may be
 * forgotten after it. Implementations must be atomic across the processes they serve.
 */
export interface ReplayCache {
  claim(jti: string, expiresAt: number): boolean | Promise<boolean>
}
