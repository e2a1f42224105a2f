/**
 * The policy-operations settings of `writ serve`: a shadow candidate policy (`--shadow`,
 * `shadow`), and argument retention for replay (`--retain`, `--redact`; `retain`,
 * `redact`), off unless asked. SIGHUP reads them again: a new candidate and new
 * retention rules take effect together, or, when anything is wrong, not at all.
 */
import {
  type CompiledPolicy,
  compileRetention,
  type LocalGate,
  type RetentionRule,
  type RetentionRules,
  type Store,
} from '@writ/core'
import { WritError } from '@writ/verify'
import { CliError } from './cli-error.js'
import { loadPolicy } from './inputs.js'
import type { CliIo } from './io.js'
import type { OperationsSettings } from './serve-config.js'

/** The flags, for `writ serve`'s options. */
export const POLICY_OPS_FLAGS = {
  shadow: { type: 'string' },
  retain: { type: 'string', multiple: true },
  redact: { type: 'string', multiple: true },
} as const

/** What the settings asked for, loaded and checked. */
export interface ServePolicyOps {
  readonly shadow?: CompiledPolicy
  readonly retention?: readonly RetentionRule[]
  /** The retention rules compiled; `undefined` when nothing is retained. */
  readonly rules?: RetentionRules
}

/**
 * Loads the shadow candidate (through `trusted`, like the enforcing policy) and checks
 * the retention rules: `--redact` paths apply to every retained action.
 *
 * @throws CliError `POLICY_INVALID` (and the policy's own codes) for a broken candidate,
 * `CONFIG_INVALID` for a retention pattern or path Writ cannot use.
 */
export function loadPolicyOps(
  settings: OperationsSettings,
  io: CliIo,
  trusted: (path: string) => string,
): ServePolicyOps {
  const retention =
    settings.retain.length === 0
      ? undefined
      : [{ actions: [...settings.retain], redact: [...settings.redact] }]
  const shadow =
    settings.shadow === undefined ? {} : { shadow: loadPolicy(io, trusted(settings.shadow)) }
  if (retention === undefined) return shadow
  try {
    return { ...shadow, retention, rules: compileRetention(retention) }
  } catch (error) {
    throw new CliError(
      'CONFIG_INVALID',
      `retention: ${WritError.isInstance(error) ? error.message : String(error)}`,
      { cause: error },
    )
  }
}

/** A store whose retention rules can be swapped while it serves. */
export interface RetentionSwitch {
  /** The store to decide with: its `records.retention` is the rules set now. */
  readonly store: Store
  set(rules: RetentionRules | undefined): void
}

/**
 * Wraps `store` so its retention rules can change without reopening it: later decisions
 * keep (or stop keeping) arguments under the new rules; what was kept stays.
 */
export function retentionSwitch(
  store: Store,
  initial: RetentionRules | undefined,
): RetentionSwitch {
  const records = store.records
  if (records === undefined) return { store, set() {} }
  let rules = initial
  const switched = new Proxy(records, {
    get(target, property) {
      if (property === 'retention') return rules
      const value = Reflect.get(target, property, target) as unknown
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  const wrapped = new Proxy(store, {
    get(target, property) {
      if (property === 'records') return switched
      const value = Reflect.get(target, property, target) as unknown
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return {
    store: wrapped,
    set(next) {
      rules = next
    },
  }
}

/** What a reload of the policy-operations settings did. */
export type OperationsReload =
  | {
      readonly status: 'applied'
      readonly shadow: { readonly id: string; readonly digest: string } | undefined
      readonly retain: readonly string[]
    }
  | { readonly status: 'failed'; readonly error: CliError | WritError }

/**
 * Reads the settings again (`read`), loads the candidate and the rules, and only when
 * all of it is valid swaps both in; otherwise the running candidate and rules stay.
 */
export function reloadPolicyOps(options: {
  readonly read: () => OperationsSettings
  readonly load: (settings: OperationsSettings) => ServePolicyOps
  readonly gate: Pick<LocalGate, 'setShadow'>
  readonly retention: Pick<RetentionSwitch, 'set'>
}): OperationsReload {
  let settings: OperationsSettings
  let loaded: ServePolicyOps
  try {
    settings = options.read()
    loaded = options.load(settings)
    // A candidate the gate refuses (its self-tests fail) leaves everything as it was.
    options.gate.setShadow(loaded.shadow)
  } catch (error) {
    if (error instanceof CliError || WritError.isInstance(error)) return { status: 'failed', error }
    return { status: 'failed', error: new CliError('CONFIG_INVALID', String(error)) }
  }
  options.retention.set(loaded.rules)
  return {
    status: 'applied',
    shadow:
      loaded.shadow === undefined
        ? undefined
        : { id: loaded.shadow.id, digest: loaded.shadow.digest },
    retain: settings.retain,
  }
}
