// How the cost of a decision grows with what users feed it:
// - policy size: 10, 100, 1,000 and 10,000 rules over many action names (generated). The
//   request's applicable rules are the same at every size (the two payment rules), so any
//   growth is the cost of finding them among the others;
// - argument size: 1 KB to 1 MB (canonicalization + SHA-256 digest), beside the naive
//   baselines `JSON.stringify` + SHA-256 of the same object (for `canonicalArgs` of the
//   object) and `JSON.parse` + `JSON.stringify` + SHA-256 of the same text (for
//   `canonicalArgs` of raw JSON text, which is parsed strictly).
import { createHash } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { compilePolicy, createGate, generateSigningKey } from '@writ/core'
import { canonicalArgs } from '@writ/verify'
import { roundRatio, runCases, smoke, table, target, writeResults } from './harness.mjs'

const sizes = [10, 100, 1000, 10000]
const key = generateSigningKey()

/**
 * A policy of `size` rules: the two payment rules every bench uses, then generated rules
 * over `size / 10` services: 90% exact names (`svc7.op1234`), 10% globs (`svc7.*`), each
 * with its own CEL condition.
 */
function generatedPolicy(size) {
  const services = Math.max(1, Math.floor(size / 10))
  const rules = [
    {
      id: 'small-transfers',
      effect: 'permit',
      actions: ['payments.transfer'],
      when: "args.amount <= 1000 && args.currency in ['USD', 'EUR']",
    },
    { id: 'sanctioned', effect: 'deny', actions: ['payments.*'], when: "args.to == 'mallory'" },
  ]
  for (let index = rules.length; index < size; index++) {
    const service = `svc${index % services}`
    const glob = index % 10 === 0
    rules.push({
      id: `rule-${index}`,
      effect: index % 3 === 0 ? 'deny' : 'permit',
      actions: glob ? [`${service}.*`] : [`${service}.op${index}`, `${service}.alt${index}`],
      when: glob
        ? `args.to == 'blocked-${index}'`
        : `args.amount <= ${index} && agent != 'agent-${index}'`,
    })
  }
  return { writ: 1, id: `bench-scale-${size}`, rules }
}

const request = {
  action: 'payments.transfer',
  args: { to: 'acme', amount: 250, currency: 'EUR', memo: 'invoice 2291' },
  agent: 'bench-agent',
}
const compileMs = Object.create(null)
const gates = Object.create(null)
for (const size of sizes) {
  const document = generatedPolicy(size)
  const started = performance.now()
  const policy = compilePolicy(document, { source: `generated-${size}.json` })
  compileMs[size] = performance.now() - started
  gates[size] = createGate({ policy, keys: key, issuer: 'bench' })
  const decision = await gates[size].authorize(request)
  if (decision.decision !== 'PERMIT' || decision.rule !== 'small-transfers')
    throw new Error(`policy of ${size} rules decided ${decision.decision}`)
}

const evaluation = () => ({
  action: 'payments.transfer',
  args: request.args,
  agent: 'bench-agent',
  context: {},
  now: 1_700_000_000,
})
const policyRows = await runCases(
  [
    ...sizes.map((size) => ({
      name: `authorize, ${size} rules`,
      run: () => gates[size].authorize(request),
    })),
    ...sizes.map((size) => {
      const input = evaluation()
      return {
        name: `policy.evaluate only, ${size} rules`,
        run: () => gates[size].policy.evaluate(input),
      }
    }),
  ],
  { rounds: smoke ? 2 : 6, roundMs: smoke ? 60 : 450 },
)

/** An argument object whose canonical JSON is about `bytes` long: records in an array. */
function argumentsOf(bytes) {
  const items = []
  const record = (index) => ({
    sku: `sku-${index}`,
    qty: index % 17,
    price: (index % 1000) / 4,
    note: 'lorem ipsum dolor sit amet',
  })
  let length = 0
  for (let index = 0; length < bytes - 120; index++) {
    const item = record(index)
    items.push(item)
    length += JSON.stringify(item).length + 1
  }
  return { to: 'acme', amount: 250, currency: 'EUR', items }
}

const argumentSizes = smoke ? [1_000, 10_000, 100_000] : [1_000, 10_000, 100_000, 1_000_000]
const argumentCases = []
const argumentBytes = Object.create(null)
for (const bytes of argumentSizes) {
  const value = argumentsOf(bytes)
  const text = JSON.stringify(value)
  argumentBytes[bytes] = Buffer.byteLength(canonicalArgs(value).canonical)
  const label = bytes >= 1_000_000 ? `${bytes / 1_000_000} MB` : `${bytes / 1000} KB`
  const gateRequest = { action: 'payments.transfer', args: value, agent: 'bench-agent' }
  const textRequest = { action: 'payments.transfer', args: text, agent: 'bench-agent' }
  argumentCases.push(
    {
      name: `baseline: JSON.stringify + sha256, ${label}`,
      run: () => createHash('sha256').update(JSON.stringify(value)).digest('hex'),
    },
    {
      name: `baseline: JSON.parse + JSON.stringify + sha256, ${label}`,
      run: () =>
        createHash('sha256')
          .update(JSON.stringify(JSON.parse(text)))
          .digest('hex'),
    },
    { name: `canonicalArgs (object), ${label}`, run: () => canonicalArgs(value) },
    { name: `canonicalArgs (raw JSON text), ${label}`, run: () => canonicalArgs(text) },
    { name: `authorize (object args), ${label}`, run: () => gates[10].authorize(gateRequest) },
    { name: `authorize (raw JSON args), ${label}`, run: () => gates[10].authorize(textRequest) },
  )
}
const argumentRows = await runCases(argumentCases, {
  rounds: smoke ? 2 : 4,
  roundMs: smoke ? 40 : 250,
})

const scale = roundRatio(policyRows, 'authorize, 10 rules', 'authorize, 10000 rules')
const evaluateScale = roundRatio(
  policyRows,
  'policy.evaluate only, 10 rules',
  'policy.evaluate only, 10000 rules',
)
/** Cost of canonicalArgs over its naive baseline, per round, at the sizes of issue #16. */
function canonicalTargets() {
  const found = Object.create(null)
  for (const label of ['1 KB', '100 KB', '1 MB']) {
    if (!argumentRows.some((row) => row.name === `canonicalArgs (object), ${label}`)) continue
    const key = label.replace(' ', '')
    const object = roundRatio(
      argumentRows,
      `baseline: JSON.stringify + sha256, ${label}`,
      `canonicalArgs (object), ${label}`,
    )
    found[`canonicalObjectVsStringify${key}`] = target(object.median, '<=', 2, {
      meaning: `cost of canonicalArgs(object) / JSON.stringify + SHA-256 of the same object, ${label}`,
      perRound: object,
    })
    const text = roundRatio(
      argumentRows,
      `baseline: JSON.parse + JSON.stringify + sha256, ${label}`,
      `canonicalArgs (raw JSON text), ${label}`,
    )
    found[`canonicalTextVsParseStringify${key}`] = target(text.median, '<=', 3, {
      meaning: `cost of canonicalArgs(raw JSON text) / JSON.parse + JSON.stringify + SHA-256 of the same text, ${label}`,
      perRound: text,
    })
  }
  return found
}

const targets = {
  ...canonicalTargets(),
  tenThousandRulesVsTen: target(scale.median, '<=', 1.2, {
    meaning:
      'cost of one decision with a 10,000-rule policy / with a 10-rule policy (whole gate, memory store)',
    perRound: scale,
  }),
  tenThousandRulesVsTenEvaluateOnly: {
    measured: evaluateScale.median,
    perRound: evaluateScale,
    meaning: 'same, policy evaluation alone (informative)',
  },
}
console.log(table(policyRows, 'authorize, 10 rules'))
console.log(
  `\ncompile time (ms): ${sizes.map((size) => `${size}: ${compileMs[size].toFixed(0)}`).join(', ')}`,
)
console.log(`\n${table(argumentRows, argumentRows[0].name)}`)
for (const [name, value] of Object.entries(targets)) {
  console.log(
    `${name}: ${value.measured.toFixed(3)} ${value.target ?? ''} ${value.met === undefined ? '' : value.met ? 'MET' : 'MISSED'}`,
  )
}
const file = writeResults('scale', {
  rows: [...policyRows, ...argumentRows],
  policyRows,
  argumentRows,
  compileMs,
  argumentBytes,
  targets,
})
console.log(`results: ${file}`)
