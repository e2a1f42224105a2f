/**
 * `writ serve`: run the authority as an HTTP service (deployment shape 2).
 */
import { randomBytes } from 'node:crypto'
import {
  type ApproverDirectory,
  type CompiledPolicy,
  createGate,
  type LocalGate,
  parseApprovers,
  type Store,
} from '@writ/core'
import type { AuthorityServer, BoundAuthority } from '@writ/server'
import { createSqliteStore } from '@writ/store-sqlite'
import { readAgentsFile } from '../agents-file.js'
import { archivingStore, checkpointArchive, guardChain } from '../chain-guard.js'
import { CliError, usageError } from '../cli-error.js'
import { booleanFlag, type Command, jsonLine, type ParsedInput, stringFlag } from '../command.js'
import { type ExternalKeys, keysInToken, loadExternalKeys } from '../external-keys.js'
import { requireOwnerWritable } from '../file-safety.js'
import { readTextFile, requireFile, resolvePath } from '../files.js'
import { loadPolicy } from '../inputs.js'
import type { CliIo } from '../io.js'
import { createKeyReloader, type KeyReloader } from '../key-reload.js'
import { loadSigningKeys } from '../keys.js'
import {
  loadPostgresPackages,
  loadServerPackage,
  type ServerPackage,
} from '../optional-packages.js'
import {
  APPROVALS_PAGE_FLAGS,
  APPROVALS_PAGE_HELP,
  type ServeApprovals,
  serveApprovals,
} from '../serve-approvals.js'
import {
  reloadOperationsSettings,
  requireStore,
  resolveServeSettings,
  SERVE_FLAGS,
  type ServeSettings,
  type StoreSetting,
} from '../serve-config.js'
import type { EventLog } from '../serve-events.js'
import { LOG_FLAGS, serveLogger } from '../serve-logger.js'
import {
  loadPolicyOps,
  type OperationsReload,
  POLICY_OPS_FLAGS,
  type RetentionSwitch,
  reloadPolicyOps,
  retentionSwitch,
  type ServePolicyOps,
} from '../serve-policy-ops.js'
import { shutDown } from '../serve-shutdown.js'
import { witnessEndpoint } from './checkpoint-note.js'

/** A file that decides who may do what: it must exist and be writable by its owner only. */
function trustedFile(io: Parameters<Command['run']>[1], path: string, what: string): string {
  requireOwnerWritable(requireFile(io, path, what), what)
  return path
}

/** Binds the port, turning Node's errors into `writ: CODE:` lines with their exit codes. */
async function bind(
  server: ServerPackage,
  host: string,
  port: number,
  log: EventLog,
): Promise<BoundAuthority> {
  try {
    return await server.bindAuthority({
      port,
      hostname: host,
      onUnanswered: (decision) =>
        log.warn(
          { event: 'decision-unanswered', ...decision },
          `decision ${decision.jti} (${decision.decision}) was stored but its answer never reached the agent`,
        ),
    })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EADDRINUSE')
      throw new CliError('PORT_IN_USE', `${host}:${port} is already in use by another process`, {
        cause: error,
      })
    throw new CliError(
      'ADDRESS_UNAVAILABLE',
      `cannot listen on ${host}:${port} (${code ?? 'unknown error'})`,
      { cause: error },
    )
  }
}

async function openStore(
  store: StoreSetting,
  io: CliIo,
  { retention }: ServePolicyOps,
): Promise<Store> {
  const retained = retention === undefined ? {} : { retention }
  if (store.kind === 'sqlite')
    return createSqliteStore({ path: resolvePath(io, store.path), groupCommit: true, ...retained })
  const { store: postgres } = await loadPostgresPackages()
  return postgres.createPostgresStore({ connectionString: store.url, ...retained })
}

const CHAIN_SOURCES: Record<string, string> = {
  flag: 'from --chain-id',
  environment: 'from WRIT_CHAIN_ID',
  'config file': 'from the config file',
  'host name': 'the host name; set --chain-id to name it',
}

/** `writ serve`. */
export const serveCommand: Command = {
  name: 'serve',
  summary: 'run the authority as an HTTP service',
  positionals: { min: 0, max: 0, names: '' },
  options: {
    ...SERVE_FLAGS,
    ...LOG_FLAGS,
    ...APPROVALS_PAGE_FLAGS,
    ...POLICY_OPS_FLAGS,
    console: { type: 'boolean' },
  },
  help: `Usage: writ serve --policy FILE (--key KEYFILE | --signer URI [--key KEYFILE])
                  --agents FILE
                  (--store DB | --postgres URL | --store-url-file FILE
                   | WRIT_STORE_URL)
                  [--config FILE] [--chain-id ID | --chain ID] [--new-chain]
                  [--issuer ISS]
                  [--port 8787] [--host 127.0.0.1] [--checkpoint-interval 60]
                  [--checkpoint-dir DIR] [--drain-timeout 10]
                  [--accept-agent-context] [--public-metrics]
                  [--rate 50] [--burst 100] [--max-in-flight 16]
                  [--log-level info]
                  [--approvers FILE] [--approvals-origin URL] [--passkeys FILE]
                  [--approval-webhook URL [--approval-webhook-key-file FILE]]
                  [--witness URL=VKEY]… [--console]
                  [--shadow FILE] [--retain GLOB]… [--redact PATH]…

Runs the authority: agents POST proposed actions to /v1/decisions with their own
bearer token and get a decision and its signed receipt; the identity in each
receipt comes from the token. Publishes /.well-known/writ/keys.json, checkpoints,
receipts, /healthz, /readyz and /metrics. Operators (listed in the agents file)
alone may issue checkpoints, read every agent's receipts and read /metrics; an
agent reads only its own receipts.

Standard output is the log: JSON lines (level, time, event, msg). The first is
event "listening" (url, chainId, policy id and digest, keyId), msg "writ:
serving on <URL> ...". Then one line per request: requestId (the caller's
X-Request-Id if well formed, else a new one; echoed in every response), agent,
action, decision, rule, reason, jti, status, latencyMs, and code for refusals.
Argument values, bodies, tokens and receipts are never logged.

SIGHUP reloads the policy file and the key ring; a broken policy is reported and
the last valid one keeps serving. It also reads the config file again for shadow,
retain and redact, and the shadow candidate's file: a new candidate and new
retention rules apply to later decisions, together; when either is broken both
stay as they were (logged as policy-operations-reload-failed and counted in
writ_policy_operations_reloads_total). Other settings change on restart. The key file is also watched: after
\`writ keys rotate\` the new ring is loaded without a restart. A ring that drops a
key of the current ring is refused (logged; the current ring keeps signing).

SIGINT or SIGTERM drains: the port stops accepting, new requests on open
connections get 503 SHUTTING_DOWN, decisions in flight finish (up to
--drain-timeout), a last checkpoint is issued and serve exits 0. A decision stored
but not answered is logged as "decision-unanswered" with its jti.

  --config FILE          YAML settings (see below); refused if others may write it
  --policy FILE          policy document, YAML or JSON (required)
  --key KEYFILE          private signing key or key ring (mode 0600; required
                         unless --signer names the active key)
  --signer URI           the active key in a PKCS#11 token, as an RFC 7512 URI:
                         pkcs11:token=LABEL;object=KEYLABEL?module-path=MODULE
                         &pin-source=env:VAR|file:PATH (the PIN never on the
                         command line; env:WRIT_PKCS11_PIN by default). With
                         --key too, the key file adds the retired keys. A new
                         key in the token takes effect on restart
  --agents FILE          { agents: [{ agent, tokenSha256, context?, audiences?,
                         sessionKey? }], operators?: [{ name, tokenSha256 }] }
                         (see writ token new); context holds facts the operator
                         vouches for; audiences lists the only aud values the
                         agent may ask permits for (exact strings; then aud is
                         required); sessionKey lets the agent's runtime name
                         sessions with a signed Writ-Session header
  --approvers FILE       groups of approvers and their public keys, for approve
                         rules: { groups: { finance: [alice] }, approvers: [{ id,
                         name, keys: [Ed25519 public JWK] }] } (see writ approver
                         keygen). Approvals arrive at POST /v1/holds/ID/approvals
${APPROVALS_PAGE_HELP}
  --console              serve the operator's console at /console: decisions,
                         receipts verified in the browser, rates around policy
                         changes, open holds, checkpoints and audit bundles.
                         Read-only; operators sign in with their token
  --accept-agent-context also take "context" from agents' requests (untrusted; the
                         agents file's context wins). Refused (400) by default
  --store DB             SQLite store (one instance; concurrent decisions share
                         durable commits, each answered only after its commit),
                         or a postgres:// URL without a password
  --store-url-file FILE  a file (mode 0600) holding the PostgreSQL URL, password
                         included; or set WRIT_STORE_URL. A password on the
                         command line is refused (SECRET_ON_COMMAND_LINE)
  --postgres URL         PostgreSQL URL without a password (several instances,
                         one chain each)
  --chain-id ID          this instance's chain id (default: the host name);
                         --chain is the same flag
  --new-chain            start a chain id that has no history yet (refused if
                         it has any); give it once, for the first start
  --checkpoint-dir DIR   where every checkpoint is also kept (default: DB.checkpoints
                         beside a SQLite store; PostgreSQL keeps them in its table)
  --issuer ISS           receipt iss; required unless --host is a loopback
                         address (then http://HOST:PORT)
  --port PORT            port to listen on (default 8787; 0 picks a free one)
  --host HOST            address to listen on (default 127.0.0.1)
  --checkpoint-interval  issue a signed checkpoint every SECONDS (default 60;
                         also one at startup and one at shutdown)
  --drain-timeout S      how long decisions in flight may take to finish on
                         SIGTERM (default 10)
  --shadow FILE          a candidate policy evaluated beside --policy on every
                         request; it never decides. Where it would have decided
                         otherwise, the store records it (writ shadow report)
  --retain GLOB          keep the arguments and context of these actions beside
                         their receipts, for writ policy replay (repeatable; off
                         by default: read docs/policy-operations.md first)
  --redact PATH          never keep this value as it is (args.card.number,
                         context.user.email): its digest is kept instead
  --witness URL=VKEY     a C2SP tlog-witness asked to cosign each checkpoint note
                         (spec section 12); repeatable, or witnesses in the config
  --public-metrics       serve /metrics without a token (private networks only;
                         by default an operator token is required)
  --rate N               decisions per second per credential (default 50)
  --burst N              decisions a credential may send at once (default 100)
  --max-in-flight N      decisions in flight per credential (default 16); beyond
                         these limits: 429 RATE_LIMITED / CONCURRENCY_LIMITED
  --log-level LEVEL      fatal, error, warn, info (default), debug (adds health
                         probes and scrapes), trace or silent; or WRIT_LOG_LEVEL

Settings come from flags, then WRIT_* variables (WRIT_POLICY, WRIT_KEY,
WRIT_AGENTS, WRIT_STORE, WRIT_STORE_URL, WRIT_STORE_URL_FILE, WRIT_CHAIN_ID,
WRIT_ISSUER, WRIT_HOST, WRIT_PORT, WRIT_CHECKPOINT_INTERVAL, WRIT_CHECKPOINT_DIR,
WRIT_DRAIN_TIMEOUT, WRIT_ACCEPT_AGENT_CONTEXT, WRIT_PUBLIC_METRICS, WRIT_RATE,
WRIT_BURST, WRIT_MAX_IN_FLIGHT, WRIT_CONFIG), then the config file (policy, key,
agents, store, storeUrlFile, chainId, issuer, host, port, checkpointInterval,
checkpointDir, drainTimeout, acceptAgentContext, publicMetrics, rate, burst,
maxInFlight, witnesses, shadow, retain, redact; paths relative to the file), then
defaults. --shadow wins over shadow, and --retain (with --redact) over retain and
redact, also on SIGHUP.

The policy, agents, key and config files must be writable by their owner only,
and not sit in a directory anyone may write without the sticky bit: otherwise
serve stops with FILE_UNSAFE (exit 3). The key file must also be unreadable by
others. Nothing is created before the settings are valid and the port is bound.

Exit codes: 0 stopped by a signal, 1 invalid policy, 2 usage error
(CONFIG_INVALID, SECRET_ON_COMMAND_LINE, ISSUER_REQUIRED), 3 unreadable or
unsafe file, bad key or unreachable store, 5 PORT_IN_USE or ADDRESS_UNAVAILABLE,
6 CHAIN_HISTORY_EXISTS (the store is behind a checkpoint of this chain).`,
  async run(input, io) {
    const server = await loadServerPackage('writ serve')
    const loaded = loadServeInputs(input, io, server)
    const approvals = await serveApprovals(
      input,
      io,
      loaded.approvers,
      loaded.settings.approvers,
      server.openPasskeyRegistry,
    )
    const inputs: ServeInputs = { ...loaded, approvals, console: booleanFlag(input, 'console') }
    // The port first: a port in use must not leave a store file or a checkpoint behind.
    const listener = await bind(server, inputs.settings.host, inputs.settings.port, inputs.logger)
    let store: Store | undefined
    try {
      store = await openStore(inputs.storeSetting, io, inputs.operations)
      const retention = retentionSwitch(store, inputs.operations.rules)
      const gate = await startGate(inputs, retention.store, listener, io)
      const authority = authorityFor(server, inputs, gate, io)
      const keyReloader = reloaderFor(inputs, gate, io)
      keyReloader.watch()
      listener.serve(authority.app)
      const operations = operationsReloader(input, gate, retention, io)
      const running = { inputs, listener, authority, gate, store, keyReloader, operations, io }
      return await serveUntilSignal(running)
    } catch (error) {
      await listener.drain(0)
      await store?.close().catch(() => undefined)
      throw error
    }
  },
}

type ServeLogger = ReturnType<typeof serveLogger>

/** The settings and the files they name, each checked and read, before anything starts. */
interface ServeInputs {
  readonly logger: ServeLogger
  readonly settings: ServeSettings
  readonly policyPath: string
  readonly keyPath: string | undefined
  readonly policy: CompiledPolicy
  readonly keys: ReturnType<typeof loadSigningKeys> | undefined
  readonly agents: ReturnType<typeof readAgentsFile>
  readonly storeSetting: StoreSetting
  readonly approvers: ApproverDirectory | undefined
  /** The shadow candidate and argument retention (serve-policy-ops.ts). */
  readonly operations: ServePolicyOps
  /** The approvals page and the hold webhook (serve-approvals.ts). */
  readonly approvals?: ServeApprovals
  /** `--console`: serve the operator's console. */
  readonly console?: boolean
}

function loadServeInputs(input: ParsedInput, io: CliIo, server: ServerPackage): ServeInputs {
  const logger = serveLogger(input, io, server)
  const settings = resolveServeSettings(input, io)
  const policyPath = trustedFile(io, settings.policy, 'policy file')
  const keyPath = settings.key === undefined ? undefined : trustedFile(io, settings.key, 'key file')
  const agentsPath = trustedFile(io, settings.agents, 'agents file')
  return {
    logger,
    settings,
    policyPath,
    keyPath,
    policy: loadPolicy(io, policyPath),
    // A key in a token is opened once the port is bound (startGate).
    keys: keysInToken(io, settings.signer, keyPath)
      ? undefined
      : loadSigningKeys(io, keyPath as string),
    agents: readAgentsFile(readTextFile(io, agentsPath, 'agents file'), agentsPath),
    storeSetting: requireStore(settings),
    approvers: loadApproversFile(io, settings.approvers),
    operations: loadPolicyOps(settings.operations, io, (path) =>
      trustedFile(io, path, 'shadow policy file'),
    ),
  }
}

/** Reads the shadow candidate and retention settings again, for SIGHUP. */
function operationsReloader(
  input: ParsedInput,
  gate: LocalGate,
  retention: RetentionSwitch,
  io: CliIo,
): () => OperationsReload {
  return () =>
    reloadPolicyOps({
      read: () => reloadOperationsSettings(input, io),
      load: (next) =>
        loadPolicyOps(next, io, (path) => trustedFile(io, path, 'shadow policy file')),
      gate,
      retention,
    })
}

/** The approvers file (`--approvers`), checked like the other trusted files. */
function loadApproversFile(io: CliIo, path: string | undefined): ApproverDirectory | undefined {
  if (path === undefined) return undefined
  const trusted = trustedFile(io, path, 'approvers file')
  try {
    return parseApprovers(readTextFile(io, trusted, 'approvers file'))
  } catch (error) {
    throw new CliError(
      'CONFIG_INVALID',
      `The approvers file ${trusted} is invalid: ${(error as Error).message}`,
    )
  }
}

/** Guards the chain against a lost history, creates the gate and checkpoints the chain as found. */
async function startGate(
  { settings, policy, keys, approvers, approvals, operations }: ServeInputs,
  store: Store,
  listener: BoundAuthority,
  io: CliIo,
): Promise<LocalGate> {
  const archive =
    settings.checkpointDir === undefined
      ? undefined
      : checkpointArchive(resolvePath(io, settings.checkpointDir))
  await guardChain({ store, archive, chainId: settings.chainId, newChain: settings.newChain })
  const gate = createGate({
    policy,
    keys: keys ?? (await openExternalKeys(settings, io)).ring,
    issuer: settings.issuer ?? listener.url,
    store: archive === undefined ? store : archivingStore(store, archive),
    chainId: settings.chainId,
    ...(approvers === undefined ? {} : { approvers }),
    ...(operations.shadow === undefined ? {} : { shadow: operations.shadow }),
    ...approvals?.gate,
  })
  // Evidence from the start: a checkpoint of the chain as this instance found it.
  await gate.checkpoint()
  return gate
}

function authorityFor(
  server: ServerPackage,
  inputs: ServeInputs,
  gate: LocalGate,
  io: CliIo,
): AuthorityServer {
  const { settings } = inputs
  return server.createAuthorityServer({
    gate,
    agents: inputs.agents.agents,
    operators: inputs.agents.operators,
    metrics: settings.publicMetrics ? 'public' : 'operator',
    limits: {
      ...(settings.rate === undefined ? {} : { ratePerSecond: settings.rate }),
      ...(settings.burst === undefined ? {} : { burst: settings.burst }),
      ...(settings.maxInFlight === undefined ? {} : { maxInFlight: settings.maxInFlight }),
    },
    policyFile: resolvePath(io, inputs.policyPath),
    acceptAgentContext: settings.acceptAgentContext,
    checkpointIntervalMs: settings.checkpointIntervalSeconds * 1000,
    witnesses: settings.witnesses.map(witnessEndpoint),
    logger: inputs.logger,
    ...(inputs.approvals?.page === undefined ? {} : { approvalsPage: inputs.approvals.page }),
    // The session cookie is Secure except on a loopback address, where the page is plain http.
    ...(inputs.console === true
      ? { console: { secureCookie: !/^(127\.|localhost$|::1$)/.test(settings.host) } }
      : {}),
  })
}

/** Reloads the shadow candidate and retention, logging and counting what it did. */
function reloadOperations(running: Running, log: EventLog): void {
  const result = running.operations()
  const { operationsReloads } = running.authority.metrics
  if (result.status === 'applied') {
    operationsReloads.inc({ result: 'ok' })
    const shadow = result.shadow
    log.info(
      { event: 'policy-operations-reloaded', shadow: shadow ?? null, retain: result.retain },
      `shadow ${shadow === undefined ? 'off' : `${shadow.id} ${shadow.digest}`}, retaining ${result.retain.length === 0 ? 'nothing' : result.retain.join(', ')}`,
    )
    return
  }
  operationsReloads.inc({ result: 'kept-previous' })
  const stats = running.gate.shadowStats()
  log.error(
    {
      event: 'policy-operations-reload-failed',
      code: result.error.code,
      shadow: stats === undefined ? null : { id: stats.id, digest: stats.digest },
    },
    `shadow and retention reload failed, keeping the running ones: ${result.error.message}`,
  )
}

/** Reloads the key ring, the policy and the policy operations (on SIGHUP), logging what it did. */
function reloader(running: Running, log: EventLog) {
  const { authority, gate, keyReloader } = running
  return () => {
    keyReloader.reload('signal')
    reloadOperations(running, log)
    void authority.reloadPolicy().then((result) => {
      if (result.status === 'applied')
        log.info(
          {
            event: 'policy-reloaded',
            policy: { id: result.policy.id, digest: result.policy.digest },
          },
          `policy reloaded: ${result.policy.id} ${result.policy.digest}`,
        )
      else if (result.status === 'failed')
        log.error(
          {
            event: 'policy-reload-failed',
            code: result.error.code,
            policy: { id: gate.policy.id, digest: gate.policy.digest },
          },
          `policy reload failed, still serving ${gate.policy.digest}: ${result.error.message}`,
        )
    })
  }
}

interface Running {
  readonly inputs: ServeInputs
  readonly listener: BoundAuthority
  readonly authority: AuthorityServer
  readonly gate: LocalGate
  readonly store: Store
  readonly keyReloader: KeyReloader
  /** Reloads the shadow candidate and retention (serve-policy-ops.ts). */
  readonly operations: () => OperationsReload
  readonly io: CliIo
}

/** Serves until SIGINT or SIGTERM, then drains and resolves with the exit code. */
function serveUntilSignal(running: Running): Promise<number> {
  const { inputs, listener, authority, gate, store, keyReloader } = running
  const log: EventLog = inputs.logger
  return new Promise<number>((resolve) => {
    const reload = reloader(running, log)
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGHUP', reload)
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      void shutDown({
        signal,
        listener,
        authority,
        gate,
        store,
        drainTimeoutMs: inputs.settings.drainTimeoutSeconds * 1000,
        log,
        closeWatch: () => keyReloader.close(),
      }).then(resolve)
    }
    process.on('SIGHUP', reload)
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
    // Announced only once the signals are handled: a SIGTERM sent on this line drains.
    announce(inputs, listener.url, running.io, running.gate.keyRing.active.kid)
  })
}

function announce(
  { logger, settings, policy, storeSetting }: ServeInputs,
  url: string,
  io: CliIo,
  keyId: string,
) {
  logger.info(
    {
      event: 'listening',
      url,
      chainId: settings.chainId,
      chainIdSource: settings.chainIdSource,
      policy: { id: policy.id, digest: policy.digest },
      keyId,
      issuer: settings.issuer ?? url,
      store: storeSetting.kind,
    },
    `writ: serving on ${url} (policy ${policy.id} ${policy.digest}, chain ${settings.chainId})`,
  )
  io.stderr(`writ: chain id ${settings.chainId} (${CHAIN_SOURCES[settings.chainIdSource]})\n`)
}

/** `writ token new`: a fresh bearer token for an agent, and the line for the agents file. */
export const tokenNewCommand: Command = {
  name: 'token new',
  summary: 'create a bearer token for an agent or operator of writ serve',
  positionals: { min: 0, max: 0, names: '' },
  options: {
    agent: { type: 'string' },
    operator: { type: 'string' },
    'session-key': { type: 'boolean' },
  },
  help: `Usage: writ token new (--agent ID [--session-key] | --operator NAME)

  --agent ID       a token for this agent (the sub of its receipts)
  --session-key    also a session key, so the agent's runtime can name its
                   sessions with a signed Writ-Session header
  --operator NAME  a token for this operator (checkpoints, all receipts, metrics)

Prints { agent, token, tokenSha256, sessionKey? } (or { operator, ... }) as one
JSON line. Give the token (and session key) to the agent's runtime or the
operator, never to a model; put { agent, tokenSha256, sessionKey? } under
agents, or { name, tokenSha256 } under operators, in the agents file of writ
serve. The server keeps only the token's hash; it needs the session key itself.`,
  async run(input, io) {
    const agent = stringFlag(input, 'agent')
    const operator = stringFlag(input, 'operator')
    if ((agent === undefined) === (operator === undefined))
      throw usageError('give exactly one of --agent ID or --operator NAME')
    const withSessionKey = booleanFlag(input, 'session-key')
    if (withSessionKey && agent === undefined)
      throw usageError('--session-key is for agents: give --agent ID')
    const { hashToken } = await loadServerPackage('writ token new')
    const token = `writ_${randomBytes(32).toString('base64url')}`
    io.stdout(
      jsonLine({
        ...(agent === undefined ? { operator } : { agent }),
        token,
        tokenSha256: hashToken(token),
        ...(withSessionKey ? { sessionKey: randomBytes(32).toString('base64url') } : {}),
      }),
    )
    return 0
  },
}

/** The ring of a key held in a token (`--signer`), with the key file's other keys. */
function openExternalKeys(settings: ServeSettings, io: CliIo): Promise<ExternalKeys> {
  return loadExternalKeys(io, {
    keyPath: settings.key === undefined ? undefined : resolvePath(io, settings.key),
    signerUri: settings.signer,
  })
}

/**
 * Reloads the key file on change and on SIGHUP; with a key in a token (`--signer`) the
 * ring was opened with the token and a new key takes effect on restart.
 */
function reloaderFor(inputs: ServeInputs, gate: LocalGate, io: CliIo): KeyReloader {
  if (inputs.keys === undefined || inputs.keyPath === undefined) {
    return { reload: () => ({ status: 'unchanged' }), watch() {}, close() {} }
  }
  return createKeyReloader({
    io,
    keyPath: resolvePath(io, inputs.keyPath),
    gate,
    log: inputs.logger,
  })
}
