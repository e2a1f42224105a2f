/**
 * Checkpoints as C2SP signed notes (spec section 12): the origin `<issuer host>/writ/<chain
 * id>`, the size and the RFC 9162 root of the chain's tree, signed with the authority's
 * active key under the origin as key name. A new note must extend the last one kept: the
 * authority never signs two views of one chain.
 */

import {
  formatCheckpointText,
  formatNote,
  formatVerifierKey,
  NOTE_ED25519,
  type NoteSigner,
  type PublicJwk,
  parseCheckpointText,
  parseNote,
  signNoteText,
  WritError,
  writOrigin,
} from '@writ/verify'
import { base64UrlDecode, bytesEqual } from '@writ/verify/internal'
import { type AnySigner, isAsyncSigner, signBefore } from '../async-signer.js'
import type { Store, StoredCheckpointNote } from '../types.js'
import { chainTree } from './chain-tree.js'

/** What {@link signCheckpointNote} needs. */
export interface CheckpointNoteOptions {
  readonly store: Store
  readonly chainId: string
  /** The authority's `iss`; its host names the log. */
  readonly issuer: string
  /** The authority's active signing key. */
  readonly signer: AnySigner
  /**
   * How long a key outside the process (PKCS#11, a cloud KMS) may take to sign the note, in
   * milliseconds (default 2500). Past it, or when the signer fails, nothing is kept and the
   * call rejects with `SIGNER_UNAVAILABLE`.
   */
  readonly signerTimeoutMs?: number
}

/** Default of {@link CheckpointNoteOptions.signerTimeoutMs}. */
const NOTE_SIGNER_TIMEOUT_MS = 2500

/** A checkpoint note just signed (and kept in the store), with what names its log. */
export interface SignedCheckpointNote extends StoredCheckpointNote {
  readonly origin: string
  readonly root: Uint8Array
  /** The C2SP verifier key of the log for this chain: what witnesses and auditors trust. */
  readonly vkey: string
}

/** The public key bytes of a signer's JWK. */
function publicKeyOf(jwk: PublicJwk): Uint8Array {
  return base64UrlDecode(jwk.x)
}

/**
 * The C2SP verifier key (`<origin>+<key ID>+<key>`) that verifies the checkpoints `issuer`
 * signs for `chainId` with the key `publicJwk`.
 */
export function logVerifierKey(issuer: string, chainId: string, publicJwk: PublicJwk): string {
  return formatVerifierKey(writOrigin(issuer, chainId), NOTE_ED25519, publicKeyOf(publicJwk))
}

/**
 * Signs a checkpoint note of the chain's current size and root, keeps it in the store and
 * returns it. Cosignatures already collected for the very same checkpoint are kept with it.
 *
 * @throws WritError `CHECKPOINT_ROLLBACK` when the store holds fewer receipts than the last
 *   note, `CHECKPOINT_INCONSISTENT` when its tree no longer leads to the last note's root,
 *   `SIGNER_UNAVAILABLE` when a key outside the process fails or misses its deadline.
 */
export async function signCheckpointNote(
  options: CheckpointNoteOptions,
): Promise<SignedCheckpointNote> {
  const { store, chainId, issuer, signer } = options
  const origin = writOrigin(issuer, chainId)
  const tree = chainTree(store, chainId)
  const size = await tree.size()
  const root = await tree.root(size)
  const text = formatCheckpointText({ origin, size, root })
  const previous = await store.latestCheckpointNote(chainId)
  const kept = previous === undefined ? [] : await extendedLines(previous, tree, text, size)
  const name = origin
  const logLine = await signNoteText(text, {
    name,
    publicKey: publicKeyOf(signer.publicJwk),
    sign: noteSign(signer, options.signerTimeoutMs ?? NOTE_SIGNER_TIMEOUT_MS),
  })
  const note = formatNote(text, [logLine, ...kept.filter((line) => line !== logLine)])
  const stored: StoredCheckpointNote = { chainId, size, note }
  await store.putCheckpointNote(stored)
  return Object.freeze({
    ...stored,
    origin,
    root,
    vkey: logVerifierKey(issuer, chainId, signer.publicJwk),
  })
}

/** Signs with `signer`; a key outside the process within `timeoutMs`, failing closed. */
function noteSign(signer: AnySigner, timeoutMs: number): NoteSigner['sign'] {
  if (!isAsyncSigner(signer)) return (message) => signer.sign(message)
  return (message) => signBefore(signer, message, Date.now() + timeoutMs)
}

/**
 * Checks that the chain still extends the last note kept, and returns the signature lines of
 * that note to keep (only when it names the very same checkpoint).
 */
async function extendedLines(
  previous: StoredCheckpointNote,
  tree: ReturnType<typeof chainTree>,
  text: string,
  size: number,
): Promise<string[]> {
  const parsed = parseNote(previous.note)
  const head = parseCheckpointText(parsed.text)
  if (head.size > size) {
    throw new WritError(
      'CHECKPOINT_ROLLBACK',
      `The store holds ${size} receipts, fewer than the ${head.size} of the last checkpoint`,
      { details: { chainId: previous.chainId, size, checkpointSize: head.size } },
    )
  }
  if (!bytesEqual(await tree.root(head.size), head.root)) {
    throw new WritError(
      'CHECKPOINT_INCONSISTENT',
      'The chain no longer leads to the root of its last checkpoint: its history was rewritten',
      { details: { chainId: previous.chainId, checkpointSize: head.size } },
    )
  }
  return parsed.text === text ? parsed.signatures.map((signature) => signature.line) : []
}
