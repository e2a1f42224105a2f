/**
 * The settings of `writ serve`, from flags, `WRIT_*` environment variables and a YAML
 * config file (`--config`), in that order of precedence, then defaults. Secrets (a
 * PostgreSQL URL with a password) come from the environment or a file, never argv.
 */
import { statSync } from 'node:fs'
import { hostname as osHostname } from 'node:os'
import { dirname, isAbsolute, resolve } from 'node:path'
import { isNode, LineCounter, parseDocument } from 'yaml'
import { z } from 'zod'
import { CliError, usageError } from './cli-error.js'
import { booleanFlag, type ParsedInput, stringFlag, stringFlags } from './command.js'
import { requireOwnerWritable } from './file-safety.js'
import { readTextFile, requireFile, resolvePath } from './files.js'
import type { CliIo } from './io.js'

/** Where a setting came from, said at startup for the chain id. */
export type SettingSource = 'flag' | 'environment' | 'config file' | 'host name' | 'default'

/** The store `writ serve` writes. */
export type StoreSetting =
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'postgres'; readonly url: string }

/** Everything `writ serve` runs with, validated. */
export interface ServeSettings {
  readonly policy: string
  /** The key file; optional when `signer` names the active key. */
  readonly key: string | undefined
  /** A PKCS#11 URI of the active key, held in a token (never with its PIN). */
  readonly signer: string | undefined
  readonly agents: string
  /** `undefined` when none was given: serve reports it after checking its files. */
  readonly store: StoreSetting | undefined
  readonly chainId: string
  readonly chainIdSource: SettingSource
  /** `undefined` only for a loopback host: then `http://HOST:PORT` of the bound port. */
  readonly issuer: string | undefined
  readonly host: string
  readonly port: number
  readonly checkpointIntervalSeconds: number
  /** Where every checkpoint is also kept; `undefined` for PostgreSQL without one. */
  readonly checkpointDir: string | undefined
  readonly drainTimeoutSeconds: number
  readonly acceptAgentContext: boolean
  readonly publicMetrics: boolean
  readonly rate: number | undefined
  readonly burst: number | undefined
  readonly maxInFlight: number | undefined
  readonly newChain: boolean
  /** The approvers file (groups, approvers and their public keys), when one is given. */
  readonly approvers: string | undefined
  /** Witnesses asked to cosign each checkpoint note, as `URL=VKEY` (spec section 12). */
  readonly witnesses: readonly string[]
  /** The shadow candidate and argument retention; reloaded on SIGHUP. */
  readonly operations: OperationsSettings
}

/**
 * The policy-operations settings of `writ serve`: a shadow candidate and argument
 * retention, each from its flags when any is given, else from the config file.
 */
export interface OperationsSettings {
  /** The shadow candidate's file (`--shadow`, else `shadow` in the config file). */
  readonly shadow: string | undefined
  /** Actions whose arguments are kept (`--retain`, else `retain`); empty: none. */
  readonly retain: readonly string[]
  /** Paths kept only as their digest (`--redact`, else `redact`). */
  readonly redact: readonly string[]
  /** The shadow candidate was named by a flag: a reload keeps that file. */
  readonly shadowFromFlag: boolean
  /** Retention was set by flags: a reload keeps it. */
  readonly retentionFromFlag: boolean
}

/** The `WRIT_*` variables `writ serve` reads, and the setting each one sets. */
export const SERVE_ENVIRONMENT = Object.freeze({
  WRIT_CONFIG: 'config',
  WRIT_POLICY: 'policy',
  WRIT_KEY: 'key',
  WRIT_SIGNER: 'signer',
  WRIT_AGENTS: 'agents',
  WRIT_STORE: 'store',
  WRIT_STORE_URL: 'storeUrl',
  WRIT_STORE_URL_FILE: 'storeUrlFile',
  WRIT_CHAIN_ID: 'chainId',
  WRIT_ISSUER: 'issuer',
  WRIT_HOST: 'host',
  WRIT_PORT: 'port',
  WRIT_CHECKPOINT_INTERVAL: 'checkpointInterval',
  WRIT_CHECKPOINT_DIR: 'checkpointDir',
  WRIT_DRAIN_TIMEOUT: 'drainTimeout',
  WRIT_ACCEPT_AGENT_CONTEXT: 'acceptAgentContext',
  WRIT_PUBLIC_METRICS: 'publicMetrics',
  WRIT_RATE: 'rate',
  WRIT_BURST: 'burst',
  WRIT_MAX_IN_FLIGHT: 'maxInFlight',
  WRIT_APPROVERS: 'approvers',
} as const)

const positive = z.number().positive().max(9_999_999)
const wholeSeconds = z.number().int().min(1).max(9_999_999)

/** The config file: every member optional, nothing unknown. */
const configSchema = z.strictObject({
  policy: z.string().min(1).optional(),
  key: z.string().min(1).optional(),
  signer: z.string().min(1).optional(),
  agents: z.string().min(1).optional(),
  store: z.string().min(1).optional(),
  storeUrlFile: z.string().min(1).optional(),
  chainId: z.string().min(1).max(256).optional(),
  issuer: z.string().min(1).max(1024).optional(),
  host: z.string().min(1).optional(),
  port: z.number().int().min(0).max(65535).optional(),
  checkpointInterval: wholeSeconds.optional(),
  checkpointDir: z.string().min(1).optional(),
  drainTimeout: positive.optional(),
  acceptAgentContext: z.boolean().optional(),
  publicMetrics: z.boolean().optional(),
  rate: positive.optional(),
  burst: positive.optional(),
  maxInFlight: z.number().int().min(1).max(9_999_999).optional(),
  approvers: z.string().min(1).optional(),
  witnesses: z.array(z.string().min(1)).max(64).optional(),
  shadow: z.string().min(1).optional(),
  retain: z.array(z.string().min(1).max(256)).max(64).optional(),
  redact: z.array(z.string().min(1).max(256)).max(64).optional(),
})
type ConfigFile = z.infer<typeof configSchema>

/** The flags of `writ serve` that this module reads. */
export const SERVE_FLAGS = {
  config: { type: 'string' },
  policy: { type: 'string' },
  key: { type: 'string' },
  signer: { type: 'string' },
  agents: { type: 'string' },
  store: { type: 'string' },
  'store-url-file': { type: 'string' },
  postgres: { type: 'string' },
  'chain-id': { type: 'string' },
  chain: { type: 'string' },
  'new-chain': { type: 'boolean' },
  issuer: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  'checkpoint-interval': { type: 'string' },
  'checkpoint-dir': { type: 'string' },
  'drain-timeout': { type: 'string' },
  'accept-agent-context': { type: 'boolean' },
  'public-metrics': { type: 'boolean' },
  rate: { type: 'string' },
  burst: { type: 'string' },
  'max-in-flight': { type: 'string' },
  approvers: { type: 'string' },
  witness: { type: 'string', multiple: true },
} as const

const DEFAULT_PORT = 8787
const DEFAULT_HOST = '127.0.0.1'
const DEFAULT_CHECKPOINT_INTERVAL_SECONDS = 60
const DEFAULT_DRAIN_TIMEOUT_SECONDS = 10

function configError(message: string, details: Record<string, unknown> = {}): CliError {
  return new CliError('CONFIG_INVALID', message, { details })
}

/** Reads and validates the config file; errors name the file, line and column. */
function readConfigFile(io: CliIo, path: string): { config: ConfigFile; dir: string } {
  const absolute = requireFile(io, path, 'config file')
  requireOwnerWritable(absolute, 'config file')
  const text = readTextFile(io, absolute, 'config file')
  const lineCounter = new LineCounter()
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true })
  const where = (offset: number | undefined) => {
    if (offset === undefined) return { text: absolute, line: undefined, column: undefined }
    const position = lineCounter.linePos(offset)
    return {
      text: `${absolute}:${position.line}:${position.col}`,
      line: position.line,
      column: position.col,
    }
  }
  const syntax = document.errors[0]
  if (syntax !== undefined) {
    const at = where(syntax.pos[0])
    throw configError(`${at.text}: ${syntax.message.split('\n')[0]}`, {
      path: absolute,
      line: at.line,
      column: at.column,
    })
  }
  const parsed = configSchema.safeParse(document.toJS() ?? {})
  if (!parsed.success) {
    const issue = parsed.error.issues[0] as z.core.$ZodIssue
    const path = issue.path.map((part) => (typeof part === 'symbol' ? String(part) : part))
    // An unknown member is reported where it is written.
    const keys = issue.code === 'unrecognized_keys' ? [...path, issue.keys[0] ?? ''] : path
    let offset: number | undefined
    for (let length = keys.length; length >= 0 && offset === undefined; length--) {
      const node = document.getIn(keys.slice(0, length), true)
      if (isNode(node)) offset = node.range?.[0]
      if (issue.code === 'unrecognized_keys' && length === keys.length) {
        const pair = findPair(document.contents, keys[keys.length - 1])
        if (pair !== undefined) offset = pair
      }
    }
    const at = where(offset)
    const member = keys.join('.') || '(top level)'
    throw configError(`${at.text}: ${member}: ${issue.message}`, {
      path: absolute,
      member,
      line: at.line,
      column: at.column,
    })
  }
  if (parsed.data.store !== undefined && hasPassword(parsed.data.store)) {
    throw configError(
      `${absolute}: store: the PostgreSQL URL holds a password; put the URL in a file named by storeUrlFile, or in WRIT_STORE_URL`,
      { path: absolute, member: 'store' },
    )
  }
  return { config: parsed.data, dir: dirname(absolute) }
}

function findPair(contents: unknown, key: unknown): number | undefined {
  const items = (contents as { items?: { key?: { value?: unknown; range?: number[] } }[] })?.items
  const pair = items?.find((item) => item.key?.value === key)
  return pair?.key?.range?.[0]
}

/** True for a `postgres://` or `postgresql://` URL. */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value)
}

/** True for a connection URL that carries a password (`postgres://user:secret@host/db`). */
export function hasPassword(value: string): boolean {
  if (!isPostgresUrl(value)) return false
  try {
    return new URL(value).password !== ''
  } catch {
    return /:\/\/[^/@]*:[^/@]*@/.test(value)
  }
}

function numberSetting(
  value: string | undefined,
  name: string,
  options: { integer?: boolean; min?: number; max?: number } = {},
): number | undefined {
  if (value === undefined) return undefined
  const min = options.min ?? Number.MIN_VALUE
  const max = options.max ?? 9_999_999
  const valid = options.integer
    ? /^[0-9]{1,7}$/.test(value)
    : /^[0-9]{1,7}(\.[0-9]{1,3})?$/.test(value)
  const number = Number(value)
  if (!valid || number < min || number > max) {
    const range = options.integer ? 'a whole number' : 'a number'
    throw usageError(
      `${name} must be ${range} from ${min === Number.MIN_VALUE ? 'above 0' : min} to ${max}`,
    )
  }
  return number
}

function booleanSetting(value: string | undefined, name: string): boolean | undefined {
  if (value === undefined || value === '') return undefined
  if (value === 'true' || value === '1') return true
  if (value === 'false' || value === '0') return false
  throw usageError(`${name} must be true or false`)
}

/** True for an address only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

/** Reads a secret file: it must be readable and writable by its owner only. */
export function readSecretFile(io: CliIo, path: string, what: string): string {
  const absolute = requireFile(io, path, what)
  requireOwnerWritable(absolute, what)
  if (process.platform !== 'win32' && (statSync(absolute).mode & 0o044) !== 0) {
    throw new CliError(
      'FILE_UNSAFE',
      `${what} ${absolute} is readable by others; make it readable by its owner only (chmod 600)`,
      { details: { path: absolute } },
    )
  }
  const text = readTextFile(io, absolute, what).trim()
  if (text === '') throw usageError(`${what} ${absolute} is empty`)
  return text
}

type ServeVariable = keyof typeof SERVE_ENVIRONMENT

/** Where `writ serve` reads each setting from: flags, then variables, then the config file. */
interface SettingSources {
  readonly input: ParsedInput
  readonly io: CliIo
  readonly config: ConfigFile
  /** A `WRIT_*` variable, with an empty value read as unset. */
  variable(name: ServeVariable): string | undefined
  /** A path from the config file, relative to the file. */
  fromFile(path: string | undefined): string | undefined
}

/** A flag, else a variable, as text. */
function flagOrVariable(sources: SettingSources, flag: string, variable: ServeVariable) {
  return stringFlag(sources.input, flag) ?? sources.variable(variable)
}

/** A path from a flag or variable (relative to the cwd), else the config file's (relative to it). */
function pathSetting(
  sources: SettingSources,
  flag: string,
  variable: ServeVariable,
  member: string | undefined,
): string | undefined {
  const given = flagOrVariable(sources, flag, variable)
  return given !== undefined ? resolvePath(sources.io, given) : sources.fromFile(member)
}

function numberFrom(
  sources: SettingSources,
  flag: string,
  variable: ServeVariable,
  options: { integer?: boolean; min?: number; max?: number } = {},
): number | undefined {
  return numberSetting(flagOrVariable(sources, flag, variable), `--${flag}`, options)
}

function booleanFrom(sources: SettingSources, flag: string, variable: ServeVariable) {
  return booleanFlag(sources.input, flag)
    ? true
    : booleanSetting(sources.variable(variable), variable)
}

function refuseSecretsInArgv(input: ParsedInput): void {
  for (const flag of ['store', 'postgres'] as const) {
    const value = stringFlag(input, flag)
    if (value !== undefined && hasPassword(value)) {
      throw new CliError(
        'SECRET_ON_COMMAND_LINE',
        `--${flag} holds a password, which anyone on this machine can read from the process list; set WRIT_STORE_URL, or name a file with the URL in --store-url-file (storeUrlFile in the config file)`,
      )
    }
  }
}

function settingSources(input: ParsedInput, io: CliIo): SettingSources {
  const env = io.env ?? process.env
  const variable = (name: ServeVariable) => {
    const value = env[name]
    return value === undefined || value === '' ? undefined : value
  }
  const configPath = stringFlag(input, 'config') ?? variable('WRIT_CONFIG')
  const file =
    configPath === undefined
      ? { config: {} as ConfigFile, dir: io.cwd }
      : readConfigFile(io, resolvePath(io, configPath))
  return {
    input,
    io,
    config: file.config,
    variable,
    fromFile: (path) =>
      path === undefined ? undefined : isAbsolute(path) ? path : resolve(file.dir, path),
  }
}

function requiredFiles(sources: SettingSources) {
  const { config } = sources
  const required = (flag: 'policy' | 'key' | 'agents', variable: ServeVariable) => {
    const value = pathSetting(sources, flag, variable, config[flag])
    if (value === undefined)
      throw usageError(`missing required setting --${flag} (${flag} in the config file)`)
    return value
  }
  const signer =
    stringFlag(sources.input, 'signer') ?? sources.variable('WRIT_SIGNER') ?? config.signer
  return {
    policy: required('policy', 'WRIT_POLICY'),
    // A key in a token needs no key file; one may still list retired keys.
    key:
      signer === undefined
        ? required('key', 'WRIT_KEY')
        : pathSetting(sources, 'key', 'WRIT_KEY', config.key),
    signer,
    agents: required('agents', 'WRIT_AGENTS'),
  }
}

/** The chain id and where it came from; the host name when nothing names one. */
function resolveChainId(sources: SettingSources): {
  chainId: string
  chainIdSource: SettingSource
} {
  const flag = stringFlag(sources.input, 'chain-id') ?? stringFlag(sources.input, 'chain')
  const variable = sources.variable('WRIT_CHAIN_ID')
  const [chainId, chainIdSource]: [string, SettingSource] =
    flag !== undefined
      ? [flag, 'flag']
      : variable !== undefined
        ? [variable, 'environment']
        : sources.config.chainId !== undefined
          ? [sources.config.chainId, 'config file']
          : [osHostname(), 'host name']
  if (chainId === '' || chainId.length > 256)
    throw usageError('the chain id must be 1 to 256 characters')
  return { chainId, chainIdSource }
}

/** Host, port and issuer; a host other machines can reach needs an issuer. */
function resolveListener(sources: SettingSources) {
  const { config } = sources
  const host = flagOrVariable(sources, 'host', 'WRIT_HOST') ?? config.host ?? DEFAULT_HOST
  const port =
    numberFrom(sources, 'port', 'WRIT_PORT', { integer: true, min: 0, max: 65535 }) ??
    config.port ??
    DEFAULT_PORT
  const issuer = flagOrVariable(sources, 'issuer', 'WRIT_ISSUER') ?? config.issuer
  if (issuer === undefined && !isLoopback(host)) {
    throw new CliError(
      'ISSUER_REQUIRED',
      `--host ${host} is reachable from other machines: set --issuer (WRIT_ISSUER, issuer in the config file) to the URL agents and receiving services know this authority by; it is signed into every receipt`,
    )
  }
  return { host, port, issuer }
}

function resolveTimings(sources: SettingSources) {
  const { config } = sources
  return {
    checkpointIntervalSeconds:
      numberFrom(sources, 'checkpoint-interval', 'WRIT_CHECKPOINT_INTERVAL', {
        integer: true,
        min: 1,
      }) ??
      config.checkpointInterval ??
      DEFAULT_CHECKPOINT_INTERVAL_SECONDS,
    drainTimeoutSeconds:
      numberFrom(sources, 'drain-timeout', 'WRIT_DRAIN_TIMEOUT') ??
      config.drainTimeout ??
      DEFAULT_DRAIN_TIMEOUT_SECONDS,
  }
}

function resolveAccess(sources: SettingSources) {
  const { config } = sources
  return {
    acceptAgentContext:
      booleanFrom(sources, 'accept-agent-context', 'WRIT_ACCEPT_AGENT_CONTEXT') ??
      config.acceptAgentContext ??
      false,
    publicMetrics:
      booleanFrom(sources, 'public-metrics', 'WRIT_PUBLIC_METRICS') ??
      config.publicMetrics ??
      false,
    rate: numberFrom(sources, 'rate', 'WRIT_RATE') ?? config.rate,
    burst: numberFrom(sources, 'burst', 'WRIT_BURST') ?? config.burst,
    maxInFlight:
      numberFrom(sources, 'max-in-flight', 'WRIT_MAX_IN_FLIGHT', { integer: true, min: 1 }) ??
      config.maxInFlight,
  }
}

/**
 * Resolves the settings of `writ serve`: flags, then `WRIT_*` variables, then the config
 * file, then defaults. Throws `SECRET_ON_COMMAND_LINE` for a password in argv,
 * `CONFIG_INVALID` for a bad config file (with line and column), `ISSUER_REQUIRED` when
 * a non-loopback host has no issuer, and usage errors for malformed values.
 */
export function resolveServeSettings(input: ParsedInput, io: CliIo): ServeSettings {
  refuseSecretsInArgv(input)
  const sources = settingSources(input, io)
  const files = requiredFiles(sources)
  const store = resolveStore(sources)
  const checkpointDir =
    pathSetting(sources, 'checkpoint-dir', 'WRIT_CHECKPOINT_DIR', sources.config.checkpointDir) ??
    (store?.kind === 'sqlite' ? `${store.path}.checkpoints` : undefined)
  return {
    ...files,
    store,
    ...resolveChainId(sources),
    ...resolveListener(sources),
    ...resolveTimings(sources),
    checkpointDir,
    ...resolveAccess(sources),
    newChain: booleanFlag(input, 'new-chain'),
    approvers: pathSetting(sources, 'approvers', 'WRIT_APPROVERS', sources.config.approvers),
    witnesses:
      stringFlags(input, 'witness').length > 0
        ? stringFlags(input, 'witness')
        : (sources.config.witnesses ?? []),
    operations: resolveOperations(sources),
  }
}

/**
 * The policy-operations settings: `--shadow` wins over `shadow`, and `--retain` (with
 * `--redact`) over `retain` and `redact` in the config file, as a pair.
 *
 * @throws CliError `USAGE` for `--redact` without `--retain`; `CONFIG_INVALID` for
 * `redact` without `retain` in the config file.
 */
function resolveOperations({ input, io, config, fromFile }: SettingSources): OperationsSettings {
  const shadowFlag = stringFlag(input, 'shadow')
  const retain = stringFlags(input, 'retain')
  const redact = stringFlags(input, 'redact')
  if (redact.length > 0 && retain.length === 0)
    throw usageError('--redact applies to retained arguments: give --retain GLOB too')
  if ((config.redact?.length ?? 0) > 0 && (config.retain?.length ?? 0) === 0)
    throw configError('redact applies to retained arguments: give retain too', {
      member: 'redact',
    })
  const fromFlags = retain.length > 0
  return {
    shadow: shadowFlag !== undefined ? resolvePath(io, shadowFlag) : fromFile(config.shadow),
    retain: fromFlags ? retain : (config.retain ?? []),
    redact: fromFlags ? redact : (config.redact ?? []),
    shadowFromFlag: shadowFlag !== undefined,
    retentionFromFlag: fromFlags,
  }
}

/**
 * The policy-operations settings as they are now: the config file read again (for a
 * reload on SIGHUP), flags still winning.
 *
 * @throws CliError `CONFIG_INVALID` or `FILE_UNSAFE` for a config file that is no
 * longer valid or safe.
 */
export function reloadOperationsSettings(input: ParsedInput, io: CliIo): OperationsSettings {
  return resolveOperations(settingSources(input, io))
}

function resolveStore({ input, io, config, fromFile }: SettingSources): StoreSetting | undefined {
  const flagStore = stringFlag(input, 'store')
  const flagPostgres = stringFlag(input, 'postgres')
  const flagUrlFile = stringFlag(input, 'store-url-file')
  const given = [flagStore, flagPostgres, flagUrlFile].filter((value) => value !== undefined)
  if (given.length > 1)
    throw usageError('give one of --store DB, --postgres URL or --store-url-file FILE')
  if (flagStore !== undefined) return storeAt(flagStore, (path) => resolvePath(io, path))
  if (flagPostgres !== undefined) return { kind: 'postgres', url: flagPostgres }
  if (flagUrlFile !== undefined)
    return { kind: 'postgres', url: readSecretFile(io, flagUrlFile, 'store URL file') }
  const fromEnvironment = environmentStore(io)
  if (fromEnvironment !== undefined) return fromEnvironment
  if (config.storeUrlFile !== undefined)
    return {
      kind: 'postgres',
      url: readSecretFile(io, fromFile(config.storeUrlFile) as string, 'store URL file'),
    }
  if (config.store !== undefined) return storeAt(config.store, (path) => fromFile(path) as string)
  return undefined
}

/** A `postgres://` URL names a PostgreSQL store; anything else a SQLite file at `path(value)`. */
export function storeAt(value: string, path: (value: string) => string): StoreSetting {
  return isPostgresUrl(value)
    ? { kind: 'postgres', url: value }
    : { kind: 'sqlite', path: path(value) }
}

/**
 * The store the environment names: `WRIT_STORE_URL`, then `WRIT_STORE_URL_FILE` (read
 * from a file only its owner may read), then `WRIT_STORE` (a SQLite path relative to
 * the cwd, or a URL). Empty values are unset.
 */
export function environmentStore(io: CliIo): StoreSetting | undefined {
  const env = io.env ?? process.env
  const variable = (name: string) => (env[name] === '' ? undefined : env[name])
  const url = variable('WRIT_STORE_URL')
  if (url !== undefined) return { kind: 'postgres', url }
  const urlFile = variable('WRIT_STORE_URL_FILE')
  if (urlFile !== undefined)
    return { kind: 'postgres', url: readSecretFile(io, urlFile, 'store URL file') }
  const store = variable('WRIT_STORE')
  return store === undefined ? undefined : storeAt(store, (path) => resolvePath(io, path))
}

/** The store of `settings`, or a usage error when none was given. */
export function requireStore(settings: ServeSettings): StoreSetting {
  if (settings.store === undefined)
    throw usageError(
      'no store: give --store DB (SQLite), or a PostgreSQL URL in WRIT_STORE_URL or --store-url-file FILE',
    )
  return settings.store
}
