/** A gate's checkpoint: its chain's size and head now, signed and stored. */
import { checkpointClaims, encodeCheckpoint } from './receipt-issuer.js'
import type { Signer } from './signer.js'
import type { Store, StoredCheckpoint } from './types.js'

/** Where a checkpoint is signed and kept. */
export interface CheckpointSettings {
  readonly store: Store
  readonly chainId: string
  readonly issuer: string
  readonly clock: () => number
}

/** Signs the head of `settings.chainId` with `signer`, stores it, and returns it frozen. */
export async function signCheckpoint(
  settings: CheckpointSettings,
  signer: () => Signer,
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
    token: encodeCheckpoint(claims, signer()),
  })
  await store.putCheckpoint(checkpoint)
  return checkpoint
}
