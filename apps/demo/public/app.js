// The demo page. Plain JavaScript, no framework. Receipts are verified HERE, in the
// browser, with @writ/verify (bundled in /assets/verify.js) and the published keys.
import * as writ from '/assets/verify.js'

const state = { scenarios: [], results: new Map(), keys: null, world: null, returnTo: null }

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

/** The arguments, one `name: value` line each (values as JSON), so they can be read. */
function argsView(args) {
  if (args === null || typeof args !== 'object' || Array.isArray(args)) return compact(args)
  return h(
    'dl',
    { className: 'args-list' },
    Object.entries(args).flatMap(([name, value]) => [
      h('dt', {}, name),
      h('dd', {}, JSON.stringify(value)),
    ]),
  )
}

/** `1 receipt`, `2 receipts`. */
function count(number, noun) {
  return `${number} ${noun}${number === 1 ? '' : 's'}`
}

/** A receipt id as the page shows it: its last characters (UUIDv7s share their time prefix). */
function shortId(jti) {
  return `…${String(jti).slice(-8)}`
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
          h('td', { className: 'args' }, argsView(step.args)),
          h('td', {}, decisionBadge(step.decision)),
          h(
            'td',
            {},
            step.rule
              ? h(
                  'a',
                  {
                    className: 'mono small rule-link',
                    href: '#policy',
                    title: `rule ${step.rule}: show it in the policy`,
                    'data-testid': `rule-${result.id}-${index}`,
                    onclick: (event) => {
                      event.preventDefault()
                      showRule(step.rule)
                    },
                  },
                  step.rule,
                )
              : null,
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
                    title: `receipt ${step.receiptId}: open it in the inspector`,
                    'data-testid': `receipt-${result.id}-${index}`,
                    onclick: () => inspect(step.receipt),
                  },
                  shortId(step.receiptId),
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
    : `${state.scenarios.length} scenarios, none run yet in this world`
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
        refusal.sent && 'amount' in refusal.sent
          ? h(
              'span',
              { className: 'sent', 'data-testid': 'refusal-sent' },
              ` · was sent amount ${Number(refusal.sent.amount).toLocaleString('en')}${refusal.sent.to ? ` to ${refusal.sent.to}` : ''}`,
            )
          : null,
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
            `${transfer.amount} EUR → ${transfer.to} (${transfer.agent}, receipt ${shortId(transfer.receiptId)})`,
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
    gatewayPanel(services.gateway),
  )
}

function gatewayPanel(gateway) {
  return h(
    'div',
    { className: 'service' },
    h(
      'h3',
      {},
      'Internet gateway (web, email)',
      h('span', { className: 'small mono' }, gateway.origin),
    ),
    h(
      'ul',
      { className: 'plain', 'data-testid': 'gateway-pages' },
      gateway.pages.map((page) =>
        h('li', { 'data-url': page.url }, `read ${page.url} (${page.agent})`),
      ),
    ),
    gateway.mail.length
      ? h(
          'ul',
          { className: 'plain', 'data-testid': 'gateway-mail' },
          gateway.mail.map((entry) =>
            h(
              'li',
              { 'data-to': entry.to },
              `mail to ${entry.to}: ${entry.subject} (${entry.agent}, receipt ${shortId(entry.receiptId)})`,
            ),
          ),
        )
      : h('p', { className: 'small', 'data-testid': 'gateway-mail' }, 'No email sent yet.'),
    refusalsList(gateway.refusals, 'gateway-refusals'),
  )
}

async function renderChain() {
  const chain = await api('/api/chain')
  // A verdict is about the chain it checked: once the chain moves on, it is stale.
  const changed =
    state.chain !== undefined &&
    (state.chain.receipts.length !== chain.receipts.length ||
      state.chain.checkpoint !== chain.checkpoint)
  if (changed) clearVerdict('chain-result')
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
          {
            className: 'receipt-link',
            type: 'button',
            title: `receipt ${claims.jti}`,
            onclick: () => inspect(token),
          },
          shortId(claims.jti),
        ),
      )
    }),
  )
  if (state.world) {
    $('chain-files').textContent =
      `World #${state.world.generation} · receipts in ${state.world.storePath} · verify offline: npx writ chain verify --store ${state.world.storePath} --keys ${state.world.keysPath}`
  }
  if (chain.checkpoint) {
    const claims = writ.decodeToken(chain.checkpoint)?.claims ?? {}
    $('checkpoint').textContent =
      `Latest checkpoint: chain "${claims.chain}", size ${claims.size}, head ${claims.head}`
  } else {
    $('checkpoint').textContent = 'No checkpoint yet.'
  }
}

function showWorld(world) {
  const changed = state.world !== null && state.world.generation !== world.generation
  state.world = world
  $('world').textContent = `world #${world.generation} · key ${world.activeKid.slice(0, 8)}…`
  $('world').dataset.generation = String(world.generation)
  return changed
}

async function refresh() {
  const snapshot = await api('/api/state')
  // The server's results are the truth: after a reset (here or in another tab) they are gone.
  state.results = new Map(snapshot.results.map((result) => [result.id, result]))
  if (showWorld(snapshot.world)) await loadKeys()
  renderScenarios()
  renderServices(snapshot.services)
  $('policy-id').textContent = snapshot.policy.id
  $('policy-digest').textContent = snapshot.policy.digest
  await renderChain()
}

function setBusy(busy) {
  for (const button of document.querySelectorAll(
    'button[data-testid^="run"], #reset, #verify-chain, #chain-delete, #chain-swap, #chain-truncate',
  ))
    button.disabled = busy
  if (busy) clearVerdict('chain-result')
  document.body.dataset.busy = String(busy)
}

function notify(text) {
  const notice = $('notice')
  notice.hidden = !text
  notice.textContent = text ?? ''
}

/** Empties a verdict element: no text, no data attributes. */
function clearVerdict(id) {
  const element = $(id)
  element.className = id === 'inspector-result' ? 'verdict big' : 'verdict'
  element.textContent = ''
  for (const key of ['ok', 'code', 'valid', 'size', 'backend', 'decision', 'keyStatus', 'expired'])
    delete element.dataset[key]
}

/** Forgets what the page showed of the previous world: results, verdicts. */
function clearWorldViews(world) {
  state.results = new Map()
  for (const id of ['chain-result', 'inspector-result']) clearVerdict(id)
  $('tamper-note').hidden = true
  showWorld(world)
}

async function resetWorld() {
  setBusy(true)
  try {
    const { world } = await api('/api/reset', { method: 'POST' })
    clearWorldViews(world)
    await loadKeys()
    await refresh()
    notify(
      `↺ Reset done: world #${world.generation}. New receipt store and chain, fresh limits, the services' opening state and replay memory, new signing key ${world.activeKid.slice(0, 8)}… (the previous key stays published as retired).`,
    )
  } finally {
    setBusy(false)
  }
}

async function runScenario(id) {
  setBusy(true)
  notify(null)
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
    // Run all starts from a fresh world when anything ran, so it gives the same outcome every time.
    const before = state.world?.generation
    const { world } = await api('/api/reset?ifUsed=1', { method: 'POST' })
    clearWorldViews(world)
    await loadKeys()
    renderScenarios()
    notify(
      world.generation === before
        ? `▶ Running all ${state.scenarios.length} scenarios in world #${world.generation}…`
        : `▶ Reset first (world #${world.generation}: fresh store, chain, limits and services, new key), then running all ${state.scenarios.length} scenarios…`,
    )
    for (const scenario of state.scenarios) {
      const { result } = await api(`/api/scenarios/${scenario.id}/run`, { method: 'POST' })
      state.results.set(scenario.id, result)
      renderScenarios()
    }
    await refresh()
    const passed = [...state.results.values()].filter((result) => result.passed).length
    notify(
      `✓ Ran all ${state.scenarios.length} scenarios in world #${world.generation}: ${passed}/${state.scenarios.length} as expected. Click a receipt id to inspect it.`,
    )
  } finally {
    setBusy(false)
  }
}

function showVerdict(element, verdict, okText) {
  element.className = `verdict big ${verdict.ok ? 'ok' : 'bad'}`
  element.dataset.ok = String(verdict.ok)
  element.dataset.code = verdict.ok ? '' : verdict.code
  if (verdict.ok) {
    element.textContent = okText
  } else {
    element.replaceChildren(
      '✗ Refused: ',
      h('code', { className: 'code', 'data-testid': 'inspector-code' }, verdict.code),
      h('span', { className: 'verdict-message' }, ` — ${verdict.message}`),
    )
  }
}

function inspect(token) {
  state.signedToken = token
  state.returnTo = window.scrollY
  $('inspector-back').hidden = false
  $('inspector-token').value = token
  $('tamper-note').hidden = true
  $('inspector').scrollIntoView({ behavior: 'smooth', block: 'start' })
  verifyInspector()
}

async function loadKeys() {
  state.keys = await api('/.well-known/writ/keys.json')
  const retired = state.keys.keys.filter((key) => key.status === 'retired').length
  const active = state.keys.keys.find((key) => (key.status ?? 'active') === 'active')
  $('keys-info').textContent =
    `Trusted keys from /.well-known/writ/keys.json: active ${active ? `${active.kid.slice(0, 12)}…` : 'none'}${retired ? `, ${retired} retired (earlier worlds, before a reset: their receipts still verify)` : ''}. WebCrypto Ed25519 ${state.webcrypto ? 'available' : 'unavailable here: noble is used'}.`
}

async function verifyInspector() {
  const token = $('inspector-token').value.trim()
  const decoded = writ.decodeToken(token)
  $('inspector-claims').textContent = decoded
    ? JSON.stringify(decoded, null, 2)
    : '(not a decodable token)'
  // The keys as published now (a reset in another tab rotates them).
  await loadKeys()
  const backend = await writ.useBackend($('backend').value)
  const verdict = await writ.verifyReceiptToken(token, state.keys)
  const claims = verdict.ok ? verdict.claims : null
  const key = verdict.ok ? state.keys.keys.find((entry) => entry.kid === verdict.kid) : undefined
  const retired =
    key?.status === 'retired'
      ? ' Signed by a retired key (a world before a reset): authentic evidence, but the services no longer accept it.'
      : ''
  const expired = typeof claims?.exp === 'number' && claims.exp * 1000 <= Date.now()
  const authority =
    claims?.decision !== 'PERMIT'
      ? ' — evidence only: it authorizes nothing'
      : expired
        ? ` — but it expired at ${new Date(claims.exp * 1000).toISOString()}: a service refuses it now (EXPIRED); it stays evidence of what was decided`
        : ''
  showVerdict(
    $('inspector-result'),
    verdict,
    `✓ Valid signature (key ${verdict.ok ? verdict.kid.slice(0, 12) : ''}…, ${backend}). Decision ${claims?.decision} for ${claims?.act?.name}${authority}.${retired}`,
  )
  $('inspector-result').dataset.expired = String(expired)
  $('inspector-result').dataset.backend = backend
  $('inspector-result').dataset.decision = claims?.decision ?? ''
  $('inspector-result').dataset.keyStatus = key ? (key.status ?? 'active') : ''
}

const tamperNotes = {
  decision: (before, after) =>
    `Tampered: the claims now say "decision": "${after}" (the signed receipt said ${before}); the original signature was kept. A verifier must refuse it:`,
  args: () =>
    'Tampered: the arguments digest (act.args) now names other arguments; the original signature was kept. A verifier must refuse it:',
  signature: () =>
    'Tampered: one bit of the Ed25519 signature flipped; the claims are untouched. A verifier must refuse it:',
}

async function tamper(kind) {
  const token = $('inspector-token').value.trim()
  if (!token || writ.decodeToken(token) === null) {
    $('tamper-note').textContent =
      'Nothing to tamper with yet: click a receipt id in a result (or in the chain), or paste a receipt, then press a Tamper button.'
    $('tamper-note').hidden = false
    return
  }
  state.signedToken ??= token
  const before = writ.decodeToken(token)?.claims?.decision
  const forged = writ.tamperToken(token, kind)
  const after = writ.decodeToken(forged)?.claims?.decision
  $('inspector-token').value = forged
  $('inspector-result').scrollIntoView({ behavior: 'smooth', block: 'nearest' })
  await verifyInspector()
  // Flipping twice puts back exactly what was signed: say so, not "tampered".
  $('tamper-note').textContent =
    forged === state.signedToken
      ? 'Tampered back: the token is again exactly what was signed, so the signature verifies again.'
      : tamperNotes[kind](before, after)
  $('tamper-note').hidden = false
  highlightChanges(state.signedToken, forged)
}

/** Marks the lines of the decoded token that differ from the receipt as it was signed. */
function highlightChanges(signed, forged) {
  const before = JSON.stringify(writ.decodeToken(signed), null, 2)?.split('\n') ?? []
  const after = JSON.stringify(writ.decodeToken(forged), null, 2)?.split('\n') ?? []
  const lines = after.map((line, index) =>
    line === before[index]
      ? `${line}\n`
      : h('mark', { className: 'changed', 'data-testid': 'changed-claim' }, `${line}\n`),
  )
  $('inspector-claims').replaceChildren(...lines)
}

/** Opens the policy beside the scenarios at one rule, highlighted. */
function showRule(ruleId) {
  const details = $('policy')
  details.open = true
  const lines = state.policyText.split('\n')
  let inside = false
  const nodes = lines.map((line) => {
    const start = /^\s*-\s+id:\s*(\S+)/.exec(line)
    if (start) inside = start[1] === ruleId
    return inside
      ? h('mark', { className: 'rule', 'data-testid': 'policy-rule' }, `${line}\n`)
      : `${line}\n`
  })
  $('policy-text').replaceChildren(...nodes)
  $('policy-text').querySelector('mark')?.scrollIntoView({ behavior: 'smooth', block: 'center' })
}

/** What each chain tampering does to the receipts as read from the store. */
const chainTampering = {
  delete: (receipts) => receipts.filter((_, index) => index !== 1),
  swap: (receipts) => [receipts[0], receipts[2], receipts[1], ...receipts.slice(3)],
  truncate: (receipts) => receipts.slice(0, -2),
}

const chainTamperingNotes = {
  delete:
    'Tampered: receipt seq 1 deleted from the list, as someone with the store could. Expected: CHAIN_GAP.',
  swap: 'Tampered: receipts seq 1 and 2 swapped. Expected: CHAIN_PREV_MISMATCH (a reorder).',
  truncate:
    'Tampered: the last two receipts cut off. Every remaining link is intact; only the checkpoint kept outside shows it: CHECKPOINT_MISMATCH.',
}

/** Verifies the chain in this browser, as stored or with one tampering applied first. */
async function verifyChainInBrowser(kind) {
  const chain = await api('/api/chain')
  await loadKeys()
  const tampering = typeof kind === 'string' ? chainTampering[kind] : undefined
  if (tampering && chain.receipts.length < 3) {
    $('chain-result').className = 'verdict'
    $('chain-result').textContent =
      'Run a few scenarios first: tampering needs at least three receipts.'
    return
  }
  const receipts = tampering ? tampering(chain.receipts) : chain.receipts
  const report = await writ.verifyChainTokens(
    receipts,
    state.keys,
    chain.checkpoint ? [chain.checkpoint] : [],
  )
  const element = $('chain-result')
  element.className = `verdict ${report.valid ? 'ok' : 'bad'}`
  element.dataset.valid = String(report.valid)
  element.dataset.size = String(report.size ?? '')
  element.dataset.code = report.valid ? '' : report.code
  if (report.valid && report.size === 0) {
    element.className = 'verdict'
    element.textContent = 'No receipts in this world yet: nothing to verify. Run a scenario first.'
    return
  }
  element.dataset.tampered = tampering ? kind : ''
  element.textContent = report.valid
    ? `✓ Chain "${report.chainId}" verified in this browser: ${count(report.size, 'receipt')}, every signature and link${chain.checkpoint ? ', consistent with the checkpoint' : ''}.`
    : `${tampering ? `${chainTamperingNotes[kind]} ` : ''}✗ ${report.code} at seq ${report.seq}: ${report.message}`
}

async function start() {
  const [scenarios, policy] = await Promise.all([
    api('/api/scenarios'),
    fetch('/policy.yaml').then((response) => response.text()),
  ])
  state.scenarios = scenarios.scenarios
  $('model-mode').textContent = scenarios.scripted
    ? 'model: scripted, offline'
    : 'model: OpenAI API'
  $('policy-text').textContent = policy
  state.policyText = policy
  const info = await writ.backends()
  state.webcrypto = info.webcrypto
  if (!info.webcrypto) $('backend').value = 'noble'
  await loadKeys()
  $('run-all').addEventListener('click', runAll)
  $('reset').addEventListener('click', resetWorld)
  $('inspector-back').addEventListener('click', () => {
    window.scrollTo({ top: state.returnTo ?? 0, behavior: 'smooth' })
    $('inspector-back').hidden = true
  })
  $('verify-chain').addEventListener('click', () => verifyChainInBrowser())
  for (const kind of ['delete', 'swap', 'truncate'])
    $(`chain-${kind}`).addEventListener('click', () => verifyChainInBrowser(kind))
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
