/**
 * A small Prometheus text-format registry: counters, one latency histogram and gauges
 * read at scrape time, with a cap on label combinations so an agent inventing action
 * names cannot blow up the metrics endpoint's memory. Series whose labels are known in
 * advance (decision kinds, refusal codes) exist at zero from the start, so dashboards
 * and alerts have a series before the first event.
 */
import { readFileSync } from 'node:fs'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { ShadowStats } from '@writ/core'
import { INPUT_ERROR_CODES } from '@writ/verify'

const MAX_SERIES = 2000

type Labels = Readonly<Record<string, string>>

/** A label value that needs escaping: a backslash, a newline or a double quote. */
const ESCAPED = /[\\\n"]/

function escapeLabel(value: string): string {
  if (!ESCAPED.test(value)) return value
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
}

function labelText(labels: Labels): string {
  let text = ''
  for (const name in labels)
    text += `${text === '' ? '{' : ','}${name}="${escapeLabel(labels[name] as string)}"`
  return text === '' ? '' : `${text}}`
}

function header(name: string, help: string, type: string): string[] {
  return [`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`]
}

const OVERFLOW = labelText({ overflow: 'true' })

/** A counter family with labels. */
export class Counter {
  private readonly series = new Map<string, number>()
  constructor(
    readonly name: string,
    readonly help: string,
    seeded: readonly Labels[] = [],
  ) {
    for (const labels of seeded) this.series.set(labelText(labels), 0)
  }

  inc(labels: Labels = {}, by = 1): void {
    let key = labelText(labels)
    let current = this.series.get(key)
    if (current === undefined) {
      if (this.series.size >= MAX_SERIES) key = OVERFLOW
      current = this.series.get(key) ?? 0
    }
    this.series.set(key, current + by)
  }

  /** The current value of one series (0 when it has none yet). */
  value(labels: Labels = {}): number {
    return this.series.get(labelText(labels)) ?? 0
  }

  render(): string {
    const lines = header(this.name, this.help, 'counter')
    for (const [labels, value] of this.series) lines.push(`${this.name}${labels} ${value}`)
    return lines.join('\n')
  }
}

/** A histogram of seconds, with fixed buckets suited to sub-millisecond decisions. */
export class Histogram {
  private readonly buckets = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
  ]
  private readonly counts = new Array<number>(this.buckets.length).fill(0)
  private sum = 0
  private count = 0
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  observe(seconds: number): void {
    this.sum += seconds
    this.count += 1
    for (let index = 0; index < this.buckets.length; index++) {
      if (seconds <= (this.buckets[index] as number))
        this.counts[index] = (this.counts[index] as number) + 1
    }
  }

  render(): string {
    const lines = header(this.name, this.help, 'histogram')
    for (const [index, bound] of this.buckets.entries()) {
      lines.push(`${this.name}_bucket{le="${bound}"} ${this.counts[index]}`)
    }
    lines.push(
      `${this.name}_bucket{le="+Inf"} ${this.count}`,
      `${this.name}_sum ${this.sum}`,
      `${this.name}_count ${this.count}`,
    )
    return lines.join('\n')
  }
}

/** A family read when scraped: a gauge or counter whose value the process already knows. */
class Sampled {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'gauge' | 'counter',
    private readonly sample: () => number,
    private readonly labels: Labels = {},
  ) {}

  render(): string {
    const value = this.sample()
    return [
      ...header(this.name, this.help, this.type),
      `${this.name}${labelText(this.labels)} ${Number.isFinite(value) ? value : 0}`,
    ].join('\n')
  }
}

/** The decision kinds, each a zero series of `writ_decision_outcomes_total` from the start. */
export const DECISION_KINDS = ['PERMIT', 'DENY', 'SILENCE'] as const

/**
 * The refusals the authority answers with, by HTTP status: each is a zero series of
 * `writ_refusals_total` from the start. Codes not listed here are counted when they
 * happen.
 */
export const KNOWN_REFUSALS: Readonly<Record<string, readonly string[]>> = {
  '400': [
    ...INPUT_ERROR_CODES.filter((code) => code !== 'INPUT_TOO_LARGE'),
    'CONTEXT_NOT_ACCEPTED',
    'SESSION_NOT_ACCEPTED',
  ],
  '401': ['UNAUTHENTICATED', 'SESSION_INVALID'],
  '403': ['AGENT_REQUIRED', 'OPERATOR_REQUIRED', 'AUDIENCE_NOT_ALLOWED'],
  '413': ['BODY_TOO_LARGE'],
  '429': ['RATE_LIMITED', 'CONCURRENCY_LIMITED'],
  '500': ['GATE_ERROR', 'STORE_CORRUPT', 'INTERNAL'],
  '503': [
    'STORE_UNAVAILABLE',
    'STORE_FULL',
    'STORE_CONFLICT',
    'KEY_MISSING',
    'KEY_INVALID',
    'SIGNER_UNAVAILABLE',
  ],
  '504': ['GATE_TIMEOUT'],
}

/** The metrics an authority server exports at `/metrics`. */
export interface AuthorityMetrics {
  /** Decisions by outcome, reason, action and policy digest. */
  readonly decisions: Counter
  /** Decisions by policy digest, deciding rule and outcome: the drift signal. */
  readonly policyDecisions: Counter
  /** Decisions by outcome alone; every outcome is a series from the start. */
  readonly decisionOutcomes: Counter
  readonly latency: Histogram
  readonly storeErrors: Counter
  readonly authFailures: Counter
  readonly policyReloads: Counter
  /** Reloads of the shadow candidate and retention settings (`writ serve` on SIGHUP), by result. */
  readonly operationsReloads: Counter
  readonly limited: Counter
  /** HTTP requests answered, by route pattern and status. */
  readonly httpRequests: Counter
  /** Problem responses (every 4xx and 5xx the authority answers), by status and code. */
  readonly refusals: Counter
  render(): string
}

/** Where the build information comes from; the defaults read this package and the runtime. */
export interface MetricsOptions {
  readonly version?: string
  readonly nodeVersion?: string
  /** The gate's shadow candidate counters (`LocalGate.shadowStats`), sampled at each scrape. */
  readonly shadow?: () => ShadowStats | undefined
}

/** The shadow candidate's counters, one series each labelled with the candidate's digest. */
class ShadowFamilies {
  constructor(private readonly sample: () => ShadowStats | undefined) {}

  render(): string {
    const stats = this.sample()
    const families = [
      [
        'writ_shadow_evaluations_total',
        'Requests the shadow candidate policy evaluated.',
        'evaluated',
      ],
      [
        'writ_shadow_disagreements_total',
        'Requests on which the shadow candidate decided otherwise than the enforcing policy.',
        'disagreements',
      ],
      [
        'writ_shadow_failures_total',
        'Shadow evaluations or records that failed (the enforcing decision stood).',
        'failures',
      ],
    ] as const
    return families
      .map(([name, help, member]) =>
        [
          ...header(name, help, 'counter'),
          ...(stats === undefined
            ? []
            : [`${name}${labelText({ candidate_digest: stats.digest })} ${stats[member]}`]),
        ].join('\n'),
      )
      .join('\n')
  }
}

function serverVersion(): string {
  try {
    const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8')
    const version = (JSON.parse(text) as { version?: unknown }).version
    return typeof version === 'string' ? version : 'unknown'
  } catch {
    return 'unknown'
  }
}

// One event-loop monitor for the process, however many servers it runs. Its timer
// does not keep the process alive.
let eventLoopDelay: ReturnType<typeof monitorEventLoopDelay> | undefined
function eventLoop(): ReturnType<typeof monitorEventLoopDelay> {
  if (eventLoopDelay === undefined) {
    eventLoopDelay = monitorEventLoopDelay({ resolution: 10 })
    eventLoopDelay.enable()
  }
  return eventLoopDelay
}

const cpuSeconds = (part: 'user' | 'system' | 'both') => () => {
  const usage = process.cpuUsage()
  const micros = part === 'both' ? usage.user + usage.system : usage[part]
  return micros / 1e6
}
const startTime = Math.round((Date.now() - process.uptime() * 1000) / 1000)

/** Process and runtime families, named as Prometheus client libraries name them. */
const PROCESS_FAMILIES: readonly (readonly [string, string, 'gauge' | 'counter', () => number])[] =
  [
    [
      'process_cpu_user_seconds_total',
      'User CPU time spent, in seconds.',
      'counter',
      cpuSeconds('user'),
    ],
    [
      'process_cpu_system_seconds_total',
      'System CPU time spent, in seconds.',
      'counter',
      cpuSeconds('system'),
    ],
    [
      'process_cpu_seconds_total',
      'User and system CPU time spent, in seconds.',
      'counter',
      cpuSeconds('both'),
    ],
    [
      'process_resident_memory_bytes',
      'Resident memory size, in bytes.',
      'gauge',
      () => process.memoryUsage.rss(),
    ],
    [
      'process_start_time_seconds',
      'Start time of the process since the Unix epoch, in seconds.',
      'gauge',
      () => startTime,
    ],
    [
      'nodejs_heap_size_used_bytes',
      'V8 heap in use, in bytes.',
      'gauge',
      () => process.memoryUsage().heapUsed,
    ],
    [
      'nodejs_heap_size_total_bytes',
      'V8 heap allocated, in bytes.',
      'gauge',
      () => process.memoryUsage().heapTotal,
    ],
    [
      'nodejs_eventloop_lag_seconds',
      'Mean event loop delay since the last scrape, in seconds.',
      'gauge',
      () => (eventLoop().count === 0 ? 0 : eventLoop().mean / 1e9),
    ],
    [
      'nodejs_eventloop_lag_max_seconds',
      'Longest event loop delay in the last scrape interval, in seconds.',
      'gauge',
      // Rendered after the mean: reading the longest delay starts the next interval.
      () => {
        const loop = eventLoop()
        const max = loop.count === 0 ? 0 : loop.max / 1e9
        loop.reset()
        return max
      },
    ],
  ]

/** The Writ families, with their known series at zero. */
function writFamilies() {
  const seeded = (label: string, values: readonly string[]) =>
    values.map((value) => ({ [label]: value }))
  return {
    decisions: new Counter(
      'writ_decisions_total',
      'Decisions issued, by outcome, reason, action and policy digest.',
    ),
    policyDecisions: new Counter(
      'writ_policy_decisions_total',
      'Decisions issued, by policy digest, deciding rule (none when no rule decided) and outcome.',
    ),
    decisionOutcomes: new Counter(
      'writ_decision_outcomes_total',
      'Decisions issued, by outcome.',
      seeded('decision', DECISION_KINDS),
    ),
    latency: new Histogram(
      'writ_decision_duration_seconds',
      'Time from request to signed, stored receipt.',
    ),
    storeErrors: new Counter(
      'writ_store_errors_total',
      'Decisions and checkpoints refused because the store failed, by error code.',
      seeded('code', ['STORE_UNAVAILABLE', 'STORE_FULL', 'STORE_CONFLICT', 'CHECKPOINT']),
    ),
    authFailures: new Counter(
      'writ_auth_failures_total',
      'Requests refused for missing or wrong credentials.',
      [{}],
    ),
    policyReloads: new Counter(
      'writ_policy_reloads_total',
      'Policy reloads, by result.',
      seeded('result', ['ok', 'kept-previous', 'superseded']),
    ),
    operationsReloads: new Counter(
      'writ_policy_operations_reloads_total',
      'Reloads of the shadow candidate and argument retention settings, by result.',
      seeded('result', ['ok', 'kept-previous']),
    ),
    limited: new Counter(
      'writ_limited_total',
      'Decision requests turned away by the per-credential rate or concurrency limit, by code.',
      seeded('code', ['RATE_LIMITED', 'CONCURRENCY_LIMITED']),
    ),
    httpRequests: new Counter(
      'writ_http_requests_total',
      'HTTP requests answered, by route and status.',
    ),
    refusals: new Counter(
      'writ_refusals_total',
      'Requests refused with a problem response, by status and code.',
      Object.entries(KNOWN_REFUSALS).flatMap(([status, codes]) =>
        codes.map((code) => ({ status, code })),
      ),
    ),
  }
}

export function createMetrics(options: MetricsOptions = {}): AuthorityMetrics {
  const writ = writFamilies()
  eventLoop()
  const families: { render(): string }[] = [
    new Sampled(
      'writ_build_info',
      'The running Writ server: version and Node.js version. Always 1.',
      'gauge',
      () => 1,
      { version: options.version ?? serverVersion(), node: options.nodeVersion ?? process.version },
    ),
    ...Object.values(writ),
    ...(options.shadow === undefined ? [] : [new ShadowFamilies(options.shadow)]),
    ...PROCESS_FAMILIES.map(([name, help, type, sample]) => new Sampled(name, help, type, sample)),
  ]
  return {
    ...writ,
    render: () => `${families.map((family) => family.render()).join('\n')}\n`,
  }
}
