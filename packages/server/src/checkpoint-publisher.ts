/**
 * Publishing checkpoint notes (spec section 12): sign the chain's current tree head as a
 * C2SP signed note, keep it, and ask the configured witnesses to cosign it. Calls are
 * serialized, so two checkpoints never race to the witnesses out of order.
 */
import {
  createWitnessPusher,
  type LocalGate,
  type SignedCheckpointNote,
  type StoredCheckpointNote,
  signCheckpointNote,
  type WitnessEndpoint,
  type WitnessOutcome,
} from '@writ/core'
import type { AuthorityLogger } from './logging.js'

/** Signs and publishes this gate's checkpoint notes. */
export interface CheckpointPublisher {
  /** Signs a note of the chain now, pushes it to the witnesses and keeps the cosigned note. */
  publish(): Promise<{
    readonly note: StoredCheckpointNote
    readonly signed: SignedCheckpointNote
    readonly outcomes: readonly WitnessOutcome[]
  }>
}

/** The publisher of `gate`'s chain, pushing to `witnesses` (none: the log's signature only). */
export function createCheckpointPublisher(
  gate: LocalGate,
  witnesses: readonly WitnessEndpoint[],
  logger: AuthorityLogger,
): CheckpointPublisher {
  const pusher = createWitnessPusher({ store: gate.store, chainId: gate.chainId, witnesses })
  let queue: Promise<unknown> = Promise.resolve()
  const publishNow = async () => {
    const signed = await signCheckpointNote({
      store: gate.store,
      chainId: gate.chainId,
      issuer: gate.issuer,
      signer: gate.keyRing.active,
    })
    const { note, outcomes } = await pusher.push(signed)
    for (const outcome of outcomes) {
      if (!outcome.cosigned) {
        logger.error(
          {
            event: 'witness-refused',
            witness: outcome.witness,
            code: outcome.problem ?? 'UNKNOWN',
          },
          'a witness did not cosign the checkpoint',
        )
      }
    }
    return { note, signed, outcomes }
  }
  return {
    publish() {
      const run = queue.then(publishNow)
      queue = run.catch(() => undefined)
      return run
    },
  }
}
