// Regenerates the measured part of docs/performance.md from bench/results/*.json (the
// full runs, never the smoke ones): everything between `<!-- bench:begin -->` and
// `<!-- bench:end -->`. The prose around it (what the numbers mean, why a target is
// missed) is written by hand.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'

const docPath = new URL('../docs/performance.md', import.meta.url)
const read = (suite) => {
  const file = new URL(`./results/${suite}.json`, import.meta.url)
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined
}
const results = Object.fromEntries(
  ['decisions', 'scale', 'verify', 'server', 'chain', 'chain-1m'].map((suite) => [
    suite,
    read(suite),
  ]),
)

// The decision and canonicalization suites also run on Node 24 (bench/run.mjs --node24).
const node24 = { decisions: read('decisions-node24'), scale: read('scale-node24') }

const integer = (value) =>
  Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a'
const fixed = (value, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a')
const percent = (value) => (Number.isFinite(value) ? `${(value * 100).toFixed(0)}%` : 'n/a')
const spread = (row) => `${integer(row.opsPerSecond.min)}–${integer(row.opsPerSecond.max)}`

function rowsTable(rows, baselineName, { latency = true } = {}) {
  const base = rows.find((row) => row.name === baselineName)
  const head = [
    'case',
    'ops/s (median)',
    'min–max over rounds',
    ...(latency ? ['p50 ms', 'p99 ms'] : []),
    `cost vs \`${baselineName}\``,
  ]
  const lines = [
    `| ${head.join(' | ')} |`,
    `|${head.map((_, index) => (index === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
  ]
  for (const row of rows) {
    const cost = base ? `${fixed(base.opsPerSecond.median / row.opsPerSecond.median)}×` : ''
    const cells = [
      row.name,
      integer(row.opsPerSecond.median),
      spread(row),
      ...(latency ? [fixed(row.latencyMs.p50, 3), fixed(row.latencyMs.p99, 3)] : []),
      cost,
    ]
    lines.push(`| ${cells.join(' | ')} |`)
  }
  return lines.join('\n')
}

function targetLine(label, value, format) {
  if (!value) return `| ${label} | not measured | | |`
  const range = value.perRound
    ? ` (rounds: ${format(value.perRound.min)}–${format(value.perRound.max)})`
    : ''
  return `| ${label} | ${value.target ?? 'informative'} | ${format(value.measured)}${range} | ${value.met === undefined ? '' : value.met ? '**met**' : '**missed**'} |`
}

const out = []
const any = Object.values(results).find(Boolean)
if (any) {
  const m = any.machine
  out.push(
    `Measured on ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.platform}; Node ${m.node} (V8 ${m.v8}, OpenSSL ${m.openssl}); load average at start ${m.loadAverage.join(' / ')}. ` +
      `Versions: ${Object.entries(m.versions)
        .filter(([, version]) => version)
        .map(([name, version]) => `${name} ${version}`)
        .join(', ')}.`,
    '',
    `Run dates: ${Object.entries(results)
      .filter(([, value]) => value)
      .map(([suite, value]) => `${suite} ${value.date.slice(0, 16).replace('T', ' ')} UTC`)
      .join('; ')}.`,
    '',
  )
}

const d = results.decisions
const s = results.scale
out.push(
  '### Targets',
  '',
  '| target | bound | measured (median of per-round ratios) | |',
  '| --- | --- | --- | --- |',
)
out.push(
  targetLine(
    'signed in-memory decision / bare Ed25519 signature (cost)',
    d?.targets.memoryDecisionVsSignature,
    (v) => `${fixed(v)}×`,
  ),
)
out.push(
  targetLine(
    'SQLite group commit / memory, 64 callers (throughput)',
    d?.targets.groupCommitVsMemoryAt64,
    percent,
  ),
)
out.push(
  targetLine(
    '`writ serve` memory / same HTTP stack answering a constant, 64 connections (throughput)',
    results.server?.targets?.memoryVsFloor,
    percent,
  ),
)
out.push(
  targetLine(
    '`writ serve` PostgreSQL / SQLite group commit, 64 connections (throughput)',
    results.server?.targets?.postgresVsSqliteGroup,
    percent,
  ),
)
out.push(
  targetLine(
    'p99 ms, memory store, 64 callers, open loop at a quarter of capacity',
    d?.targets.memoryP99OpenLoopMs,
    (v) => `${fixed(v)} ms`,
  ),
)
out.push(
  targetLine(
    'p99 ms, group commit, 64 callers, open loop at a quarter of capacity',
    d?.targets.groupCommitP99OpenLoopMs,
    (v) => `${fixed(v)} ms`,
  ),
)
out.push(
  targetLine(
    'p99 ms, group commit, 64 callers, closed loop (saturated)',
    d?.targets.groupCommitP99ClosedLoopMs,
    (v) => `${fixed(v)} ms`,
  ),
)
out.push(
  targetLine(
    'Writ decision vs Cedar `isAuthorized` + signature (speed-up)',
    d?.targets.writVsCedarPlusSignature,
    (v) => `${fixed(v)}×`,
  ),
)
out.push(
  targetLine(
    'Writ decision vs Cedar preparsed + signature (speed-up)',
    d?.targets.writVsCedarPreparsedPlusSignature,
    (v) => `${fixed(v)}×`,
  ),
)
out.push(
  targetLine(
    '10,000-rule policy / 10-rule policy (cost per decision)',
    s?.targets.tenThousandRulesVsTen,
    (v) => `${fixed(v)}×`,
  ),
)
out.push(
  targetLine(
    'same, policy evaluation alone',
    s?.targets.tenThousandRulesVsTenEvaluateOnly,
    (v) => `${fixed(v)}×`,
  ),
)
for (const size of ['1KB', '100KB', '1MB']) {
  const label = size.replace('KB', ' KB').replace('MB', ' MB')
  out.push(
    targetLine(
      `\`canonicalArgs\` (object) / \`JSON.stringify\` + SHA-256, ${label} (cost)`,
      s?.targets[`canonicalObjectVsStringify${size}`],
      (v) => `${fixed(v)}×`,
    ),
    targetLine(
      `\`canonicalArgs\` (raw JSON text) / \`JSON.parse\` + \`JSON.stringify\` + SHA-256, ${label} (cost)`,
      s?.targets[`canonicalTextVsParseStringify${size}`],
      (v) => `${fixed(v)}×`,
    ),
  )
}
const chainTarget = (results['chain-1m'] ?? results.chain)?.targets.heapFlatOverChain
out.push(
  targetLine(
    'heapUsed growth over a streamed chain (MiB)',
    chainTarget,
    (v) => `${fixed(v, 1)} MiB`,
  ),
)
out.push('')

if (node24.decisions || node24.scale) {
  const version = (node24.decisions ?? node24.scale).machine.node
  const pair = (label, twenty, twentyFour, format) =>
    `| ${label} | ${twenty ? format(twenty.measured) : 'n/a'} | ${twentyFour ? format(twentyFour.measured) : 'n/a'} | ${twentyFour?.target ?? ''} |`
  const cost = (v) => `${fixed(v)}×`
  out.push(
    `### Node 20 and Node ${version.replace(/^v/, '').split('.')[0]}`,
    '',
    `The same suites on Node ${version} (run dates: ${Object.values(node24)
      .filter(Boolean)
      .map((value) => `${value.suite} ${value.date.slice(0, 16).replace('T', ' ')} UTC`)
      .join('; ')}).`,
    '',
    `| target | Node 20 | Node ${version.replace(/^v/, '').split('.')[0]} | bound |`,
    '| --- | --- | --- | --- |',
    pair(
      'signed in-memory decision / bare Ed25519 signature (cost)',
      d?.targets.memoryDecisionVsSignature,
      node24.decisions?.targets.memoryDecisionVsSignature,
      cost,
    ),
    ...['1KB', '100KB', '1MB'].flatMap((size) => [
      pair(
        `\`canonicalArgs\` (object), ${size}`,
        s?.targets[`canonicalObjectVsStringify${size}`],
        node24.scale?.targets[`canonicalObjectVsStringify${size}`],
        cost,
      ),
      pair(
        `\`canonicalArgs\` (raw JSON text), ${size}`,
        s?.targets[`canonicalTextVsParseStringify${size}`],
        node24.scale?.targets[`canonicalTextVsParseStringify${size}`],
        cost,
      ),
    ]),
    '',
  )
}

if (d) {
  out.push(
    '### Decisions (one process)',
    '',
    rowsTable(d.rows, 'baseline: node:crypto Ed25519 sign'),
    '',
  )
  const o = d.openLoop
  out.push(
    `Open loop, 64 callers, ${integer(o.memory.offeredPerSecond)} decisions/s offered (a quarter of the slowest in-memory round): ` +
      `memory store p50 ${fixed(o.memory.latencyMs.p50)} ms / p99 ${fixed(o.memory.latencyMs.p99)} ms; ` +
      `SQLite group commit p50 ${fixed(o.groupCommit.latencyMs.p50)} ms / p99 ${fixed(o.groupCommit.latencyMs.p99)} ms ` +
      `(achieved ${integer(o.groupCommit.achievedPerSecond)}/s); the harness alone (an empty call) p99 ${fixed(o.harness.latencyMs.p99)} ms. ` +
      (o.memoryTuned
        ? `With \`${o.memoryTuned.flags.join(' ')}\`: memory p99 ${fixed(o.memoryTuned.latencyMs.p99)} ms, group commit p99 ${fixed(o.groupCommitTuned.latencyMs.p99)} ms. `
        : '') +
      (o.groupCommit.transactions
        ? `Group commit's append transactions held the event loop's thread ${percent(o.groupCommit.transactions.shareOfWallTime)} of the run, ${percent(o.groupCommit.transactions.over2msShareOfWallTime)} in the ${integer(o.groupCommit.transactions.over2ms)} that took over 2 ms; with SQLite checkpointing inside commits (\`walCheckpoint: 'inline'\`) p99 ${fixed(o.groupCommitInline.latencyMs.p99)} ms. `
        : '') +
      `Each open-loop run is a fresh process. Group commit wrote ${integer(d.stores.groupCommit.appends)} receipts in ${integer(d.stores.groupCommit.batches)} transactions (largest ${d.stores.groupCommit.largestBatch}). ` +
      `A receipt is ${d.receiptBytes} bytes. Cedar ${d.cedarVersion}.`,
    '',
  )
}
if (s) {
  out.push('### Policy size', '', rowsTable(s.policyRows, 'authorize, 10 rules'), '')
  out.push(
    `Compile time: ${Object.entries(s.compileMs)
      .map(([size, ms]) => `${integer(Number(size))} rules ${integer(ms)} ms`)
      .join(', ')}.`,
    '',
  )
  out.push(
    '### Argument size (canonicalization + digest)',
    '',
    rowsTable(s.argumentRows, s.argumentRows[0].name, { latency: true }),
    '',
  )
}
const v = results.verify
if (v) {
  out.push(
    '### Verification',
    '',
    rowsTable(v.rows, 'baseline: node:crypto verify (no strict checks)'),
    '',
  )
  if (v.browser) {
    out.push(
      `In headless Chromium (${v.browser.userAgent.match(/HeadlessChrome\/[\d.]+/)?.[0] ?? 'Chromium'}), the built \`@writ/verify\` bundled by esbuild (${integer(v.browser.bundleBytes)} bytes minified):`,
      '',
    )
    out.push('| case | verified/s (median) | min–max over rounds |', '| --- | ---: | ---: |')
    for (const row of v.browser.rows)
      out.push(`| ${row.name} | ${integer(row.opsPerSecond.median)} | ${spread(row)} |`)
    out.push('')
  }
}
const sv = results.server
if (sv) {
  const floor = sv.httpRows[0].opsPerSecond.median
  out.push(
    '### `writ serve` on loopback (autocannon, 64 connections)',
    '',
    '| case | requests/s (median) | min–max | p50 ms | p99 ms | share of the HTTP floor |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  )
  for (const row of sv.httpRows) {
    out.push(
      `| ${row.name} | ${integer(row.opsPerSecond.median)} | ${spread(row)} | ${row.latencyMs.p50} | ${row.latencyMs.p99} | ${percent(row.opsPerSecond.median / floor)} |`,
    )
  }
  out.push(
    '',
    `PostgreSQL: ${sv.postgres}.`,
    '',
    rowsTable(sv.remoteRows, sv.remoteRows[0].name),
    '',
  )
}
for (const suite of ['chain', 'chain-1m']) {
  const c = results[suite]
  if (!c) continue
  out.push(
    `### Chains (\`${suite}\`)`,
    '',
    '| case | receipts | seconds | per second |',
    '| --- | ---: | ---: | ---: |',
  )
  for (const row of c.rows)
    out.push(
      `| ${row.name} | ${integer(row.receipts)} | ${fixed(row.seconds, 1)} | ${integer(row.perSecond)} |`,
    )
  out.push(
    '',
    '| receipts streamed | RSS MiB | heapUsed MiB (after GC) |',
    '| ---: | ---: | ---: |',
  )
  for (const mark of c.memory.marks)
    out.push(
      `| ${integer(mark.receipts)} | ${fixed(mark.rssMiB, 0)} | ${fixed(mark.heapUsedMiB, 1)} |`,
    )
  out.push('', `Peak RSS ${fixed(c.memory.peakRssMiB, 0)} MiB.`, '')
}

const generated = `<!-- bench:begin (generated by bench/report.mjs from bench/results; do not edit by hand) -->\n${out.join('\n')}\n<!-- bench:end -->`
const current = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '# Performance\n\n'
const pattern = /<!-- bench:begin[\s\S]*?<!-- bench:end -->/
const next = pattern.test(current)
  ? current.replace(pattern, generated)
  : `${current.trimEnd()}\n\n${generated}\n`
writeFileSync(docPath, next)
console.log(`wrote ${docPath.pathname}`)
