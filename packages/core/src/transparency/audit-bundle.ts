/**
 * Writing an audit bundle (spec section 12): one file with a range of a chain's receipts,
 * the approvals and policy documents they name, the key set, the newest checkpoint note
 * with its cosignatures, and the proofs that tie each receipt to it. `verifyBundle` of
 * `@writ/verify` checks it offline.
 */
import {
  AUDIT_BUNDLE_FORMAT,
  type AuditBundle,
  type BundleApproval,
  base64Encode,
  type Digest,
  type JsonObject,
  type JwkSet,
  parseCheckpointText,
  parseNote,
  WritError,
} from '@writ/verify'
import type { Store } from '../types.js'
import { chainTree } from './chain-tree.js'

/** What {@link exportAuditBundle} needs. */
export interface AuditBundleOptions {
  readonly store: Store
  readonly chainId: string
  /** The authority's published key set. */
  readonly keys: JwkSet
  /** Policy documents the receipts may name (a `CompiledPolicy` has both members). */
  readonly policies: readonly { readonly digest: Digest; readonly document: object }[]
  /** First seq (default 0). */
  readonly from?: number
  /** One past the last seq (default: the size of the newest checkpoint note, else the chain's length). */
  readonly to?: number
  /** Sizes of checkpoints an auditor kept, to prove the bundle's checkpoint extends them. */
  readonly consistencyFrom?: readonly number[]
}

/**
 * Builds an audit bundle of `[from, to)` of a chain.
 *
 * @throws WritError `PROOF_INVALID` when the range is not inside the checkpoint (or the
 *   chain), `BUNDLE_INVALID` when a receipt names a policy that was not given.
 */
export async function exportAuditBundle(options: AuditBundleOptions): Promise<AuditBundle> {
  const { store, chainId } = options
  const stored = await store.latestCheckpointNote(chainId)
  const size =
    stored === undefined
      ? (await store.head(chainId)).seq
      : parseCheckpointText(parseNote(stored.note).text).size
  const from = options.from ?? 0
  const to = options.to ?? size
  if (
    !Number.isSafeInteger(from) ||
    !Number.isSafeInteger(to) ||
    from < 0 ||
    from > to ||
    to > size
  ) {
    throw new WritError(
      'PROOF_INVALID',
      `The range must lie inside the checkpoint (0 to ${size})`,
      {
        details: { from, to, size },
      },
    )
  }
  const receipts: string[] = []
  const policies: Record<string, JsonObject> = Object.create(null)
  const approvals: BundleApproval[] = []
  for await (const receipt of store.receipts(chainId, { fromSeq: from, limit: to - from })) {
    receipts.push(receipt.token)
    policies[receipt.claims.policy.digest] = policyDocument(options, receipt.claims.policy.digest)
    for (const named of receipt.claims.appr ?? [])
      approvals.push(await approvalOf(store, named.digest))
  }
  const tree = chainTree(store, chainId)
  const whole = from === 0 && to === size
  return {
    format: AUDIT_BUNDLE_FORMAT,
    chain: chainId,
    from,
    receipts,
    ...(approvals.length === 0 ? {} : { approvals }),
    policies: { ...policies },
    keys: options.keys,
    ...(stored === undefined ? {} : { checkpoint: stored.note }),
    ...(stored === undefined || whole
      ? {}
      : { inclusion: await inclusionProofs(tree, from, to, size) }),
    ...(stored === undefined || options.consistencyFrom === undefined
      ? {}
      : { consistency: await consistencyProofs(tree, options.consistencyFrom, size) }),
  }
}

function policyDocument(options: AuditBundleOptions, digest: string): JsonObject {
  const policy = options.policies.find((candidate) => candidate.digest === digest)
  if (policy === undefined) {
    throw new WritError(
      'BUNDLE_INVALID',
      `A receipt names the policy ${digest}; give its document`,
      {
        details: { digest },
      },
    )
  }
  return policy.document as JsonObject
}

/**
 * An approval a PERMIT names, from the store's holds (spec section 11). A store without
 * holds cannot have issued such a PERMIT.
 */
async function approvalOf(store: Store, digest: Digest): Promise<BundleApproval> {
  const approval = await store.holds?.approval(digest)
  if (approval === undefined) {
    throw new WritError('BUNDLE_INVALID', `The store lacks the approval ${digest}`, {
      details: { digest },
    })
  }
  return { digest, text: approval.text }
}

async function inclusionProofs(
  tree: ReturnType<typeof chainTree>,
  from: number,
  to: number,
  size: number,
): Promise<string[][]> {
  const proofs: string[][] = []
  for (let seq = from; seq < to; seq++) {
    proofs.push((await tree.inclusionProof(seq, size)).map(base64Encode))
  }
  return proofs
}

async function consistencyProofs(
  tree: ReturnType<typeof chainTree>,
  sizes: readonly number[],
  size: number,
): Promise<{ from: number; proof: string[] }[]> {
  const proofs: { from: number; proof: string[] }[] = []
  for (const from of sizes) {
    if (from > size) continue
    proofs.push({ from, proof: (await tree.consistencyProof(from, size)).map(base64Encode) })
  }
  return proofs
}
