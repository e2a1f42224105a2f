/**
 * Starts the whole demo in this process: the authority (policy, key, SQLite chain),
 * the four receiving services (public keys only), the scripted model (or the real
 * OpenAI API), and the web page. `main.ts` and the tests call {@link startDemo}.
 */
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type ActionRequest,
  type CompiledPolicy,
  createGate,
  createKeyRing,
  type Decision,
  generateSigningKey,
  type JwkSet,
  type KeyRing,
  type LocalGate,
  loadPolicyFile,
} from '@writ/core'
import { createSqliteStore, type SqliteStore } from '@writ/store-sqlite'
import OpenAI from 'openai'
import { createDemoApprovals } from './approvals.js'
import type { Demo, DemoOptions, DemoWorld, ScenarioResult, ServicesState } from './demo-types.js'
import type { ModelConnection } from './openai-agent.js'
import { POLICY_PATH } from './paths.js'
import { recordDecisions } from './recorded-gate.js'
import type { ServiceDirectory } from './routes.js'
import { SCENARIOS, scenarioById, scenarioInfos } from './scenarios.js'
import { type ScriptedModel, startScriptedModel } from './scripted-model.js'
import { type Bank, startBank } from './services/bank.js'
import { type Ehr, startEhr } from './services/ehr.js'
import { type Gateway, startGateway } from './services/gateway.js'
import { startWarehouse, type Warehouse } from './services/warehouse.js'
import { Timeline } from './timeline.js'
import type { Toolkit } from './tools.js'
import { startWebServer, type WebServer } from './web-server.js'

/**
 * What the page shows as a step's arguments: for an HTTP request, its JSON body (the
 * arguments the model gave the tool; the policy saw them at `args.body`), else `args`.
 */
function shownArgsOf(request: ActionRequest): unknown {
  const body = request.httpRequest?.body
  if (body === undefined) return request.args
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body)) as unknown
  } catch {
    return `(${body.byteLength} bytes that are not JSON)`
  }
}

export type { Demo, DemoOptions, DemoWorld, ScenarioResult, ServicesState }

/** The issuer (`iss`) of the demo's receipts. */
export const DEMO_ISSUER = 'urn:writ:demo-authority'

/** The default port of `npm run demo`. */
export const DEFAULT_DEMO_PORT = 4321

/** The keys a receiving service trusts: the published keys that may still sign permits. */
function serviceTrust(keys: JwkSet): string {
  // A reset service is a newly deployed one, with an empty replay cache: it trusts the
  // current key only, so a PERMIT of an earlier world cannot run a second time on it.
  return JSON.stringify({ keys: keys.keys.filter((key) => (key.status ?? 'active') === 'active') })
}

interface WorldParts {
  readonly info: DemoWorld
  readonly store: SqliteStore
  readonly gate: LocalGate
  readonly toolkit: Toolkit
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
  const rootDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'writ-demo-')))
  await mkdir(rootDir, { recursive: true })
  const policyText = await readFile(POLICY_PATH, 'utf8')
  const policy: CompiledPolicy = await loadPolicyFile(POLICY_PATH)
  // One key ring for the demo's life: a reset rotates it, the old key stays published.
  const keyRing: KeyRing = createKeyRing(generateSigningKey())

  // The services get the published JWK Set, as text: never the gate or a private key.
  const [bank, warehouse, ehr, gateway]: [Bank, Warehouse, Ehr, Gateway] = await Promise.all([
    startBank(serviceTrust(keyRing.jwks())),
    startWarehouse(serviceTrust(keyRing.jwks())),
    startEhr(serviceTrust(keyRing.jwks())),
    startGateway(serviceTrust(keyRing.jwks())),
  ])
  const services: ServiceDirectory = {
    bank: bank.origin,
    warehouse: warehouse.origin,
    ehr: ehr.origin,
    gateway: gateway.origin,
  }

  const timeline = new Timeline()
  // Large supplier payments wait for the demo's finance approver (approvals.ts).
  const approvals = createDemoApprovals()
  const transport: Toolkit['transport'] = (request) => fetch(request)

  const buildWorld = async (generation: number): Promise<WorldParts> => {
    // World N lives in world-N (world 1 in the folder itself), so the numbers match the page.
    const dataDir = generation === 1 ? rootDir : join(rootDir, `world-${generation}`)
    await mkdir(dataDir, { recursive: true })
    const storePath = join(dataDir, 'receipts.db')
    const keysPath = join(dataDir, 'keys.json')
    const store = createSqliteStore({ path: storePath })
    const gate = createGate({
      policy,
      keys: keyRing,
      issuer: DEMO_ISSUER,
      store,
      chainId: 'demo',
      ttlSeconds: 120,
      approvers: approvals.directory(),
      webauthn: approvals.passkeys.verifier,
    })
    await writeFile(keysPath, `${JSON.stringify(await gate.keys())}\n`)
    const recorded = recordDecisions(gate, (decision: Decision, request) => {
      approvals.remember(decision, request)
      timeline.decided(decision, shownArgsOf(request), request.agent ?? null)
    })
    return {
      info: {
        generation,
        startedAt: new Date().toISOString(),
        dataDir,
        storePath,
        keysPath,
        activeKid: keyRing.active.kid,
        used: false,
      },
      store,
      gate,
      toolkit: { gate: recorded, services, timeline, transport },
    }
  }

  let world = await buildWorld(1)

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

  let latest = new Map<string, ScenarioResult>()
  let queue: Promise<unknown> = Promise.resolve()
  /** Runs `task` after everything queued before it; scenarios and resets never overlap. */
  const enqueue = <T>(task: () => Promise<T>): Promise<T> => {
    const next = queue.then(task)
    queue = next.catch(() => undefined)
    return next
  }

  const execute = async (id: string): Promise<ScenarioResult> => {
    const scenario = scenarioById(id)
    if (scenario === undefined) throw new RangeError(`no scenario ${JSON.stringify(id)}`)
    if (!world.info.used) world = { ...world, info: { ...world.info, used: true } }
    timeline.reset()
    let finalMessage = ''
    let error: string | null = null
    try {
      finalMessage = await scenario.run({ toolkit: world.toolkit, connection })
    } catch (caught) {
      error = caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught)
    }
    // A checkpoint after every scenario: what an auditor keeps outside the authority.
    await world.gate.checkpoint()
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
        (outcome.serviceCode !== null && expected.serviceCodes.includes(outcome.serviceCode))) &&
      // Every step as expected, where the scenario says (a rerun of the daily limit refuses all three).
      (expected.decisions === undefined ||
        JSON.stringify(steps.map((step) => step.decision ?? null)) ===
          JSON.stringify(expected.decisions))
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

  const runScenario = (id: string): Promise<ScenarioResult> => enqueue(() => execute(id))

  const resetNow = async (ifUsed: boolean): Promise<DemoWorld> => {
    if (ifUsed && !world.info.used) return world.info
    const previous = world
    keyRing.rotate()
    // The previous world's keys.json now says its key is retired, as the published set does.
    await writeFile(previous.info.keysPath, `${JSON.stringify(keyRing.jwks())}\n`)
    world = await buildWorld(previous.info.generation + 1)
    const trust = serviceTrust(keyRing.jwks())
    bank.reset(trust)
    warehouse.reset(trust)
    ehr.reset(trust)
    gateway.reset(trust)
    latest = new Map()
    timeline.reset()
    approvals.reset()
    await previous.store.close()
    options.onReset?.(world.info)
    return world.info
  }

  const reset = (resetOptions: { readonly ifUsed?: boolean } = {}): Promise<DemoWorld> =>
    enqueue(() => resetNow(resetOptions.ifUsed === true))

  const chain = async () => {
    const { store, gate } = world
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
    gateway: { ...gateway.state(), refusals: [...gateway.refusals], origin: gateway.origin },
  })

  let web: WebServer | undefined
  const demo: Demo = {
    get url() {
      return web?.url ?? ''
    },
    get portTaken() {
      return web?.portTaken ?? null
    },
    get storePath() {
      return world.info.storePath
    },
    get keysPath() {
      return world.info.keysPath
    },
    get gate() {
      return world.gate
    },
    services,
    scripted: connection.scripted,
    scenarios: scenarioInfos,
    runScenario,
    runAll: async () => {
      // Reset and run as one queued task, so nothing slips in between.
      return enqueue(async () => {
        await resetNow(true)
        const results: ScenarioResult[] = []
        for (const scenario of SCENARIOS) results.push(await execute(scenario.id))
        return results
      })
    },
    reset,
    world: () => world.info,
    results: () => SCENARIOS.flatMap((scenario) => latest.get(scenario.id) ?? []),
    servicesState,
    chain,
    publishedKeys: async () => keyRing.jwks(),
    policyText,
    approvals: {
      approver: approvals.approver,
      published: () => approvals.directory().publicDocument(),
      list: () => approvals.list(world.gate),
      propose: (invoice) =>
        enqueue(async () => {
          if (!world.info.used) world = { ...world, info: { ...world.info, used: true } }
          return approvals.propose(world.toolkit, invoice)
        }),
      answer: (hold, verdict) =>
        enqueue(() => approvals.answer(world.gate, world.toolkit, hold, verdict)),
      passkeyOptions: () => approvals.passkeys.registrationOptions(approvals.approver),
      registerPasskey: (credential) => approvals.registerPasskey(world.gate, credential),
      passkeyChallenge: (hold, verdict) => approvals.passkeyChallenge(world.gate, hold, verdict),
      answerWithPasskey: (hold, credential) =>
        enqueue(() => approvals.answerWithPasskey(world.gate, world.toolkit, hold, credential)),
      flows: () => approvals.flows(),
    },
    close: async () => {
      await queue
      await web?.close()
      await Promise.all([
        bank.close(),
        warehouse.close(),
        ehr.close(),
        gateway.close(),
        scriptedModel?.close(),
      ])
      await world.store.close()
    },
  }

  if (options.web !== false) web = await startWebServer(demo, options.port ?? 0)
  // Passkeys need a host name: they work when the page is opened at localhost.
  if (web !== undefined)
    approvals.passkeys.allowOrigin(new URL(web.url).origin.replace('127.0.0.1', 'localhost'))
  return demo
}
