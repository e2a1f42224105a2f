/**
 * A small Prometheus text-format registry: counters and one latency histogram,
 * with a cap on label combinations so an agent inventing action names cannot
 * blow up the metrics endpoint's memory.
 */
const MAX_SERIES = 2000

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')
}

function labelText(labels: Readonly<Record<string, string>>): string {
  const entries = Object.entries(labels)
  return entries.length === 0
    ? ''
    : `{${entries.map(([name, value]) => `${name}="${escapeLabel(value)}"`).join(',')}}`
}

/** A counter family with labels. */
export class Counter {
  private readonly series = new Map<string, number>()
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  inc(labels: Readonly<Record<string, string>> = {}, by = 1): void {
    let key = labelText(labels)
    if (!this.series.has(key) && this.series.size >= MAX_SERIES)
      key = labelText({ overflow: 'true' })
    this.series.set(key, (this.series.get(key) ?? 0) + by)
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`]
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
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`]
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

/** The metrics an authority server exports at `/metrics`. */
export interface AuthorityMetrics {
  readonly decisions: Counter
  readonly latency: Histogram
  readonly storeErrors: Counter
  readonly authFailures: Counter
  readonly policyReloads: Counter
  readonly limited: Counter
  render(): string
}

export function createMetrics(): AuthorityMetrics {
  const decisions = new Counter(
    'writ_decisions_total',
    'Decisions issued, by outcome, reason, action and policy digest.',
  )
  const latency = new Histogram(
    'writ_decision_duration_seconds',
    'Time from request to signed, stored receipt.',
  )
  const storeErrors = new Counter(
    'writ_store_errors_total',
    'Decisions refused because the store failed, by error code.',
  )
  const authFailures = new Counter(
    'writ_auth_failures_total',
    'Requests refused for missing or wrong credentials.',
  )
  const policyReloads = new Counter('writ_policy_reloads_total', 'Policy reloads, by result.')
  const limited = new Counter(
    'writ_limited_total',
    'Decision requests turned away by the per-credential rate or concurrency limit, by code.',
  )
  return {
    decisions,
    latency,
    storeErrors,
    authFailures,
    policyReloads,
    limited,
    render: () =>
      `${[decisions, latency, storeErrors, authFailures, policyReloads, limited].map((metric) => metric.render()).join('\n')}\n`,
  }
}
