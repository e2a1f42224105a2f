import type {
  DecisionKind,
  Digest,
  HttpRequestInput,
  JsonObject,
  JwkSet,
  ReceiptClaims,
  ReplayCache,
} from '@writ/verify'
import type {
  HoldClosing,
  HoldInfo,
  HoldOpening,
  HoldStore,
  HoldView,
  StoredHoldState,
} from './approvals/hold-types.js'

/** An action an agent proposes, as handed to {@link Gate.authorize}. */
export interface ActionRequest {
  /**
   * Action name, ASCII `[A-Za-z0-9_.:-]`, 1 to 128 characters, e.g. `payments.transfer`.
   * For an HTTP action ({@link ActionRequest.httpRequest}) it may be left out: it is then
   * `http.<method>` in lower case.
   */
  readonly action?: string
  /**
   * The arguments: a JSON object, or the raw JSON text the model produced. Raw text is
   * preferred: duplicate keys can only be detected there. Absent for an HTTP action
   * ({@link ActionRequest.httpRequest}), whose arguments are derived from the request.
   */
  readonly args?: unknown
  /** The agent (principal). Embedded gates fall back to their configured default agent. */
  readonly agent?: string
  /** Correlation id for audit logs; a fresh id is generated when missing. */
  readonly request?: string
  /** Extra facts for conditions (tenant, approvals, environment). JSON only. */
  readonly context?: JsonObject
  /** The executor or service the permit is meant for (`aud`). */
  readonly audience?: string
  /**
   * The session the request belongs to, 1 to 256 characters: `per: session` limits count
   * within it. Set it from something the model cannot choose (your conversation or run
   * id); never from tool arguments. Not signed into the receipt. A remote gate sends it
   * only when given the agent's session key (`createRemoteGate({ session })`), as a signed
   * `Writ-Session` header; otherwise `writ serve` counts in the credential's own session.
   */
  readonly session?: string
  /**
   * Digests of further things the action depends on, signed into the receipt as its
   * `refs` claim (spec section 2), for example `{ 'mcp.tool': 'sha256:…' }`, the digest
   * of the tool definition being called. 1 to 16 names of `[A-Za-z0-9_.:-]`, 1 to 64
   * characters, each mapped to a `sha256:` digest; anything else is refused as input.
   * The policy does not see them.
   */
  readonly refs?: Readonly<Record<string, Digest>>
  /**
   * For HTTP actions: the whole request (method, URI, content type, allow-listed
   * headers, body bytes). The gate derives from it both what the policy sees as `args`
   * and the `http` binding it signs (`httpRequestView` in `@writ/verify`, spec section
   * 10), so the two always describe the same request. Give this instead of `args`;
   * `action` then defaults to `http.<method>` in lower case.
   */
  readonly httpRequest?: HttpRequestInput
}

/** Why an input was refused, when the decision is `DENY` with reason `INPUT_INVALID`. */
export interface InputProblem {
  readonly code: string
  readonly message: string
  readonly path?: string
}

interface DecisionBase {
  readonly reason: string
  readonly rule: string | null
  /** The signed receipt, compact JWS. */
  readonly receipt: string
  readonly claims: ReceiptClaims
}

/** A PERMIT: the only decision that lets an action run, with the exact arguments it binds. */
export interface PermitDecision extends DecisionBase {
  readonly decision: 'PERMIT'
  /** Deep-frozen copy of the arguments whose digest the receipt carries. */
  readonly args: Readonly<JsonObject>
}

/** A DENY or SILENCE: evidence that the gate ran and the action must not. */
export interface RefusalDecision extends DecisionBase {
  readonly decision: 'DENY' | 'SILENCE'
  /** Set when the input itself was refused (reason `INPUT_INVALID`). */
  readonly problem?: InputProblem
  /** Set when the action is held for approval (SILENCE `APPROVAL_REQUIRED`): which hold, who must approve. */
  readonly hold?: HoldInfo
}

/** The outcome of {@link Gate.authorize}: a discriminated union on `decision`. */
export type Decision = PermitDecision | RefusalDecision

/** What every gate offers, local or remote. Adapters depend only on this. */
export interface Gate {
  /** Decide, sign and record. Resolves with a receipt for every decision; rejects only when no receipt could be issued. */
  authorize(request: ActionRequest): Promise<Decision>
  /**
   * Run `execute` only on PERMIT, with a deep-frozen copy of exactly the arguments the
   * receipt binds. On DENY or SILENCE rejects with a `WritError` of code `ACTION_REFUSED`
   * whose `decision` property holds the refusal and its receipt.
   */
  guard<T>(
    request: ActionRequest,
    execute: (args: Readonly<JsonObject>, decision: PermitDecision) => T | Promise<T>,
    options?: GuardOptions,
  ): Promise<T>
  /** A function with `fn`'s shape whose every call is gated as action `name`. */
  wrap<A extends JsonObject, T>(
    name: string,
    fn: (args: Readonly<A>, decision: PermitDecision) => T | Promise<T>,
    options?: WrapOptions,
  ): (args: A) => Promise<T>
  /** The public keys that verify this gate's receipts. */
  keys(): Promise<JwkSet>
  /** Reads holds, for callers that wait for approval (absent when the gate cannot). */
  readonly holds?: HoldReader
}

/** Reads one hold: what a caller waiting for approval polls. */
export interface HoldReader {
  /** The hold with this id as its agent may see it, or `undefined`. */
  get(id: string): Promise<HoldView | undefined>
}

/**
 * What a gated call does when its action is held for approval: `return` (the default)
 * refuses at once with `ACTION_REFUSED` whose decision's `hold` names the hold, so the
 * agent can ask again after approval; `wait` polls the hold until it is approved (then
 * asks again and runs on the PERMIT), rejected, expired, or `timeoutMs` passes (then
 * refuses the same way as `return`).
 */
export type ApprovalMode =
  | { readonly mode: 'return' }
  | { readonly mode: 'wait'; readonly timeoutMs: number; readonly pollMs?: number }

/** Options of {@link Gate.guard}. */
export interface GuardOptions {
  /** What to do when the action is held for approval; `{ mode: 'return' }` by default. */
  readonly approval?: ApprovalMode
}

/** Options of {@link Gate.wrap}. */
export interface WrapOptions extends GuardOptions {
  readonly agent?: string
  readonly audience?: string
  readonly context?: JsonObject
}

/** A stored receipt. */
export interface StoredReceipt {
  readonly token: string
  readonly claims: ReceiptClaims
}

/** The next position in a chain, handed to the signer inside the store's transaction. */
export interface ChainPosition {
  readonly chainId: string
  readonly seq: number
  readonly prev: Digest | null
}

/** A stateful limit to check and reserve atomically with an append (policy `limits`). */
export interface LimitCheck {
  /** Limit id from the policy. */
  readonly id: string
  /** Counter key: the limit id plus its scope, e.g. `daily-spend|agent:bot-7`. */
  readonly key: string
  /** Rolling window length in seconds. */
  readonly windowSeconds: number
  /** The most the window may hold, this request included. */
  readonly max: number
  /** What this request adds (`1` for counts). */
  readonly amount: number
  /**
   * Reason code signed into the DENY receipt when this limit is exceeded
   * (the policy limit's own reason); `LIMIT_EXCEEDED` when absent.
   */
  readonly reason?: string
}

/** What the store tells the issuer inside the append transaction. */
export interface AppendContext {
  readonly position: ChainPosition
  /** The first limit this request would exceed, or `null` when all fit. */
  readonly exceeded: LimitCheck | null
  /**
   * When the append was asked to close a hold ({@link AppendOptions.closeHold}): the
   * hold's state now, under the transaction's lock (`null` when the store has no such hold).
   * Only `open` lets the issuer sign the PERMIT that uses it.
   */
  readonly hold?: StoredHoldState | null
}

/** What the issuer returns: the signed token, its claims, and whether to reserve the limits. */
export interface IssuedReceipt extends StoredReceipt {
  /** Reserve the checked limits with this receipt (true only for a PERMIT). */
  readonly reserve: boolean
}

/** A signed checkpoint as kept by a store. */
export interface StoredCheckpoint {
  readonly chainId: string
  readonly size: number
  readonly head: Digest | null
  readonly iat: number
  readonly token: string
}

/** A checkpoint as a C2SP signed note, with the cosignatures collected for it. */
export interface StoredCheckpointNote {
  readonly chainId: string
  readonly size: number
  /** The signed note: checkpoint text, the log's signature, then witness cosignatures. */
  readonly note: string
}

/** Options of {@link Store.append}. */
export interface AppendOptions {
  /** Limits to check (and, when the issuer asks, reserve) in the same transaction. */
  readonly limits?: readonly LimitCheck[]
  /** Decision time in seconds, used as the reservation time and window end. */
  readonly now: number
  /** Open this hold with the receipt appended (a SILENCE `APPROVAL_REQUIRED` whose `jti` is the hold id). */
  readonly openHold?: HoldOpening
  /**
   * Lock this hold, report its state to the issuer, and close it in the same transaction:
   * `used` only when the receipt written is a PERMIT naming it (`hold` claim); `expired`
   * when it is open. A store must refuse a PERMIT naming a hold that is not open.
   */
  readonly closeHold?: HoldClosing
  /**
   * Record the receipt in a session's history (stores with {@link Store.sessions}), in
   * the same transaction; with `expect`, first refuse (`STORE_CONFLICT`) a session whose
   * version moved.
   */
  readonly session?: import('./session-history.js').SessionAppend
}

/**
 * Where an authority keeps receipts, chain heads, checkpoints, limit counters and
 * the replay cache. `append` is the one operation that must be atomic: it reads the
 * chain head, checks limits, calls `issue` (which signs, synchronously), writes the
 * receipt and any reservations, and commits durably before it resolves.
 */
export interface Store {
  append(
    chainId: string,
    options: AppendOptions,
    issue: (context: AppendContext) => IssuedReceipt,
  ): Promise<StoredReceipt>
  /** The position the next receipt of `chainId` would take. */
  head(chainId: string): Promise<ChainPosition>
  /** Receipts of a chain in `seq` order, from `fromSeq` (default 0). */
  receipts(
    chainId: string,
    options?: { fromSeq?: number; limit?: number },
  ): AsyncIterable<StoredReceipt>
  /**
   * The receipts of a chain that pass a filter, newest first, answered from the store's
   * indexes; optional: without it a reader walks {@link Store.receipts}.
   */
  queryReceipts?(query: import('./receipt-query.js').ReceiptQuery): Promise<StoredReceipt[]>
  /** A receipt by its `jti`. */
  receipt(jti: string): Promise<StoredReceipt | undefined>
  /** Receipts carrying request id `req`. */
  receiptsByRequest(req: string): Promise<StoredReceipt[]>
  /** Ids of every chain in the store. */
  chains(): Promise<string[]>
  putCheckpoint(checkpoint: StoredCheckpoint): Promise<void>
  latestCheckpoint(chainId: string): Promise<StoredCheckpoint | undefined>
  /**
   * Hashes of complete subtrees of `chainId`'s Merkle tree (spec section 12), in the order
   * asked. A store writes them in the same transaction as the receipts they cover, so any
   * root or proof up to the chain's length takes O(log n) of them (see `chainTree`).
   */
  treeNodes(
    chainId: string,
    subtrees: readonly import('@writ/verify').Subtree[],
  ): Promise<Uint8Array[]>
  /**
   * Keeps a checkpoint note (spec section 12), replacing the note kept for the same chain
   * and size: the same checkpoint with more cosignatures.
   */
  putCheckpointNote(note: StoredCheckpointNote): Promise<void>
  /** The checkpoint note of `chainId` with the largest size. */
  latestCheckpointNote(chainId: string): Promise<StoredCheckpointNote | undefined>
  /** Single-use bookkeeping for executors that share this store. */
  readonly replay: ReplayCache
  /** Holds and approvals (spec section 11); a gate refuses to hold actions without them. */
  readonly holds?: HoldStore
  /** Shadow disagreements and retained arguments (policy operations); optional. */
  readonly records?: import('./operations/records.js').PolicyRecords
  /**
   * Session histories, for conditions that read `history`; a gate refuses such
   * conditions (DENY `SESSION_HISTORY_UNAVAILABLE`) on a store without them.
   */
  readonly sessions?: import('./session-history.js').SessionHistoryStore
  close(): Promise<void>
}

export type { DecisionKind }
