/**
 * `writ checkpoint --note`: the checkpoint as a C2SP signed note (spec section 12), pushed
 * to the witnesses named on the command line, their cosignatures kept with it.
 */
import {
  createWitnessPusher,
  type LocalGate,
  signCheckpointNote,
  type WitnessEndpoint,
} from '@writ/core'
import { usageError } from '../cli-error.js'
import type { CliIo } from '../io.js'

/** Reads `URL=VKEY` (the vkey may end in `=`, the URL holds none). */
export function witnessEndpoint(value: string): WitnessEndpoint {
  const at = value.indexOf('=')
  if (at <= 0 || !/^https?:\/\//.test(value)) {
    throw usageError('--witness takes URL=VKEY, e.g. http://127.0.0.1:8788=witness.example/w1+…')
  }
  return { url: value.slice(0, at), vkey: value.slice(at + 1) }
}

/** Signs the note, asks the witnesses, keeps the cosigned note; returns it with the log's vkey. */
export async function publishNote(
  gate: LocalGate,
  endpoints: readonly WitnessEndpoint[],
  io: CliIo,
): Promise<{ size: number; note: string; vkey: string }> {
  const signed = await signCheckpointNote({
    store: gate.store,
    chainId: gate.chainId,
    issuer: gate.issuer,
    signer: gate.keyRing.active,
  })
  if (endpoints.length === 0) return signed
  const pusher = createWitnessPusher({
    store: gate.store,
    chainId: gate.chainId,
    witnesses: endpoints,
  })
  const { note, outcomes } = await pusher.push(signed)
  for (const outcome of outcomes) {
    if (!outcome.cosigned)
      io.stderr(`witness ${outcome.witness} did not cosign: ${outcome.problem}\n`)
  }
  return { size: signed.size, note: note.note, vkey: signed.vkey }
}
