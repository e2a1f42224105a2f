// The operator's console. Every figure comes from /console/api (operators only); receipts
// are verified here, in the browser, with the published key set.
import { digestOf, verify } from '/console/assets/verify.js'

const $ = (selector) => document.querySelector(selector)
const state = { next: null, filter: {}, keys: null, current: null, timer: null }

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'text') node.textContent = value
    else node.setAttribute(name, value)
  }
  for (const child of children) node.append(child)
  return node
}

async function api(path) {
  const response = await fetch(path, { credentials: 'same-origin' })
  if (response.status === 401) {
    showSignIn()
    throw new Error('UNAUTHENTICATED')
  }
  const body = await response.json()
  if (!response.ok) throw new Error(body.code ?? String(response.status))
  return body
}

const time = (seconds) => new Date(seconds * 1000).toISOString().replace('T', ' ').slice(0, 19)
/** The timeline's short form (UTC): month, day and time of day. */
const shortTime = (seconds) => time(seconds).slice(5)

function showSignIn() {
  $('#app').hidden = true
  $('#sign-out').hidden = true
  $('#who').textContent = ''
  $('#sign-in').hidden = false
  $('#token').focus()
}

async function signIn(event) {
  event.preventDefault()
  const response = await fetch('/console/api/sign-in', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: $('#token').value }),
  })
  const body = await response.json()
  $('#token').value = ''
  if (!response.ok) {
    $('#sign-in-error').textContent = `Refused: ${body.code}`
    return
  }
  $('#sign-in-error').textContent = ''
  await start()
}

async function start() {
  const me = await api('/console/api/me')
  $('#sign-in').hidden = true
  $('#app').hidden = false
  $('#sign-out').hidden = false
  $('#who').textContent =
    `Signed in as ${me.operator} · policy ${me.policy.id} ${me.policy.digest.slice(0, 19)}…`
  state.approvals = me.approvalsPage
  state.keys = await (await fetch('/.well-known/writ/keys.json')).json()
  await Promise.all([loadDecisions(true), loadRates(), loadHolds(), loadEvidence(), loadShadow()])
  clearInterval(state.timer)
  state.timer = setInterval(() => {
    if ($('#live').checked && !$('#inspector').open) refresh()
  }, 3000)
}

function refresh() {
  return Promise.all([
    loadDecisions(true),
    loadRates(),
    loadHolds(),
    loadEvidence(),
    loadShadow(),
  ]).catch(() => {})
}

function filterFrom(form) {
  const filter = {}
  for (const [name, value] of new FormData(form)) {
    if (value === '') continue
    filter[name] =
      name === 'since' || name === 'until'
        ? String(Math.floor(Date.parse(`${value}Z`) / 1000))
        : value
  }
  return filter
}

async function loadDecisions(fresh) {
  const query = new URLSearchParams(state.filter)
  if (!fresh && state.next !== null) query.set('before', String(state.next))
  const page = await api(`/console/api/decisions?${query}`)
  const body = $('#timeline tbody')
  if (fresh) body.replaceChildren()
  for (const row of page.rows) body.append(rowElement(row))
  state.next = page.next
  $('#older').hidden = page.next === null
  $('#decisions-status').textContent =
    `${body.children.length} decision${body.children.length === 1 ? '' : 's'} shown${page.chain ? ` · chain ${page.chain}` : ''}`
}

function rowElement(row) {
  const open = el('button', {
    type: 'button',
    class: 'link',
    text: shortTime(row.iat),
    'aria-label': `Open receipt ${row.seq} from ${time(row.iat)}`,
  })
  open.addEventListener('click', () => inspect(row.jti))
  return el(
    'tr',
    { 'data-jti': row.jti },
    el('td', {}, open),
    el('td', { text: row.agent }),
    el('td', { text: row.action }),
    el('td', {}, el('span', { class: `badge ${row.decision.toLowerCase()}`, text: row.decision })),
    el('td', { text: row.rule ?? '(none)' }),
    el('td', { text: row.reason }),
    el('td', { text: String(row.seq) }),
  )
}

async function inspect(jti) {
  const detail = await api(`/console/api/receipts/${encodeURIComponent(jti)}`)
  state.current = detail
  const dialog = $('#inspector')
  $('#receipt-token').value = detail.receipt.token
  const facts = $('#receipt-facts')
  facts.replaceChildren()
  for (const [name, value] of [
    ['Receipt', detail.receipt.jti],
    ['Request', detail.receipt.req],
    ['Agent', detail.receipt.agent],
    ['Action', detail.receipt.action],
    ['Decision', detail.receipt.decision],
    ['Rule', detail.receipt.rule ?? '(none)'],
    ['Reason', detail.receipt.reason],
    ['Policy', detail.receipt.policy],
  ])
    facts.append(el('dt', { text: name }), el('dd', { text: value }))
  const related = $('#related')
  related.replaceChildren()
  for (const row of detail.related) {
    const link = el('button', {
      type: 'button',
      class: 'link',
      text: `${row.decision} · seq ${row.seq} · ${row.jti}`,
    })
    link.addEventListener('click', () => inspect(row.jti))
    related.append(el('li', {}, link))
  }
  if (detail.related.length === 0)
    related.append(el('li', { text: 'No other receipt for this request.' }))
  if (!dialog.open) dialog.showModal()
  await check()
}

async function check() {
  const detail = state.current
  const token = $('#receipt-token').value.trim()
  const verdict = await verify(token, state.keys)
  const out = $('#verdict')
  out.className = verdict.ok ? 'ok' : 'fail'
  out.textContent = verdict.ok
    ? `Verified in this browser with key ${verdict.kid}.`
    : `Verification failed: ${verdict.code}`
  out.dataset.code = verdict.ok ? 'OK' : verdict.code
  const seq = detail.receipt.seq
  const parts = [`Position ${seq} of ${detail.length} in chain ${detail.receipt.chain}.`]
  if (verdict.ok) {
    const claims = verdict.claims
    if (detail.previous)
      parts.push(
        digestOf(detail.previous.token) === claims.chain.prev
          ? `Links to receipt ${seq - 1}.`
          : `Does not link to receipt ${seq - 1}.`,
      )
    else if (seq === 0) parts.push('First receipt of the chain.')
    if (detail.next)
      parts.push(
        digestOf(token) ===
          JSON.parse(atob(detail.next.token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')))
            .chain.prev
          ? `Receipt ${seq + 1} links to it.`
          : `Receipt ${seq + 1} does not link to it.`,
      )
  }
  $('#chain-place').textContent = parts.join(' ')
}

function tamper() {
  const [header, payload, signature] = $('#receipt-token').value.trim().split('.')
  const decode = (text) =>
    JSON.parse(
      new TextDecoder().decode(
        Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)),
      ),
    )
  const encode = (value) =>
    btoa(String.fromCharCode(...new TextEncoder().encode(JSON.stringify(value))))
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '')
  const claims = decode(payload)
  claims.decision = claims.decision === 'PERMIT' ? 'DENY' : 'PERMIT'
  $('#receipt-token').value = `${header}.${encode(claims)}.${signature}`
  return check()
}

async function loadRates() {
  const rates = await api('/console/api/rates')
  const moved = new Set(
    rates.drift
      ? [...rates.drift.permit, ...rates.drift.deny]
          .filter((row) => row.flagged)
          .map((row) => row.group)
      : [],
  )
  drawChart('#chart-decisions', rates, rates.decisions, new Set())
  drawChart('#chart-rules', rates, rates.rules, moved)
  const drift = $('#drift')
  drift.replaceChildren()
  if (!rates.drift || rates.drift.around === undefined) return
  const flagged = [
    ...rates.drift.permit.filter((row) => row.flagged).map((row) => ({ ...row, kind: 'PERMIT' })),
    ...rates.drift.deny.filter((row) => row.flagged).map((row) => ({ ...row, kind: 'DENY' })),
  ]
  drift.append(
    el('p', {
      text: `Since policy ${rates.drift.around.slice(0, 19)}… (${rates.changes.length} change${rates.changes.length === 1 ? '' : 's'} in view):`,
    }),
  )
  const list = el('ul', { class: 'flags' })
  for (const row of flagged)
    list.append(
      el('li', {
        class: 'flagged',
        text: `${row.group}: ${row.kind} rate ${pct(row.before.rate)} → ${pct(row.after.rate)} (${row.change > 0 ? '+' : ''}${pct(row.change)})`,
      }),
    )
  if (flagged.length === 0) list.append(el('li', { text: 'No rule moved past the threshold.' }))
  drift.append(list)
}

const pct = (value) => `${Math.round(value * 1000) / 10}%`
const COLORS = ['#1b6e3a', '#b3261e', '#7a5c00', '#1f4e9c', '#6b2a8c', '#00636b', '#8c3b00', '#444']
const charts = new Map()

function drawChart(selector, rates, groups, moved) {
  const { times, changes, bucket } = rates
  const target = $(selector)
  const names = Object.keys(groups)
  const fixed = { PERMIT: '#1b6e3a', DENY: '#b3261e', SILENCE: '#7a5c00' }
  const series = [
    {},
    ...names.map((name, index) => ({
      label: moved.has(name) ? `${name} (moved)` : name,
      stroke: fixed[name] ?? COLORS[index % COLORS.length],
      width: moved.has(name) ? 4 : 1.5,
    })),
  ]
  const data = [times, ...names.map((name) => groups[name])]
  charts.get(selector)?.destroy()
  if (times.length === 0) {
    target.textContent = 'No decisions yet.'
    return
  }
  target.textContent = ''
  const width = Math.min(target.clientWidth || 600, 1200)
  const chart = new window.uPlot(
    {
      width,
      height: 220,
      series,
      scales: { x: { time: true, range: (_u, min, max) => [min - bucket, max + bucket] } },
      axes: [{}, { label: `decisions per ${bucket} s` }],
      hooks: {
        draw: [
          (u) => {
            const { ctx } = u
            ctx.save()
            ctx.strokeStyle = '#6b2a8c'
            ctx.setLineDash([6, 4])
            ctx.lineWidth = 2
            for (const change of changes) {
              const x = u.valToPos(change.at, 'x', true)
              ctx.beginPath()
              ctx.moveTo(x, u.bbox.top)
              ctx.lineTo(x, u.bbox.top + u.bbox.height)
              ctx.stroke()
            }
            ctx.restore()
          },
        ],
      },
    },
    data,
    target,
  )
  charts.set(selector, chart)
  target.setAttribute('data-changes', String(changes.length))
}

async function loadShadow() {
  const shadow = await api('/console/api/shadow')
  const target = $('#shadow')
  target.replaceChildren()
  if (!shadow.available) {
    target.append(el('p', { text: 'This store keeps no shadow records.' }))
    return
  }
  target.append(
    el('p', {
      text: `${shadow.total}${shadow.capped ? '+' : ''} disagreement${shadow.total === 1 ? '' : 's'} with the shadow candidate in the last ${shadow.days} days.`,
    }),
  )
  const list = el('ul')
  for (const record of shadow.newest)
    list.append(
      el('li', {
        text: `${time(record.at)} ${record.action}: enforced ${record.enforcing.decision} (${record.enforcing.rule ?? '(none)'}), candidate ${record.candidate.decision} (${record.candidate.rule ?? '(none)'})`,
      }),
    )
  if (shadow.newest.length > 0) target.append(list)
}

async function loadHolds() {
  const { holds } = await api('/console/api/holds')
  const list = $('#holds-list')
  list.replaceChildren()
  if (holds.length === 0) list.append(el('p', { text: 'No hold waits for an answer.' }))
  for (const hold of holds) {
    const left = Math.max(0, hold.secondsLeft)
    const card = el(
      'article',
      { class: 'hold', 'aria-label': `Hold ${hold.id}` },
      el('h3', { text: `${hold.action} by ${hold.agent}` }),
      el('p', {
        text: `Group ${hold.group}: ${hold.approvals.length} of ${hold.quorum} approvals · ${Math.floor(left / 60)} min ${left % 60} s left`,
      }),
      el('p', { text: `Approvers: ${hold.approvers.join(', ') || '(none configured)'}` }),
    )
    if (state.approvals)
      card.append(el('a', { href: state.approvals, text: 'Answer on the approvals page' }))
    list.append(card)
  }
}

async function loadEvidence() {
  const { chains } = await api('/console/api/evidence')
  const list = $('#evidence-list')
  list.replaceChildren()
  for (const chain of chains) {
    const checkpoint = chain.checkpoint
    const card = el(
      'article',
      { class: 'chain', 'aria-label': `Chain ${chain.chain}` },
      el('h3', { text: `Chain ${chain.chain}` }),
      el('p', { text: `${chain.length} receipts · assurance: ${chain.assurance}` }),
      el('p', {
        text: checkpoint
          ? `Newest checkpoint: size ${checkpoint.size}, ${checkpoint.origin}`
          : 'No checkpoint yet.',
      }),
      el('p', { text: `Cosignatures: ${chain.cosigners.join(', ') || 'none'}` }),
    )
    const form = el('form', {
      class: 'bundle',
      'aria-label': `Audit bundle of chain ${chain.chain}`,
    })
    const to = checkpoint ? checkpoint.size : chain.length
    form.append(
      el(
        'label',
        {},
        'From seq ',
        el('input', { name: 'from', type: 'number', min: '0', value: '0' }),
      ),
      el(
        'label',
        {},
        'To seq ',
        el('input', { name: 'to', type: 'number', min: '0', value: String(to) }),
      ),
      el('button', { type: 'submit', text: 'Download the audit bundle for this range' }),
    )
    form.addEventListener('submit', (event) => {
      event.preventDefault()
      const data = new FormData(form)
      const query = new URLSearchParams({
        chain: chain.chain,
        from: data.get('from'),
        to: data.get('to'),
      })
      window.location.href = `/console/api/bundle?${query}`
    })
    card.append(form)
    list.append(card)
  }
}

/** Offers the passkey sign-in when the authority allows it (the approvals page's ceremony). */
async function offerPasskey() {
  const methods = await (await fetch('/console/api/sign-in-methods')).json()
  if (!methods.passkey) return
  await new Promise((resolve, reject) => {
    const script = el('script', { src: '/approvals/assets/webauthn.js' })
    script.addEventListener('load', resolve)
    script.addEventListener('error', reject)
    document.head.append(script)
  })
  $('#passkey-sign-in').hidden = false
}

async function post(path, body) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  const answer = await response.json()
  if (!response.ok) throw new Error(answer.code ?? String(response.status))
  return answer
}

async function passkeySignIn() {
  try {
    const { ceremony, options } = await post('/approvals/api/sign-in/options', {})
    const response = await window.SimpleWebAuthnBrowser.startAuthentication({
      optionsJSON: options,
    })
    await post('/approvals/api/sign-in/verify', { ceremony, response })
    await post('/approvals/api/console-session', {})
    $('#sign-in-error').textContent = ''
    await start()
  } catch (error) {
    $('#sign-in-error').textContent = `Refused: ${error.message}`
  }
}

$('#passkey-button').addEventListener('click', passkeySignIn)
$('#sign-in-form').addEventListener('submit', signIn)
$('#sign-out').addEventListener('click', async () => {
  await fetch('/console/api/sign-out', { method: 'POST' })
  showSignIn()
})
$('#filters').addEventListener('submit', (event) => {
  event.preventDefault()
  state.filter = filterFrom(event.target)
  loadDecisions(true).catch((error) => {
    $('#decisions-status').textContent = `Refused: ${error.message}`
  })
})
$('#older').addEventListener('click', () => loadDecisions(false))
$('#reverify').addEventListener('click', check)
$('#tamper').addEventListener('click', tamper)
$('#close-inspector').addEventListener('click', () => $('#inspector').close())
start().catch(() => showSignIn())
offerPasskey().catch(() => {})
