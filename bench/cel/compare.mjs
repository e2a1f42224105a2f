// Compares the two CEL evaluators Writ could use, on correctness (the expressions a
// Writ policy needs) and speed (evaluations per second of a compiled condition).
// Both libraries are measured in the same run, in the same process.
//
//   node bench/cel/compare.mjs            # prints a summary, writes bench/results/cel-compare.json

import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse as bufParse, plan as bufPlan, celEnv, isCelError } from '@bufbuild/cel'
import { timestampFromDate } from '@bufbuild/protobuf/wkt'
import { Environment } from '@marcbachmann/cel-js'

const here = dirname(fileURLToPath(import.meta.url))
const output = join(here, '..', 'results', 'cel-compare.json')

const NOW = Date.UTC(2025, 0, 15, 12, 0, 0)
const baseArgs = {
  amount: 250,
  currency: 'USD',
  to: 'acct_12345',
  memo: 'invoice 42',
  items: [
    { sku: 'a', qty: 1 },
    { sku: 'b', qty: 7 },
  ],
  tags: ['urgent', 'finance'],
  meta: { region: 'eu' },
}

/** [name, expression, args override, expected: boolean | 'error' | other value] */
const cases = [
  ['int literal vs JSON integer', 'args.amount <= 1000', {}, true],
  ['int literal vs JSON double', 'args.amount <= 1000', { amount: 250.5 }, true],
  ['int literal vs JSON double above', 'args.amount <= 1000', { amount: 1000.5 }, false],
  ['double literal vs JSON integer', 'args.amount < 1000.0', {}, true],
  ['equality 250 == 250.0', 'args.amount == 250', { amount: 250.0 }, true],
  ['equality int literal vs double', 'args.amount == 250.0', {}, true],
  ['in list literal', "args.currency in ['USD', 'EUR']", {}, true],
  ['not in list literal', "args.currency in ['USD', 'EUR']", { currency: 'GBP' }, false],
  ['in list from args', "'urgent' in args.tags", {}, true],
  ['size() function', 'size(args.items) == 2', {}, true],
  ['size() method', 'args.tags.size() == 2', {}, true],
  ['size of string', 'size(args.to) == 10', {}, true],
  ['has() present', 'has(args.memo)', {}, true],
  ['has() absent', 'has(args.nothing)', {}, false],
  ['has() nested map', 'has(args.meta.region)', {}, true],
  ['startsWith', "args.to.startsWith('acct_')", {}, true],
  ['endsWith', "args.to.endsWith('45')", {}, true],
  ['contains', "args.memo.contains('invoice')", {}, true],
  ['matches', "args.to.matches('^acct_[0-9]+$')", {}, true],
  ['all macro', 'args.items.all(i, i.qty > 0)', {}, true],
  ['exists macro', 'args.items.exists(i, i.qty > 5)', {}, true],
  ['exists_one macro', 'args.items.exists_one(i, i.qty > 5)', {}, true],
  ['filter macro', 'args.items.filter(i, i.qty > 5).size() == 1', {}, true],
  ['map macro', "args.items.map(i, i.sku) == ['a', 'b']", {}, true],
  ['index into list', 'args.items[1].qty == 7', {}, true],
  ['map index', "args.meta['region'] == 'eu'", {}, true],
  ['agent variable', "agent == 'bot-7'", {}, true],
  ['context variable', "context.tenant == 'acme'", {}, true],
  ['now vs timestamp literal', "now > timestamp('2024-01-01T00:00:00Z')", {}, true],
  [
    'now minus timestamp vs duration',
    "now - timestamp('2025-01-15T00:00:00Z') > duration('11h')",
    {},
    true,
  ],
  ['timestamp hours (UTC)', 'now.getHours() == 12', {}, true],
  ['int() of JSON number', 'int(args.amount) == 250', {}, true],
  ['double() of JSON number', 'double(args.amount) == 250.0', {}, true],
  ['ternary', "args.amount > 100 ? args.currency == 'USD' : false", {}, true],
  ['missing field is an error', 'args.missing > 1', {}, 'error'],
  ['missing nested field is an error', 'args.meta.missing == 1', {}, 'error'],
  ['field of a string is an error', 'args.to.x == 1', {}, 'error'],
  ['int division by zero is an error', '1 / 0 == 1', {}, 'error'],
  ['string vs number comparison is an error', 'args.currency > 1', {}, 'error'],
  ['error absorbed by || true (commutative)', 'args.missing > 1 || args.amount > 100', {}, true],
  ['error absorbed by && false (commutative)', 'args.missing > 1 && args.amount > 1000', {}, false],
  [
    'error not absorbed when other side false',
    'args.missing > 1 || args.amount > 1000',
    {},
    'error',
  ],
  ['int + double arithmetic is an error (no implicit conversion)', 'args.amount + 1', {}, 'error'],
  ['non-boolean result returned as value', 'args.amount + 1.0', {}, 251],
  ['large JSON integer equality', 'args.big == 9007199254740991', { big: 9007199254740991 }, true],
]

// --- @marcbachmann/cel-js ------------------------------------------------------
const marcEnvironment = new Environment({ limits: { maxAstNodes: 2000, maxDepth: 64 } })
  .registerVariable('args', 'map')
  .registerVariable('agent', 'string')
  .registerVariable('context', 'map')
  .registerVariable('now', 'google.protobuf.Timestamp')

const marc = {
  name: '@marcbachmann/cel-js',
  version: '8.0.0',
  compile(expression) {
    const checked = marcEnvironment.check(expression)
    if (!checked.valid) throw checked.error
    return marcEnvironment.parse(expression)
  },
  bindings(args) {
    return { args, agent: 'bot-7', context: { tenant: 'acme' }, now: new Date(NOW) }
  },
  run(compiled, bindings) {
    return compiled(bindings)
  },
}

// --- @bufbuild/cel --------------------------------------------------------------
const bufEnvironment = celEnv()
const toCelInput = (value) => {
  if (Array.isArray(value)) return value.map(toCelInput)
  if (value !== null && typeof value === 'object') {
    return new Map(Object.entries(value).map(([key, inner]) => [key, toCelInput(inner)]))
  }
  return value
}
const buf = {
  name: '@bufbuild/cel',
  version: '0.6.1',
  compile(expression) {
    return bufPlan(bufEnvironment, bufParse(expression))
  },
  bindings(args) {
    return {
      args: toCelInput(args),
      agent: 'bot-7',
      context: toCelInput({ tenant: 'acme' }),
      now: timestampFromDate(new Date(NOW)),
    }
  },
  run(compiled, bindings) {
    const result = compiled(bindings)
    if (isCelError(result)) throw result
    return result
  },
}

const normalize = (value) => (typeof value === 'bigint' ? Number(value) : value)

function correctness(library) {
  const rows = []
  for (const [name, expression, override, expected] of cases) {
    let actual
    try {
      const compiled = library.compile(expression)
      actual = normalize(library.run(compiled, library.bindings({ ...baseArgs, ...override })))
    } catch (error) {
      actual = 'error'
      rows.push({
        name,
        expression,
        expected,
        actual,
        pass: expected === 'error',
        detail: String(error?.message ?? error).split('\n')[0],
      })
      continue
    }
    rows.push({
      name,
      expression,
      expected,
      actual: typeof actual === 'object' ? String(actual) : actual,
      pass: actual === expected,
    })
  }
  return rows
}

const typical = "args.amount <= 1000 && args.currency in ['USD', 'EUR'] && agent.startsWith('bot-')"
const macroHeavy =
  "args.items.all(i, i.qty > 0) && args.to.matches('^acct_[0-9]+$') && now > timestamp('2024-01-01T00:00:00Z')"

function speed(library, expression, iterations) {
  const compiled = library.compile(expression)
  const bindings = library.bindings(baseArgs)
  let sink = 0
  for (let index = 0; index < iterations / 10; index++)
    if (library.run(compiled, bindings) === true) sink++
  const start = process.hrtime.bigint()
  for (let index = 0; index < iterations; index++)
    if (library.run(compiled, bindings) === true) sink++
  const nanoseconds = Number(process.hrtime.bigint() - start)
  if (sink === 0) throw new Error(`${library.name}: expression never held`)
  return Math.round((iterations / nanoseconds) * 1e9)
}

function compileSpeed(library, expression, iterations) {
  const start = process.hrtime.bigint()
  for (let index = 0; index < iterations; index++) library.compile(expression)
  return Math.round((iterations / Number(process.hrtime.bigint() - start)) * 1e9)
}

const libraries = [marc, buf]
const report = {
  generatedAt: new Date().toISOString(),
  node: process.version,
  platform: `${process.platform}-${process.arch}`,
  expressions: { typical, macroHeavy },
  libraries: {},
}
for (const library of libraries) {
  const rows = correctness(library)
  report.libraries[library.name] = {
    version: library.version,
    correctness: {
      passed: rows.filter((row) => row.pass).length,
      total: rows.length,
      failures: rows.filter((row) => !row.pass),
    },
    evaluationsPerSecond: {
      typical: speed(library, typical, 300_000),
      macroHeavy: speed(library, macroHeavy, 100_000),
    },
    compilationsPerSecond: { typical: compileSpeed(library, typical, 5_000) },
  }
}

mkdirSync(dirname(output), { recursive: true })
writeFileSync(output, `${JSON.stringify(report, null, 2)}\n`)
for (const [name, result] of Object.entries(report.libraries)) {
  console.log(
    `${name}: correctness ${result.correctness.passed}/${result.correctness.total}, ` +
      `typical ${result.evaluationsPerSecond.typical.toLocaleString('en')} eval/s, ` +
      `macro-heavy ${result.evaluationsPerSecond.macroHeavy.toLocaleString('en')} eval/s, ` +
      `compile ${result.compilationsPerSecond.typical.toLocaleString('en')}/s`,
  )
  for (const failure of result.correctness.failures) {
    console.log(
      `  FAIL ${failure.name}: ${failure.expression} expected ${failure.expected} got ${failure.actual} ${failure.detail ?? ''}`,
    )
  }
}
console.log(`wrote ${output}`)
