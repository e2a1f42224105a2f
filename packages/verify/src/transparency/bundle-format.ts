/**
 * The audit bundle (spec section 12): one JSON file with everything an offline check of a
 * range of a chain needs. Its trust file says whom the auditor trusts.
 */
import { WritError } from '../errors.js'
import type { JsonObject, JwkSet } from '../types.js'

/** The `format` member of every audit bundle Writ writes. */
export const AUDIT_BUNDLE_FORMAT = 'writ-audit-bundle/1'

/** An approval carried in a bundle: the text as received, named by its digest. */
export interface BundleApproval {
  /** `sha256:` of `text`: what a PERMIT's `appr` names. */
  readonly digest: string
  readonly text: string
}

/** An audit bundle, as written by `writ bundle export`. */
export interface AuditBundle {
  readonly format: typeof AUDIT_BUNDLE_FORMAT
  readonly chain: string
  /** Seq of the first receipt carried. */
  readonly from: number
  /** The compact tokens of the receipts `from` … `from + receipts.length - 1`, in order. */
  readonly receipts: readonly string[]
  /** Approvals named by the PERMITs carried (spec section 11). */
  readonly approvals?: readonly BundleApproval[]
  /** The policy documents (their JSON data model) by `sha256:` digest. */
  readonly policies: Readonly<Record<string, JsonObject>>
  /** The authority's key set as published. It proves nothing alone: the trust file decides. */
  readonly keys: JwkSet
  /** The newest checkpoint note, with its witnesses' cosignatures. */
  readonly checkpoint?: string
  /** Inclusion proof (base64 hashes) of each receipt carried, in the checkpoint's tree. */
  readonly inclusion?: readonly (readonly string[])[]
  /** Consistency proofs from earlier sizes to the checkpoint's, for checkpoints kept outside. */
  readonly consistency?: readonly { readonly from: number; readonly proof: readonly string[] }[]
}

/** What an auditor trusts, kept apart from any bundle. */
export interface BundleTrust {
  /** The authority's receipt keys (a JWK Set). */
  readonly keys: JwkSet
  /** The log's checkpoint keys (C2SP vkeys); none: receipts can reach `signed` only. */
  readonly logs?: readonly string[]
  /** Witness keys (C2SP vkeys, cosignature/v1). */
  readonly witnesses?: readonly string[]
  /** Witnesses needed for `witnessed` (default: all listed). */
  readonly quorum?: number
  /** Checkpoint notes the auditor kept earlier: the bundle must extend each of them. */
  readonly checkpoints?: readonly string[]
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

const isStringList = (value: unknown) =>
  Array.isArray(value) && value.every((item) => typeof item === 'string')

/**
 * Reads a bundle (a parsed value or JSON text) and checks its shape.
 *
 * @throws WritError `BUNDLE_INVALID`.
 */
export function parseAuditBundle(input: unknown): AuditBundle {
  const bad = (message: string) => new WritError('BUNDLE_INVALID', message)
  let value = input
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input)
    } catch (error) {
      throw new WritError('BUNDLE_INVALID', 'the bundle is not JSON', { cause: error })
    }
  }
  if (!isObject(value) || value['format'] !== AUDIT_BUNDLE_FORMAT) {
    throw bad(`not an audit bundle (format ${AUDIT_BUNDLE_FORMAT})`)
  }
  const from = value['from']
  if (typeof value['chain'] !== 'string' || !Number.isSafeInteger(from) || (from as number) < 0) {
    throw bad('a bundle names its chain and the seq of its first receipt')
  }
  if (!isStringList(value['receipts'])) throw bad('receipts are compact tokens')
  if (!isObject(value['policies']) || !isObject(value['keys'])) {
    throw bad('a bundle carries its policies and key set')
  }
  if (value['checkpoint'] !== undefined && typeof value['checkpoint'] !== 'string') {
    throw bad('the checkpoint is a signed note')
  }
  const inclusion = value['inclusion']
  if (inclusion !== undefined && !(Array.isArray(inclusion) && inclusion.every(isStringList))) {
    throw bad('inclusion proofs are lists of base64 hashes')
  }
  return value as unknown as AuditBundle
}

/**
 * Reads a trust file (a parsed value or JSON text).
 *
 * @throws WritError `TRUST_INVALID`.
 */
export function parseBundleTrust(input: unknown): BundleTrust {
  let value = input
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input)
    } catch (error) {
      throw new WritError('TRUST_INVALID', 'the trust file is not JSON', { cause: error })
    }
  }
  if (!isObject(value) || !isObject(value['keys'])) {
    throw new WritError('TRUST_INVALID', 'a trust file holds at least the authority keys')
  }
  for (const name of ['logs', 'witnesses', 'checkpoints']) {
    if (value[name] !== undefined && !isStringList(value[name])) {
      throw new WritError('TRUST_INVALID', `${name} is a list of strings`)
    }
  }
  return value as unknown as BundleTrust
}
