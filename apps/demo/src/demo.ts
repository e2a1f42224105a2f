/**
 * Starts the whole demo in this process: the authority (policy, key, SQLite chain),
 * the three receiving services (public keys only), the scripted model (or the real
 * OpenAI API), and the web page. `main.ts` and the tests call {@link startDemo}.
 */
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  createGate,
  type Decision,
  generateSigningKey,
  type JwkSet,
  type LocalGate,
  loadPolicyFile,
} from '@writ/core'
import { createSqliteStore } from '@writ/store-sqlite'
import OpenAI from 'openai'
import type { ModelConnection } from './openai-agent.js'
import { POLICY_PATH } from './paths.js'
import { createPermitRelay } from './permit-relay.js'
import { routeOf, type ServiceDirectory } from './routes.js'
import { SCENARIOS, type ScenarioInfo, scenarioById, scenarioInfos } from './scenarios.js'
import { type ScriptedModel, startScriptedModel } from './scripted-model.js'
import { type Bank, type BankState, startBank } from './services/bank.js'
import { type Ehr, type EhrState, startEhr } from './services/ehr.js'
import type { Refusal } from './services/service-host.js'
import { startWarehouse, type Warehouse, type WarehouseState } from './services/warehouse.js'
import { Timeline, type TimelineStep } from './timeline.js'
import type { Toolkit } from './tools.js'
import { startWebServer } from './web-server.js'

/** The issuer (`iss`) of the demo's receipts. */
export const DEMO_ISSUER = 'urn:writ:demo-authority'

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
}

/** Options of {@link startDemo}. */
export interface DemoOptions {
  /** Port of the web page; `0` (default) picks a free one. */
  readonly port?: number
  /** Where the SQLite store and the published keys go; a fresh temp folder by default. */
  readonly dataDir?: string
  /** Serve the web page (default `true`); the terminal runner does not need it. */
  readonly web?: boolean
  /**
   * Use the real OpenAI API: default when `OPENAI_API_KEY` is set. The model is
   * `OPENAI_MODEL`, default `gpt-4o-mini`.
   */
  readonly openai?: { readonly apiKey: string; readonly model?: string } | false
}

/** A running demo. */
export interface Demo {
  /** The web page, `http://127.0.0.1:<port>/` (empty when `web` is false). */
  readonly url: string
  /** The SQLite store with every receipt and checkpoint. */
  readonly storePath: string
  /** The published JWK Set, as a file. */
  readonly keysPath: string
  readonly gate: LocalGate
  readonly services: ServiceDirectory
  /** True when the model is the demo's scripted one (no API key). */
  readonly scripted: boolean
  scenarios(): ScenarioInfo[]
  /** Runs one scenario (scenarios run one at a time, in call order). */
  runScenario(id: string): Promise<ScenarioResult>
  /** Runs every scenario in order. */
  runAll(): Promise<ScenarioResult[]>
  /** The latest result of each scenario that ran. */
  results(): ScenarioResult[]
  servicesState(): ServicesState
  /** The chain's receipts (compact tokens, in order) and its latest checkpoint. */
  chain(): Promise<{ chainId: string; receipts: string[]; checkpoint: string | null }>
  publishedKeys(): Promise<JwkSet>
  /** The policy file's text, as the page shows it. */
  readonly policyText: string
  close(): Promise<void>
}

/**
 * Starts the demo.
 *
 * @example
 * ```ts
 * const demo = await startDemo({ port: 0 })
 * console.log(demo.url)
 * await demo.runAll()
 * await demo.close()
 * ```
 */
export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'writ-demo-')))
  await mkdir(dataDir, { recursive: true })
  const storePath = join(dataDir, 'receipts.db')
  const keysPath = join(dataDir, 'keys.json')
  const policyText = await readFile(POLICY_PATH, 'utf8')
  const policy = await loadPolicyFile(POLICY_PATH)
  const store = createSqliteStore({ path: storePath })
  const gate = createGate({
    policy,
    keys: generateSigningKey(),
    issuer: DEMO_ISSUER,
    store,
    chainId: 'demo',
    ttlSeconds: 120,
  })

  // The services get the published JWK Set, as text: never the gate or a private key.
  const publishedKeys = JSON.stringify(await gate.keys())
  await writeFile(keysPath, `${publishedKeys}\n`)
  const [bank, warehouse, ehr]: [Bank, Warehouse, Ehr] = await Promise.all([
    startBank(publishedKeys),
    startWarehouse(publishedKeys),
    startEhr(publishedKeys),
  ])
  const services: ServiceDirectory = {
    bank: bank.origin,
    warehouse: warehouse.origin,
    ehr: ehr.origin,
  }

  const timeline = new Timeline()
  const relay = createPermitRelay(gate, (action, args) => routeOf(services, action, args), {
    onDecision: (decision: Decision, request) =>
      timeline.decided(decision, request.args, request.agent ?? null),
  })
  const toolkit: Toolkit = { relay, services, timeline, transport: (request) => fetch(request) }

  const openaiOptions =
    options.openai ??
    (process.env['OPENAI_API_KEY']
      ? {
          apiKey: process.env['OPENAI_API_KEY'],
          model: process.env['OPENAI_MODEL'] ?? 'gpt-4o-mini',
        }
      : false)
  let scriptedModel: ScriptedModel | undefined
  let connection: ModelConnection
  if (openaiOptions === false) {
    scriptedModel = await startScriptedModel()
    for (const scenario of SCENARIOS) {
      if (scenario.script !== undefined) scriptedModel.script(scenario.prompt, scenario.script)
    }
    connection = {
      client: new OpenAI({ baseURL: scriptedModel.baseURL, apiKey: 'offline-demo', maxRetries: 0 }),
      model: 'writ-demo-scripted',
      scripted: true,
    }
  } else {
    connection = {
      client: new OpenAI({ apiKey: openaiOptions.apiKey }),
      model: openaiOptions.model ?? 'gpt-4o-mini',
      scripted: false,
    }
  }

  const latest = new Map<string, ScenarioResult>()
  let queue: Promise<unknown> = Promise.resolve()

  const execute = async (id: string): Promise<ScenarioResult> => {
    const scenario = scenarioById(id)
    if (scenario === undefined) throw new RangeError(`no scenario ${JSON.stringify(id)}`)
    timeline.reset()
    let finalMessage = ''
    let error: string | null = null
    try {
      finalMessage = await scenario.run({ toolkit, connection })
    } catch (caught) {
      error = caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught)
    }
    // A checkpoint after every scenario: what an auditor keeps outside the authority.
    await gate.checkpoint()
    const steps = structuredClone([...timeline.steps])
    const last = steps.at(-1)
    const outcome = {
      decision: last?.decision ?? null,
      reason: last?.reason ?? null,
      executed: last?.service?.executed ?? false,
      serviceCode: last?.service?.code ?? null,
    }
    const expected = scenario.expected
    const passed =
      error === null &&
      last !== undefined &&
      outcome.decision === expected.decision &&
      outcome.reason === expected.reason &&
      outcome.executed === expected.executed &&
      (expected.serviceCodes === undefined ||
        (outcome.serviceCode !== null && expected.serviceCodes.includes(outcome.serviceCode)))
    const result: ScenarioResult = {
      id,
      title: scenario.title,
      steps,
      finalMessage,
      outcome,
      passed,
      error,
    }
    latest.set(id, result)
    return result
  }

  const runScenario = (id: string): Promise<ScenarioResult> => {
    const next = queue.then(() => execute(id))
    queue = next.catch(() => undefined)
    return next
  }

  const chain = async () => {
    const receipts: string[] = []
    for await (const receipt of store.receipts(gate.chainId)) receipts.push(receipt.token)
    const checkpoint = await store.latestCheckpoint(gate.chainId)
    return { chainId: gate.chainId, receipts, checkpoint: checkpoint?.token ?? null }
  }

  const servicesState = (): ServicesState => ({
    bank: { ...bank.state(), refusals: [...bank.refusals], origin: bank.origin },
    warehouse: {
      ...warehouse.state(),
      refusals: [...warehouse.refusals],
      origin: warehouse.origin,
    },
    ehr: { ...ehr.state(), refusals: [...ehr.refusals], origin: ehr.origin },
  })

  const demo: Omit<Demo, 'url' | 'close'> = {
    storePath,
    keysPath,
    gate,
    services,
    scripted: connection.scripted,
    scenarios: scenarioInfos,
    runScenario,
    runAll: async () => {
      const results: ScenarioResult[] = []
      for (const scenario of SCENARIOS) results.push(await runScenario(scenario.id))
      return results
    },
    results: () => SCENARIOS.flatMap((scenario) => latest.get(scenario.id) ?? []),
    servicesState,
    chain,
    publishedKeys: () => gate.keys(),
    policyText,
  }

  const web = options.web === false ? undefined : await startWebServer(demo, options.port ?? 0)

  return {
    ...demo,
    url: web?.url ?? '',
    close: async () => {
      await queue
      await web?.close()
      await Promise.all([bank.close(), warehouse.close(), ehr.close(), scriptedModel?.close()])
      await store.close()
    },
  }
}
