/** A gate's checkpoint: its chain's size and head now, signed and stored. */
import { type AnySigner, isAsyncSigner, signBefore } from './async-signer.js'
import {
  checkpointClaims,
  checkpointSigningInput,
  encodeCheckpoint,
  joinSignature,
} from './receipt-issuer.js'
import type { Store, StoredCheckpoint } from './types.js'

/** Where a checkpoint is signed and kept. */
export interface CheckpointSettings {
  readonly store: Store
  readonly chainId: string
  readonly issuer: string
  readonly clock: () => number
  /** Bound on an asynchronous signer's answer, in milliseconds. */
  readonly signerTimeoutMs: number
}

/** Signs the head of `settings.chainId` with `signer`, stores it, and returns it frozen. */
export async function signCheckpoint(
  settings: CheckpointSettings,
  signer: () => AnySigner,
): Promise<StoredCheckpoint> {
  const { store, chainId, issuer } = settings
  const position = await store.head(chainId)
  const iat = Math.floor(settings.clock() / 1000)
  const claims = checkpointClaims({
    iss: issuer,
    chain: chainId,
    size: position.seq,
    head: position.prev,
    iat,
  })
  const checkpoint: StoredCheckpoint = Object.freeze({
    chainId,
    size: position.seq,
    head: position.prev,
    iat,
    token: await encodeWith(signer(), claims, settings.signerTimeoutMs),
  })
  await store.putCheckpoint(checkpoint)
  return checkpoint
}

async function encodeWith(
  signer: AnySigner,
  claims: ReturnType<typeof checkpointClaims>,
  timeoutMs: number,
): Promise<string> {
  if (!isAsyncSigner(signer)) return encodeCheckpoint(claims, signer)
  const input = checkpointSigningInput(claims, signer)
  const deadline = performance.now() + timeoutMs
  const signature = await signBefore(signer, input.bytes, deadline, () => performance.now())
  return joinSignature(input, signature)
}
