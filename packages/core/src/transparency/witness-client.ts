/**
 * The authority's side of c2sp.org/tlog-witness: push each new checkpoint note to the
 * configured witnesses with a consistency proof from the size each one cosigned last, check
 * the cosignatures they return, and keep them with the note in the store.
 */
import {
  formatAddCheckpoint,
  type NoteVerifierKey,
  parseNote,
  parseVerifierKey,
  signatureBy,
  verifyCosignature,
  WritError,
} from '@writ/verify'
import type { Store, StoredCheckpointNote } from '../types.js'
import { chainTree } from './chain-tree.js'

/** A witness the authority asks for cosignatures. */
export interface WitnessEndpoint {
  /** The witness's submission prefix: `POST <url>/add-checkpoint`. */
  readonly url: string
  /** Its verifier key (cosignature/v1, type 0x04). */
  readonly vkey: string
}

/** What became of one witness's request. */
export interface WitnessOutcome {
  readonly witness: string
  readonly cosigned: boolean
  /** Why not: the HTTP status, or a code. */
  readonly problem?: string
}

/** Options of {@link createWitnessPusher}. */
export interface WitnessPusherOptions {
  readonly store: Store
  readonly chainId: string
  readonly witnesses: readonly WitnessEndpoint[]
  /** Per request; default 10 seconds. */
  readonly timeoutMs?: number
  readonly fetch?: typeof fetch
}

/**
 * Returns `push(note)`: asks every witness to cosign `note`, adds the cosignatures that
 * verify to it, keeps it in the store and returns it with each witness's outcome. A witness
 * that is down or refuses is reported, never fatal: the note stays signed by the log.
 */
export function createWitnessPusher(options: WitnessPusherOptions): {
  push(
    note: StoredCheckpointNote,
  ): Promise<{ note: StoredCheckpointNote; outcomes: WitnessOutcome[] }>
} {
  const witnesses = options.witnesses.map((endpoint) => ({
    endpoint,
    key: parseVerifierKey(endpoint.vkey),
    // The size each witness cosigned last; learnt from its 409 answer when unknown.
    lastSize: 0,
  }))
  return {
    async push(stored) {
      const outcomes = await Promise.all(
        witnesses.map((witness) => askWitness(options, witness, stored.note)),
      )
      const lines = outcomes.flatMap((outcome) =>
        outcome.line === undefined ? [] : [outcome.line],
      )
      const note = lines.length === 0 ? stored : { ...stored, note: stored.note + lines.join('') }
      if (lines.length > 0) await options.store.putCheckpointNote(note)
      return { note, outcomes: outcomes.map(({ line: _line, ...outcome }) => outcome) }
    },
  }
}

interface WitnessSlot {
  readonly endpoint: WitnessEndpoint
  readonly key: NoteVerifierKey
  lastSize: number
}

async function askWitness(
  options: WitnessPusherOptions,
  witness: WitnessSlot,
  note: string,
): Promise<WitnessOutcome & { line?: string }> {
  const parsed = parseNote(note)
  const size = Number(parsed.text.split('\n')[1])
  const tree = chainTree(options.store, options.chainId)
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      const oldSize = Math.min(witness.lastSize, size)
      const proof = await tree.consistencyProof(oldSize, size)
      const response = await post(
        options,
        witness.endpoint,
        formatAddCheckpoint({ oldSize, proof, note }),
      )
      if (response.status === 409) {
        witness.lastSize = Number.parseInt(await response.text(), 10) || 0
        continue
      }
      if (response.status !== 200) {
        return { witness: witness.key.name, cosigned: false, problem: `HTTP ${response.status}` }
      }
      const line = await checkedCosignature(parsed.text, witness.key, await response.text())
      witness.lastSize = size
      return { witness: witness.key.name, cosigned: true, line }
    }
    return { witness: witness.key.name, cosigned: false, problem: 'HTTP 409' }
  } catch (error) {
    const problem = WritError.isInstance(error) ? error.code : 'WITNESS_UNREACHABLE'
    return { witness: witness.key.name, cosigned: false, problem }
  }
}

async function post(
  options: WitnessPusherOptions,
  endpoint: WitnessEndpoint,
  body: string,
): Promise<Response> {
  const request = options.fetch ?? fetch
  return request(`${endpoint.url.replace(/\/$/, '')}/add-checkpoint`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain; charset=utf-8' },
    body,
    signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
  })
}

/** The witness's cosignature line from its answer, once it verifies over `text`. */
async function checkedCosignature(
  text: string,
  key: NoteVerifierKey,
  answer: string,
): Promise<string> {
  const parsed = parseNote(`${text}\n${answer}`)
  const signature = signatureBy(parsed, key)
  if (signature === undefined) {
    throw new WritError('COSIGNATURE_INVALID', 'The witness answered without its cosignature')
  }
  await verifyCosignature(text, signature, key)
  return signature.line
}
