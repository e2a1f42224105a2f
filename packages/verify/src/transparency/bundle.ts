/**
 * Verifying an audit bundle offline (spec section 12), with nothing but the bundle and a
 * trust file: in Node or in a browser. The report names the assurance reached and the first
 * problem found, by code:
 *
 * - `signed`: every receipt verifies under the trusted keys, in one unbroken stretch of its
 *   chain, with the policies and approvals it names;
 * - `checkpointed`: a checkpoint note signed by a trusted log key holds every receipt (its
 *   root is recomputed, or each receipt has an inclusion proof), and it extends every
 *   checkpoint the auditor kept;
 * - `witnessed`: that checkpoint carries the cosignatures of the trusted witness quorum.
 */
import { canonicalize } from '../canonicalize.js'
import { digestOf, tokenDigest } from '../digest.js'
import { bytesEqual } from '../encoding.js'
import { WritError, type WritErrorCode } from '../errors.js'
import { createKeySet, type KeySet } from '../key-set.js'
import { verifyReceipt } from '../receipt.js'
import type { Digest, JsonValue } from '../types.js'
import { base64Decode } from './base64.js'
import {
  type AuditBundle,
  type BundleTrust,
  parseAuditBundle,
  parseBundleTrust,
} from './bundle-format.js'
import {
  type CheckpointTrust,
  createCheckpointTrust,
  type VerifiedCheckpointNote,
  verifyCheckpointNote,
} from './checkpoint-note.js'
import {
  leafHash,
  leftSiblingsOf,
  subtreesAfterAppend,
  treeRootFrom,
  verifyConsistency,
  verifyInclusion,
} from './merkle.js'

/** How far a bundle was verified. */
export type BundleAssurance = 'none' | 'signed' | 'checkpointed' | 'witnessed'

/** The outcome of {@link verifyBundle}. */
export interface BundleReport {
  readonly assurance: BundleAssurance
  /** The first problem, when there is one; the assurance is what held before it. */
  readonly problem?: {
    readonly code: WritErrorCode
    readonly message: string
    readonly seq?: number
  }
  readonly chain?: string
  /** Receipts carried (and verified, when the assurance is at least `signed`). */
  readonly receipts: number
  /** The checkpoint reached, when one was verified. */
  readonly checkpoint?: {
    readonly origin: string
    readonly size: number
    readonly witnesses: readonly string[]
  }
}

/** A problem found while verifying, with the receipt position when there is one. */
class Problem extends Error {
  constructor(
    readonly code: WritErrorCode,
    message: string,
    readonly seq?: number,
  ) {
    super(message)
  }
}

function problemOf(error: unknown, seq?: number): Problem {
  if (error instanceof Problem) return error
  if (WritError.isInstance(error)) return new Problem(error.code, error.message, seq)
  return new Problem('BUNDLE_INVALID', String(error), seq)
}

/**
 * Verifies an audit bundle against a trust file. Never throws for a bad bundle or trust
 * file: the report says how far it got and why it stopped.
 *
 * @example
 * ```ts
 * const report = await verifyBundle(await file.text(), trustText)
 * if (report.assurance !== 'witnessed') console.error(report.problem?.code)
 * ```
 */
export async function verifyBundle(
  bundleInput: unknown,
  trustInput: unknown,
): Promise<BundleReport> {
  let assurance: BundleAssurance = 'none'
  let bundle: AuditBundle | undefined
  let checkpoint: VerifiedCheckpointNote | undefined
  const report = (problem?: Problem): BundleReport => ({
    assurance,
    ...(problem === undefined
      ? {}
      : {
          problem: {
            code: problem.code,
            message: problem.message,
            ...(problem.seq === undefined ? {} : { seq: problem.seq }),
          },
        }),
    ...(bundle === undefined ? {} : { chain: bundle.chain }),
    receipts: bundle?.receipts.length ?? 0,
    ...(checkpoint === undefined
      ? {}
      : {
          checkpoint: {
            origin: checkpoint.origin,
            size: checkpoint.size,
            witnesses: checkpoint.witnesses.map((witness) => witness.name),
          },
        }),
  })
  try {
    const trust = parseBundleTrust(trustInput)
    bundle = parseAuditBundle(bundleInput)
    await verifyReceipts(bundle, createKeySet(trust.keys))
    assurance = 'signed'
    if (trust.logs === undefined || trust.logs.length === 0) return report()
    const checkpointTrust = createCheckpointTrust({
      logs: trust.logs,
      ...(trust.witnesses === undefined ? {} : { witnesses: trust.witnesses }),
      ...(trust.quorum === undefined ? {} : { quorum: trust.quorum }),
    })
    checkpoint = await checkedCheckpoint(bundle, checkpointTrust)
    await verifyMembership(bundle, checkpoint)
    await verifyKeptCheckpoints(bundle, checkpoint, trust, checkpointTrust)
    assurance = 'checkpointed'
    if (checkpointTrust.quorum === 0) return report()
    if (checkpoint.witnesses.length < checkpointTrust.quorum) {
      throw new Problem(
        'WITNESS_QUORUM_NOT_MET',
        `${checkpoint.witnesses.length} of the ${checkpointTrust.quorum} witness cosignatures required`,
      )
    }
    assurance = 'witnessed'
    return report()
  } catch (error) {
    return report(problemOf(error))
  }
}

/** Every receipt: signature under the trusted keys, chain position, policy and approvals. */
async function verifyReceipts(bundle: AuditBundle, keys: KeySet): Promise<void> {
  let previous: Digest | null | undefined
  const policyDigests = new Map<string, true>()
  for (let index = 0; index < bundle.receipts.length; index++) {
    const seq = bundle.from + index
    const token = bundle.receipts[index] as string
    let claims: Awaited<ReturnType<typeof verifyReceipt>>['claims']
    try {
      claims = (await verifyReceipt(token, keys)).claims
    } catch (error) {
      throw problemOf(error, seq)
    }
    const chain = claims.chain
    if (chain.id !== bundle.chain)
      throw new Problem('CHAIN_ID_MISMATCH', 'a receipt of another chain', seq)
    if (chain.seq > seq) throw new Problem('CHAIN_GAP', `receipt ${seq} is missing`, seq)
    if (chain.seq < seq) throw new Problem('CHAIN_PREV_MISMATCH', 'a receipt out of place', seq)
    const expected = previous === undefined ? (seq === 0 ? null : chain.prev) : previous
    if (chain.prev !== expected) {
      throw new Problem('CHAIN_PREV_MISMATCH', 'the receipt does not follow the one before it', seq)
    }
    previous = tokenDigest(token)
    checkPolicy(bundle, claims.policy.digest, policyDigests, seq)
    checkApprovals(bundle, claims, seq)
  }
}

function checkPolicy(
  bundle: AuditBundle,
  digest: string,
  seen: Map<string, true>,
  seq: number,
): void {
  if (seen.has(digest)) return
  const document = Object.hasOwn(bundle.policies, digest) ? bundle.policies[digest] : undefined
  if (document === undefined || digestOf(canonicalize(document as JsonValue)) !== digest) {
    throw new Problem(
      'BUNDLE_INVALID',
      `the bundle lacks the policy ${digest} (or it was edited)`,
      seq,
    )
  }
  seen.set(digest, true)
}

function checkApprovals(
  bundle: AuditBundle,
  claims: { readonly appr?: readonly { readonly digest: string }[] },
  seq: number,
): void {
  for (const named of claims.appr ?? []) {
    const approval = bundle.approvals?.find((candidate) => candidate.digest === named.digest)
    if (approval === undefined || digestOf(approval.text) !== named.digest) {
      throw new Problem('BUNDLE_INVALID', `the bundle lacks the approval ${named.digest}`, seq)
    }
  }
}

async function checkedCheckpoint(
  bundle: AuditBundle,
  trust: CheckpointTrust,
): Promise<VerifiedCheckpointNote> {
  if (bundle.checkpoint === undefined) {
    throw new Problem('CHECKPOINT_INVALID', 'the bundle carries no checkpoint')
  }
  const verified = await verifyCheckpointNote(bundle.checkpoint, trust, { requireQuorum: false })
  if (!verified.origin.endsWith(`/writ/${bundle.chain}`)) {
    throw new Problem('CHECKPOINT_INVALID', 'the checkpoint is of another chain')
  }
  return verified
}

/** A reader over the complete subtrees of the carried receipts (when they start at seq 0). */
function leavesTree(bundle: AuditBundle) {
  const levels: Uint8Array[][] = []
  bundle.receipts.forEach((token, seq) => {
    const lefts = leftSiblingsOf(seq).map((subtree) => levels[subtree.level]![subtree.index]!)
    for (const { subtree, hash } of subtreesAfterAppend(seq, leafHash(token), lefts)) {
      levels[subtree.level] ??= []
      levels[subtree.level]![subtree.index] = hash
    }
  })
  return (size: number) =>
    treeRootFrom((subtrees) => subtrees.map((s) => levels[s.level]![s.index]!), size)
}

/** Every receipt is in the checkpoint's tree: recomputed from seq 0, or by inclusion proofs. */
async function verifyMembership(
  bundle: AuditBundle,
  checkpoint: VerifiedCheckpointNote,
): Promise<void> {
  const end = bundle.from + bundle.receipts.length
  if (end > checkpoint.size) {
    throw new Problem(
      'PROOF_INVALID',
      'receipts beyond the checkpoint are not covered by it',
      checkpoint.size,
    )
  }
  if (bundle.from === 0 && end === checkpoint.size) {
    if (!bytesEqual(await leavesTree(bundle)(end), checkpoint.root)) {
      throw new Problem('PROOF_INVALID', 'the receipts do not make the checkpoint’s tree')
    }
    return
  }
  for (let index = 0; index < bundle.receipts.length; index++) {
    const seq = bundle.from + index
    const proof = bundle.inclusion?.[index]
    if (proof === undefined) throw new Problem('PROOF_INVALID', 'no inclusion proof', seq)
    try {
      verifyInclusion({
        leaf: leafHash(bundle.receipts[index] as string),
        index: seq,
        size: checkpoint.size,
        proof: proof.map((hash) => base64Decode(hash, 'PROOF_INVALID')),
        root: checkpoint.root,
      })
    } catch (error) {
      throw problemOf(error, seq)
    }
  }
}

/** The bundle's checkpoint must extend each checkpoint the auditor kept. */
async function verifyKeptCheckpoints(
  bundle: AuditBundle,
  checkpoint: VerifiedCheckpointNote,
  trust: BundleTrust,
  checkpointTrust: CheckpointTrust,
): Promise<void> {
  for (const note of trust.checkpoints ?? []) {
    const kept = await verifyCheckpointNote(note, checkpointTrust, { requireQuorum: false })
    if (kept.origin !== checkpoint.origin) continue
    const carried = bundle.from === 0 && bundle.receipts.length >= kept.size
    const proof = bundle.consistency?.find((entry) => entry.from === kept.size)?.proof
    if (kept.size <= checkpoint.size && carried && proof === undefined) {
      if (!bytesEqual(await leavesTree(bundle)(kept.size), kept.root)) {
        throw new Problem(
          'CHECKPOINT_INCONSISTENT',
          'the history differs from a checkpoint kept earlier',
        )
      }
      continue
    }
    if (kept.size <= checkpoint.size && proof === undefined) {
      throw new Problem(
        'CHECKPOINT_INCONSISTENT',
        `no consistency proof from the kept size ${kept.size}`,
      )
    }
    verifyConsistency({
      fromSize: kept.size,
      fromRoot: kept.root,
      toSize: checkpoint.size,
      toRoot: checkpoint.root,
      proof: (proof ?? []).map((hash) => base64Decode(hash, 'PROOF_INVALID')),
    })
  }
}
