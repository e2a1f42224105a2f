import { readFile } from 'node:fs/promises'
import { type CompiledPolicy, compilePolicy, type LocalGate } from '@writ/core'
import { WritError } from '@writ/verify'
import type { AuthorityMetrics } from './metrics.js'

/**
 * The result of a policy reload: applied; failed (the previous policy keeps serving);
 * or superseded, when a later reload started before this one finished reading, so this
 * one's file contents were already out of date and were not applied.
 */
export type ReloadResult =
  | { readonly ok: true; readonly status: 'applied'; readonly policy: CompiledPolicy }
  | { readonly ok: false; readonly status: 'failed'; readonly error: WritError }
  | { readonly ok: false; readonly status: 'superseded' }

/** What {@link createPolicyReloader} reloads, and from where. */
export interface PolicyReloaderOptions {
  readonly gate: Pick<LocalGate, 'setPolicy'>
  readonly metrics: Pick<AuthorityMetrics, 'policyReloads'>
  readonly policyFile?: string | undefined
  readonly readPolicyFile?: ((path: string) => Promise<string>) | undefined
}

/**
 * A reload of the policy file. Reloads are numbered as they start; one applies only if
 * no later one has started, so a slow read of an old file can never overwrite a newer
 * policy. On any problem the previous policy keeps serving.
 */
export function createPolicyReloader(options: PolicyReloaderOptions): () => Promise<ReloadResult> {
  const readPolicyFile = options.readPolicyFile ?? ((path: string) => readFile(path, 'utf8'))
  const { gate, metrics, policyFile } = options
  let reloadsStarted = 0
  const counted = (result: ReloadResult, label: string): ReloadResult => {
    metrics.policyReloads.inc({ result: label })
    return result
  }
  return async () => {
    if (policyFile === undefined) return { ok: false, status: 'failed', error: noPolicyFile() }
    reloadsStarted += 1
    const ticket = reloadsStarted
    const read = await readPolicy(readPolicyFile, policyFile)
    if (ticket !== reloadsStarted) return counted({ ok: false, status: 'superseded' }, 'superseded')
    if (read instanceof WritError)
      return counted({ ok: false, status: 'failed', error: read }, 'kept-previous')
    gate.setPolicy(read)
    return counted({ ok: true, status: 'applied', policy: read }, 'ok')
  }
}

function noPolicyFile(): WritError {
  return new WritError('POLICY_INVALID', 'This server was started without a policy file to reload.')
}

async function readPolicy(
  readPolicyFile: (path: string) => Promise<string>,
  policyFile: string,
): Promise<CompiledPolicy | WritError> {
  try {
    return compilePolicy(await readPolicyFile(policyFile), { source: policyFile })
  } catch (error) {
    return WritError.isInstance(error)
      ? error
      : new WritError('POLICY_INVALID', String(error), { cause: error })
  }
}
