// The demo page. Plain JavaScript, no framework. Receipts are verified HERE, in the
// browser, with @writ/verify (bundled in /assets/verify.js) and the published keys.
import * as writ from '/assets/verify.js'

const state = { scenarios: [], results: new Map(), keys: null, lastVerified: null }

/** Builds an element; children are nodes or text (never parsed as HTML). */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue
    if (name === 'onclick') element.addEventListener('click', value)
    else if (name === 'className') element.className = value
    else element.setAttribute(name, value === true ? '' : String(value))
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue
    element.append(child instanceof Node ? child : document.createTextNode(String(child)))
  }
  return element
}

const $ = (id) => document.getElementById(id)

async function api(path, options) {
  const response = await fetch(path, options)
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`)
  return response.json()
}

function decisionBadge(decision) {
  const label = decision ?? 'NO GATE'
  return h('span', { className: `decision ${decision ?? 'NONE'}` }, label)
}

function compact(value) {
  if (value === null || value === undefined) return ''
  return typeof value === 'string' ? value : JSON.stringify(value)
}

function expectedText(expected) {
  const parts = [expected.decision ?? 'no decision (gate bypassed)']
  if (expected.reason) parts.push(expected.reason)
  parts.push(expected.executed ? 'executed' : 'not executed')
  if (expected.serviceCodes) parts.push(`service refuses ${expected.serviceCodes.join(' / ')}`)
  return `Expected: ${parts.join(' · ')}`
}

const driverNames = {
  openai: 'openai client + @writ/openai',
  langchain: 'LangChain createAgent + writMiddleware',
  attacker: 'attack',
}

function serviceCell(step) {
  if (!step.service) return h('span', { className: 'outcome-none' }, 'not sent')
  if (step.service.executed)
    return h(
      'span',
      { className: 'outcome-ok' },
      `${step.service.service}: executed (${step.service.status})`,
    )
  return h(
    'span',
    { className: 'outcome-refused' },
    `${step.service.service}: refused ${step.service.code} (${step.service.status})`,
  )
}

function stepsTable(result) {
  return h(
    'table',
    { className: 'steps', 'data-testid': `steps-${result.id}` },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Action', 'Arguments', 'Decision', 'Rule · reason', 'Receipt', 'Receiving service'].map(
          (title) => h('th', {}, title),
        ),
      ),
    ),
    h(
      'tbody',
      {},
      result.steps.map((step, index) =>
        h(
          'tr',
          {
            'data-testid': `step-${result.id}-${index}`,
            'data-decision': step.decision ?? 'NONE',
            'data-reason': step.reason ?? '',
            'data-service-code': step.service?.code ?? '',
          },
          h(
            'td',
            {},
            h('code', {}, step.action),
            step.note ? h('div', { className: 'small' }, step.note) : null,
          ),
          h('td', { className: 'args' }, compact(step.args)),
          h('td', {}, decisionBadge(step.decision)),
          h(
            'td',
            {},
            step.rule ? h('div', { className: 'mono small' }, step.rule) : null,
            step.reason ?? '',
          ),
          h(
            'td',
            {},
            step.receipt
              ? h(
                  'button',
                  {
                    className: 'receipt-link',
                    type: 'button',
                    title: 'open in the inspector',
                    'data-testid': `receipt-${result.id}-${index}`,
                    onclick: () => inspect(step.receipt),
                  },
                  `${step.receiptId.slice(0, 13)}…`,
                )
              : h('span', { className: 'small' }, 'none'),
          ),
          h('td', {}, serviceCell(step)),
        ),
      ),
    ),
  )
}

function renderScenarios() {
  const list = $('scenario-list')
  list.replaceChildren()
  let group = null
  for (const scenario of state.scenarios) {
    if (scenario.group !== group) {
      group = scenario.group
      list.append(h('div', { className: 'group-title' }, group))
    }
    const result = state.results.get(scenario.id)
    const card = h(
      'article',
      {
        className: `scenario ${result ? (result.passed ? 'passed' : 'failed') : ''}`,
        'data-testid': `scenario-${scenario.id}`,
      },
      h(
        'div',
        { className: 'scenario-head' },
        h(
          'div',
          {},
          h('h3', {}, scenario.title),
          h(
            'div',
            { className: 'scenario-meta' },
            h('span', { className: 'badge' }, driverNames[scenario.driver]),
            scenario.agent ? h('span', { className: 'badge' }, `agent: ${scenario.agent}`) : null,
          ),
        ),
        h(
          'button',
          {
            type: 'button',
            'data-testid': `run-${scenario.id}`,
            onclick: () => runScenario(scenario.id),
          },
          result ? '↻ Run again' : '▶ Run',
        ),
      ),
      h('p', { className: 'prompt' }, `“${scenario.prompt}”`),
      h('p', { className: 'explanation' }, scenario.explanation),
      h('div', { className: 'expected' }, expectedText(scenario.expected)),
      result
        ? h(
            'div',
            {
              'data-testid': `result-${scenario.id}`,
              'data-passed': String(result.passed),
              'data-decision': result.outcome.decision ?? 'NONE',
              'data-reason': result.outcome.reason ?? '',
              'data-executed': String(result.outcome.executed),
              'data-service-code': result.outcome.serviceCode ?? '',
            },
            stepsTable(result),
            h(
              'div',
              { className: 'final' },
              result.passed ? '✓ ' : '✗ ',
              result.error ? `Error: ${result.error}` : `Agent: ${result.finalMessage}`,
            ),
          )
        : null,
    )
    list.append(card)
  }
  const done = [...state.results.values()]
  const passed = done.filter((result) => result.passed).length
  $('summary').textContent = done.length
    ? `${passed}/${done.length} as expected`
    : `${state.scenarios.length} scenarios`
}

function refusalsList(refusals, testid) {
  if (refusals.length === 0)
    return h('p', { className: 'small', 'data-testid': testid }, 'No refusals yet.')
  return h(
    'ul',
    { className: 'refusals', 'data-testid': testid },
    refusals.map((refusal) =>
      h(
        'li',
        { 'data-code': refusal.code },
        `${refusal.status} ${refusal.code} — ${refusal.method} ${refusal.path}`,
      ),
    ),
  )
}

function renderServices(services) {
  const bank = services.bank
  const warehouse = services.warehouse
  const ehr = services.ehr
  $('services').replaceChildren(
    h(
      'div',
      { className: 'service' },
      h('h3', {}, 'Bank', h('span', { className: 'small mono' }, bank.origin)),
      h(
        'table',
        { 'data-testid': 'bank-balances' },
        h(
          'tbody',
          {},
          Object.entries(bank.balances).map(([account, balance]) =>
            h(
              'tr',
              { 'data-account': account, 'data-balance': balance },
              h('td', {}, account),
              h('td', {}, `${balance.toLocaleString('en')} EUR`),
            ),
          ),
        ),
      ),
      h(
        'ul',
        { className: 'plain', 'data-testid': 'bank-transfers' },
        bank.transfers.map((transfer) =>
          h(
            'li',
            { 'data-amount': transfer.amount, 'data-to': transfer.to },
            `${transfer.amount} EUR → ${transfer.to} (${transfer.agent}, receipt ${transfer.receiptId.slice(0, 13)}…)`,
          ),
        ),
      ),
      bank.closedAccounts.length
        ? h('p', { className: 'small' }, `Closed: ${bank.closedAccounts.join(', ')}`)
        : null,
      refusalsList(bank.refusals, 'bank-refusals'),
    ),
    h(
      'div',
      { className: 'service' },
      h('h3', {}, 'Data warehouse', h('span', { className: 'small mono' }, warehouse.origin)),
      warehouse.exports.length
        ? h(
            'ul',
            { className: 'plain', 'data-testid': 'warehouse-exports' },
            warehouse.exports.map((entry) =>
              h(
                'li',
                { 'data-destination': entry.destination },
                `${entry.table} (${entry.columns.join(', ')}) → ${entry.destination}, ${entry.rows.toLocaleString('en')} rows`,
              ),
            ),
          )
        : h('p', { className: 'small', 'data-testid': 'warehouse-exports' }, 'No exports yet.'),
      refusalsList(warehouse.refusals, 'warehouse-refusals'),
    ),
    h(
      'div',
      { className: 'service' },
      h('h3', {}, 'Health records (EHR)', h('span', { className: 'small mono' }, ehr.origin)),
      h(
        'div',
        { 'data-testid': 'ehr-records' },
        ehr.patients.map((patient) =>
          h(
            'div',
            { 'data-patient': patient.patient, 'data-versions': patient.versions.length },
            h('b', {}, `${patient.patient} · ${patient.name}`),
            h(
              'ul',
              { className: 'plain' },
              patient.versions.map((version) =>
                h(
                  'li',
                  {},
                  `v${version.version} ${version.field}: ${version.value} — ${version.author}`,
                ),
              ),
            ),
          ),
        ),
      ),
      refusalsList(ehr.refusals, 'ehr-refusals'),
    ),
  )
}

async function renderChain() {
  const chain = await api('/api/chain')
  state.chain = chain
  $('chain').replaceChildren(
    ...chain.receipts.map((token, index) => {
      const decoded = writ.decodeToken(token)
      const claims = decoded?.claims ?? {}
      return h(
        'li',
        { value: index, 'data-seq': claims.chain?.seq },
        decisionBadge(claims.decision),
        ' ',
        h('code', {}, claims.act?.name ?? '?'),
        ' ',
        h(
          'button',
          { className: 'receipt-link', type: 'button', onclick: () => inspect(token) },
          `${String(claims.jti).slice(0, 13)}…`,
        ),
      )
    }),
  )
  if (chain.checkpoint) {
    const claims = writ.decodeToken(chain.checkpoint)?.claims ?? {}
    $('checkpoint').textContent =
      `Latest checkpoint: chain "${claims.chain}", size ${claims.size}, head ${claims.head}`
  } else {
    $('checkpoint').textContent = 'No checkpoint yet.'
  }
}

async function refresh() {
  const snapshot = await api('/api/state')
  for (const result of snapshot.results) state.results.set(result.id, result)
  renderScenarios()
  renderServices(snapshot.services)
  $('policy-id').textContent = snapshot.policy.id
  $('policy-digest').textContent = snapshot.policy.digest
  await renderChain()
}

function setBusy(busy) {
  for (const button of document.querySelectorAll('button[data-testid^="run"]'))
    button.disabled = busy
  document.body.dataset.busy = String(busy)
}

async function runScenario(id) {
  setBusy(true)
  try {
    const { result } = await api(`/api/scenarios/${id}/run`, { method: 'POST' })
    state.results.set(id, result)
    await refresh()
  } finally {
    setBusy(false)
  }
}

async function runAll() {
  setBusy(true)
  try {
    for (const scenario of state.scenarios) {
      const { result } = await api(`/api/scenarios/${scenario.id}/run`, { method: 'POST' })
      state.results.set(scenario.id, result)
      renderScenarios()
    }
    await refresh()
  } finally {
    setBusy(false)
  }
}

function showVerdict(element, verdict, okText) {
  element.className = `verdict ${verdict.ok ? 'ok' : 'bad'}`
  element.dataset.ok = String(verdict.ok)
  element.dataset.code = verdict.ok ? '' : verdict.code
  element.textContent = verdict.ok ? okText : `✗ ${verdict.code} — ${verdict.message}`
}

function inspect(token) {
  $('inspector-token').value = token
  $('inspector').scrollIntoView({ behavior: 'smooth', block: 'start' })
  verifyInspector()
}

async function verifyInspector() {
  const token = $('inspector-token').value.trim()
  const decoded = writ.decodeToken(token)
  $('inspector-claims').textContent = decoded
    ? JSON.stringify(decoded, null, 2)
    : '(not a decodable token)'
  const backend = await writ.useBackend($('backend').value)
  const verdict = await writ.verifyReceiptToken(token, state.keys)
  const claims = verdict.ok ? verdict.claims : null
  showVerdict(
    $('inspector-result'),
    verdict,
    `✓ Valid signature (key ${verdict.ok ? verdict.kid.slice(0, 12) : ''}…, ${backend}). Decision ${claims?.decision} for ${claims?.act?.name}${claims?.decision === 'PERMIT' ? '' : ' — evidence only: it authorizes nothing'}.`,
  )
  $('inspector-result').dataset.backend = backend
  $('inspector-result').dataset.decision = claims?.decision ?? ''
}

function tamper(kind) {
  const token = $('inspector-token').value.trim()
  if (!token) return
  $('inspector-token').value = writ.tamperToken(token, kind)
  verifyInspector()
}

async function verifyChainInBrowser() {
  const chain = await api('/api/chain')
  const report = await writ.verifyChainTokens(
    chain.receipts,
    state.keys,
    chain.checkpoint ? [chain.checkpoint] : [],
  )
  const element = $('chain-result')
  element.className = `verdict ${report.valid ? 'ok' : 'bad'}`
  element.dataset.valid = String(report.valid)
  element.dataset.size = String(report.size ?? '')
  element.dataset.code = report.valid ? '' : report.code
  element.textContent = report.valid
    ? `✓ Chain "${report.chainId}" verified in this browser: ${report.size} receipts, every signature and link, consistent with the checkpoint.`
    : `✗ ${report.code} at seq ${report.seq}: ${report.message}`
}

async function start() {
  const [scenarios, keys, policy] = await Promise.all([
    api('/api/scenarios'),
    api('/.well-known/writ/keys.json'),
    fetch('/policy.yaml').then((response) => response.text()),
  ])
  state.scenarios = scenarios.scenarios
  state.keys = keys
  $('model-mode').textContent = scenarios.scripted
    ? 'model: scripted, offline'
    : 'model: OpenAI API'
  $('policy-text').textContent = policy
  const info = await writ.backends()
  if (!info.webcrypto) $('backend').value = 'noble'
  $('keys-info').textContent =
    `Trusted keys: ${keys.keys.map((key) => `${key.kid.slice(0, 12)}… (${key.status ?? 'active'})`).join(', ')} from /.well-known/writ/keys.json. WebCrypto Ed25519 ${info.webcrypto ? 'available' : 'unavailable here: noble is used'}.`
  $('run-all').addEventListener('click', runAll)
  $('verify-chain').addEventListener('click', verifyChainInBrowser)
  $('inspector-verify').addEventListener('click', verifyInspector)
  $('tamper-decision').addEventListener('click', () => tamper('decision'))
  $('tamper-args').addEventListener('click', () => tamper('args'))
  $('tamper-signature').addEventListener('click', () => tamper('signature'))
  await refresh()
  document.body.dataset.ready = 'true'
}

start().catch((error) => {
  document.body.dataset.ready = 'error'
  document.body.prepend(
    h(
      'p',
      { className: 'verdict bad', style: 'display:block' },
      `The page failed to start: ${error.message}`,
    ),
  )
})
