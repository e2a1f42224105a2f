/**
 * The shapes of a running demo: what `startDemo` returns and what the web server and
 * the terminal report read. Kept apart from `demo.ts` so that the web server does not
 * import the module that starts it.
 */
import type { HoldView, JwkSet, LocalGate, PublishedApprovers } from '@writ/core'
import type { BrowserCredential } from './approval-passkeys.js'
import type { ApprovalFlow, DemoApprover } from './approvals.js'
import type { ServiceDirectory } from './routes.js'
import type { ScenarioInfo } from './scenarios.js'
import type { BankState } from './services/bank.js'
import type { EhrState } from './services/ehr.js'
import type { GatewayState } from './services/gateway.js'
import type { Refusal } from './services/service-host.js'
import type { WarehouseState } from './services/warehouse.js'
import type { TimelineStep } from './timeline.js'

/** The result of one scenario run. */
export interface ScenarioResult {
  readonly id: string
  readonly title: string
  readonly steps: readonly TimelineStep[]
  /** The agent's last words (or what the attacker saw). */
  readonly finalMessage: string
  /** The outcome, read from the last step. */
  readonly outcome: {
    readonly decision: 'PERMIT' | 'DENY' | 'SILENCE' | null
    readonly reason: string | null
    readonly executed: boolean
    readonly serviceCode: string | null
  }
  /** True when the outcome is the expected one. */
  readonly passed: boolean
  /** Set when the scenario failed to run at all. */
  readonly error: string | null
}

/** What each receiving service holds and refused. */
export interface ServicesState {
  readonly bank: BankState & { readonly refusals: readonly Refusal[]; readonly origin: string }
  readonly warehouse: WarehouseState & {
    readonly refusals: readonly Refusal[]
    readonly origin: string
  }
  readonly ehr: EhrState & { readonly refusals: readonly Refusal[]; readonly origin: string }
  readonly gateway: GatewayState & {
    readonly refusals: readonly Refusal[]
    readonly origin: string
  }
}

/** Options of `startDemo`. */
export interface DemoOptions {
  /**
   * The preferred port of the web page; `0` (default) picks a free one. When the
   * preferred port is taken, a free one is used instead (see `portFallback`).
   */
  readonly port?: number
  /**
   * Where the SQLite store and the published keys go; a fresh temp folder by default.
   * Each reset uses a new folder inside it (`world-2`, `world-3`…, numbered as the page numbers worlds).
   */
  readonly dataDir?: string
  /** Serve the web page (default `true`); the terminal runner does not need it. */
  readonly web?: boolean
  /**
   * Use the real OpenAI API: default when `OPENAI_API_KEY` is set. The model is
   * `OPENAI_MODEL`, default `gpt-4o-mini`.
   */
  readonly openai?: { readonly apiKey: string; readonly model?: string } | false
  /** Called after every reset, with the new world. */
  readonly onReset?: (world: DemoWorld) => void
}

/**
 * One demo world: what a reset replaces. Its receipt store, chain and limits are new;
 * the services are back to their opening state; the signing key is new (the previous
 * one stays published as `retired`, so receipts of earlier worlds keep verifying).
 */
export interface DemoWorld {
  /** 1 for the world the demo started with, then 2, 3… after each reset. */
  readonly generation: number
  /** ISO 8601 time the world started. */
  readonly startedAt: string
  readonly dataDir: string
  /** The SQLite store with every receipt and checkpoint of this world. */
  readonly storePath: string
  /** The published JWK Set as a file: as the world started, rewritten at the next reset (its key then retired). */
  readonly keysPath: string
  /** The `kid` of the key signing this world's receipts. */
  readonly activeKid: string
  /** True once a scenario ran in this world. */
  readonly used: boolean
}

/** A running demo. */
export interface Demo {
  /** The web page, `http://127.0.0.1:<port>/` (empty when `web` is false). */
  readonly url: string
  /**
   * The preferred port, when it was taken and the page got a free one instead;
   * `null` otherwise.
   */
  readonly portTaken: number | null
  /** The current world's SQLite store. */
  readonly storePath: string
  /** The current world's published JWK Set, as a file. */
  readonly keysPath: string
  /** The current world's gate. */
  readonly gate: LocalGate
  readonly services: ServiceDirectory
  /** True when the model is the demo's scripted one (no API key). */
  readonly scripted: boolean
  scenarios(): ScenarioInfo[]
  /** Runs one scenario on the current state (scenarios run one at a time, in call order). */
  runScenario(id: string): Promise<ScenarioResult>
  /**
   * Runs every scenario in order, from a fresh world: resets first when anything ran
   * in the current one, so its outcome is the same every time.
   */
  runAll(): Promise<ScenarioResult[]>
  /**
   * Starts a fresh world (after whatever is running): new data folder and SQLite chain,
   * new limits, services back to their opening state with fresh replay caches, no
   * results, and a rotated signing key. With `ifUsed`, does nothing when no scenario
   * ran in the current world.
   */
  reset(options?: { readonly ifUsed?: boolean }): Promise<DemoWorld>
  /** The current world. */
  world(): DemoWorld
  /** The latest result of each scenario that ran in the current world. */
  results(): ScenarioResult[]
  servicesState(): ServicesState
  /** The current chain's receipts (compact tokens, in order) and its latest checkpoint. */
  chain(): Promise<{ chainId: string; receipts: string[]; checkpoint: string | null }>
  /** Every published key: the active one, and the retired keys of earlier worlds. */
  publishedKeys(): Promise<JwkSet>
  /** The policy file's text, as the page shows it. */
  readonly policyText: string
  /** Held payments and the demo approver's one-click answers (see `approvals.ts`). */
  readonly approvals: {
    readonly approver: DemoApprover
    /** What `/.well-known/writ/approvers.json` serves: the approver's public key. */
    published(): PublishedApprovers
    list(): Promise<HoldView[]>
    /** The procurement agent asks to pay a freight invoice (`AF-2207`, `AF-2291`): held. */
    propose(invoice: string): Promise<string | null>
    answer(hold: string, verdict: 'approve' | 'reject'): Promise<ApprovalFlow>
    /** Options for registering Dana's passkey in this browser (a demo shortcut). */
    passkeyOptions(): { ceremony: string; options: unknown }
    registerPasskey(credential: BrowserCredential): void
    /** The WebAuthn options whose challenge binds Dana's answer to `hold`. */
    passkeyChallenge(
      hold: string,
      verdict: 'approve' | 'reject',
    ): Promise<{ ceremony: string; options: unknown }>
    answerWithPasskey(hold: string, credential: BrowserCredential): Promise<ApprovalFlow>
    flows(): readonly ApprovalFlow[]
  }
  close(): Promise<void>
}
