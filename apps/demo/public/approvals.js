// The approvals panel: payments held for the finance approver, her one-click answers
// (signed with her own key, not the authority's), and each flow hold → approval →
// PERMIT or DENY → execution, every step verified here in the browser.
import * as writ from '/assets/verify.js'

const panel = document.getElementById('approvals')
let shown = ''
let passkeyCount = 0

// Passkeys need a host name (WebAuthn refuses IP addresses): open the page at localhost.
// Passkey approvals were made there, so that is the origin they are checked against.
const passkeyOrigin = `${location.protocol}//localhost:${location.port}`
const passkeysHere = location.hostname === 'localhost' && 'PublicKeyCredential' in window
const toBase64Url = (buffer) =>
  btoa(String.fromCharCode(...new Uint8Array(buffer)))
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replace(/=+$/, '')
const fromBase64Url = (text) =>
  Uint8Array.from(atob(text.replaceAll('-', '+').replaceAll('_', '/')), (character) =>
    character.charCodeAt(0),
  )

async function registerPasskey(button) {
  button.disabled = true
  try {
    const { ceremony, options } = await fetchJson('/api/approvals/passkeys/options', {
      method: 'POST',
      body: '{}',
    })
    const credential = await navigator.credentials.create({
      publicKey: {
        ...options,
        challenge: fromBase64Url(options.challenge),
        user: { ...options.user, id: fromBase64Url(options.user.id) },
      },
    })
    await fetchJson('/api/approvals/passkeys', {
      method: 'POST',
      body: JSON.stringify({
        ceremony,
        credentialId: toBase64Url(credential.rawId),
        authenticatorData: toBase64Url(credential.response.getAuthenticatorData()),
        clientDataJSON: toBase64Url(credential.response.clientDataJSON),
      }),
    })
  } catch (error) {
    button.after(
      element('p', {
        class: 'approval-verdict bad',
        text: `Passkey not registered: ${error.message}`,
      }),
    )
  }
  await refresh(true)
}

async function answerWithPasskey(id, verdict, item) {
  for (const button of item.querySelectorAll('button')) button.disabled = true
  try {
    const { ceremony, options } = await fetchJson(`/api/approvals/${id}/passkey-challenge`, {
      method: 'POST',
      body: JSON.stringify({ verdict }),
    })
    const assertion = await navigator.credentials.get({
      publicKey: {
        ...options,
        challenge: fromBase64Url(options.challenge),
        allowCredentials: options.allowCredentials.map((entry) => ({
          ...entry,
          id: fromBase64Url(entry.id),
        })),
      },
    })
    await fetchJson(`/api/approvals/${id}/passkey-answer`, {
      method: 'POST',
      body: JSON.stringify({
        ceremony,
        credentialId: toBase64Url(assertion.rawId),
        authenticatorData: toBase64Url(assertion.response.authenticatorData),
        clientDataJSON: toBase64Url(assertion.response.clientDataJSON),
        signature: toBase64Url(assertion.response.signature),
      }),
    })
  } catch (error) {
    item.append(
      element('p', { class: 'approval-verdict bad', text: `Not recorded: ${error.message}` }),
    )
  }
  await refresh(true)
}

function passkeyLine() {
  if (!passkeysHere) {
    const url = `${location.protocol}//localhost:${location.port}/`
    return element('p', {
      class: 'small',
      text: `To approve with a passkey, open ${url} (passkeys need a host name).`,
    })
  }
  if (passkeyCount > 0)
    return element('p', {
      class: 'small',
      'data-testid': 'passkey-ready',
      text: 'Dana’s passkey is registered in this browser.',
    })
  const button = element('button', {
    type: 'button',
    'data-testid': 'register-passkey',
    text: 'Register Dana’s passkey in this browser',
  })
  button.addEventListener('click', () => registerPasskey(button))
  return element('div', { class: 'buttons' }, button)
}

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'text') node.textContent = value
    else node.setAttribute(name, value)
  }
  for (const child of children) if (child !== undefined && child !== null) node.append(child)
  return node
}

function money(args) {
  const body = args?.body ?? args
  if (typeof body?.amount !== 'number') return ''
  return `${body.amount.toLocaleString('en', { maximumFractionDigits: 2 })} ${body.currency ?? ''}`.trim()
}

function timeLeft(exp, now) {
  const seconds = Math.max(0, exp - now)
  return seconds === 0 ? 'closed' : `${Math.floor(seconds / 60)} min ${seconds % 60} s left`
}

async function fetchJson(path, init) {
  const response = await fetch(path, init)
  const body = await response.json()
  if (!response.ok) throw new Error(body.code ?? body.error ?? String(response.status))
  return body
}

function holdItem(hold, now, approver) {
  const body = hold.args?.body ?? hold.args
  const item = element('li', {
    class: 'approval-hold',
    'data-testid': 'approval-hold',
    'data-hold': hold.id,
  })
  item.append(
    element(
      'p',
      {},
      element('strong', { text: `${money(hold.args)} to ${body?.to ?? '?'}` }),
      ` (${body?.memo ?? 'no memo'})`,
    ),
    element('p', {
      class: 'small',
      text: `${hold.agent} asks to run ${hold.action}. ${hold.ruleDescription ?? `Rule ${hold.rule}.`}`,
    }),
    element('p', {
      class: 'small',
      text: `Waits for ${hold.quorum} of ${hold.group} · ${timeLeft(hold.exp, now)} · hold ${hold.id}`,
    }),
  )
  if (hold.state === 'pending') {
    const approve = element('button', {
      type: 'button',
      'data-testid': 'approve-hold',
      text: `Approve as ${approver.name}`,
    })
    const reject = element('button', {
      type: 'button',
      'data-testid': 'reject-hold',
      class: 'danger',
      text: 'Reject',
    })
    approve.addEventListener('click', () => answer(hold.id, 'approve', item))
    reject.addEventListener('click', () => answer(hold.id, 'reject', item))
    const buttons = element('div', { class: 'buttons' }, approve, reject)
    if (passkeysHere && passkeyCount > 0) {
      const withPasskey = element('button', {
        type: 'button',
        'data-testid': 'approve-passkey',
        text: 'Approve with passkey',
      })
      const rejectPasskey = element('button', {
        type: 'button',
        'data-testid': 'reject-passkey',
        class: 'danger',
        text: 'Reject with passkey',
      })
      withPasskey.addEventListener('click', () => answerWithPasskey(hold.id, 'approve', item))
      rejectPasskey.addEventListener('click', () => answerWithPasskey(hold.id, 'reject', item))
      buttons.prepend(withPasskey, rejectPasskey)
    }
    item.append(buttons)
  } else {
    item.append(element('p', { class: 'small', text: `State: ${hold.state}` }))
  }
  return item
}

async function answer(id, verdict, item) {
  for (const button of item.querySelectorAll('button')) button.disabled = true
  try {
    await fetchJson(`/api/approvals/${id}/${verdict}`, { method: 'POST' })
  } catch (error) {
    item.append(
      element('p', { class: 'approval-verdict bad', text: `Not recorded: ${error.message}` }),
    )
  }
  await refresh(true)
}

const STEP_TITLES = {
  hold: 'Held for approval',
  approval: 'Approval',
  decision: 'The agent asks again',
  execution: 'The bank',
}

function stepLine(step) {
  if (step.kind === 'hold') return `SILENCE ${step.reason}: the payment waits.`
  if (step.kind === 'approval')
    return `${step.by} ${step.verdict === 'approve' ? 'approves' : 'rejects'}, signed with her own ${step.approval.startsWith('{') ? 'passkey' : 'key'}.`
  if (step.kind === 'decision')
    return `${step.decision ?? 'no decision'} ${step.reason ?? ''}`.trim()
  if (!step.service) return 'Never received the request: nothing ran.'
  return step.service.executed
    ? `Executed the transfer (HTTP ${step.service.status}).`
    : `Refused (${step.service.code}).`
}

async function verifyStep(step, flow, output) {
  output.textContent = 'verifying…'
  if (step.kind === 'approval') {
    const approvers = await fetchJson('/.well-known/writ/approvers.json')
    const verdict = await writ.verifyApprovalToken(step.approval, approvers, passkeyOrigin)
    output.textContent = verdict.ok
      ? `✓ signed by ${verdict.claims.approver} (key ${verdict.kid.slice(0, 12)}…) for hold ${verdict.claims.hold}; digest ${verdict.digest.slice(0, 19)}…`
      : `✗ ${verdict.code}`
    output.className = `approval-verdict ${verdict.ok ? 'good' : 'bad'}`
    return
  }
  const keys = await fetchJson('/.well-known/writ/keys.json')
  const verdict = await writ.verifyReceiptToken(step.receipt, keys)
  let text = verdict.ok
    ? `✓ ${verdict.claims.decision} ${verdict.claims.reason}, key ${verdict.kid.slice(0, 12)}…`
    : `✗ ${verdict.code}`
  if (verdict.ok && Array.isArray(verdict.claims.appr)) {
    const approval = flow.steps.find((candidate) => candidate.kind === 'approval')
    const checked = approval
      ? await writ.verifyApprovalToken(
          approval.approval,
          await fetchJson('/.well-known/writ/approvers.json'),
          passkeyOrigin,
        )
      : undefined
    const named = verdict.claims.appr.map((entry) => entry.by).join(', ')
    const same = checked?.ok && verdict.claims.appr.some((entry) => entry.digest === checked.digest)
    text += `; names approval by ${named}${same ? ' (the digest matches the approval above)' : ' (digest does NOT match)'}; hold ${verdict.claims.hold}`
  }
  output.textContent = text
  output.className = `approval-verdict ${verdict.ok ? 'good' : 'bad'}`
}

function flowItem(flow) {
  const item = element('li', {
    class: 'approval-flow',
    'data-testid': 'approval-flow',
    'data-hold': flow.hold,
    'data-verdict': flow.verdict,
  })
  const steps = element('ol', { class: 'approval-steps' })
  for (const step of flow.steps) {
    const output = element('span', {
      class: 'approval-verdict',
      'data-testid': `verdict-${step.kind}`,
    })
    const row = element(
      'li',
      { 'data-step': step.kind },
      element('strong', { text: `${STEP_TITLES[step.kind]}: ` }),
      stepLine(step),
      ' ',
    )
    const verifiable =
      step.kind === 'approval' ||
      ((step.kind === 'hold' || step.kind === 'decision') && step.receipt)
    if (verifiable) {
      const button = element('button', {
        type: 'button',
        class: 'small',
        'data-testid': `verify-${step.kind}`,
        text: 'Verify in this browser',
      })
      button.addEventListener('click', () =>
        verifyStep(step, flow, output).catch((error) => {
          output.textContent = `✗ ${error.message}`
        }),
      )
      row.append(button, ' ', output)
    }
    steps.append(row)
  }
  item.append(
    element(
      'p',
      {},
      element('strong', {
        text: flow.executed
          ? 'Approved: the payment ran.'
          : flow.verdict === 'reject'
            ? 'Rejected: the payment stays blocked.'
            : 'Not executed.',
      }),
      ` Hold ${flow.hold}`,
    ),
    steps,
  )
  return item
}

const INVOICES = [
  ['AF-2207', '800 EUR'],
  ['AF-2291', '950 EUR'],
]

function askButtons() {
  const buttons = INVOICES.map(([invoice, amount]) => {
    const button = element('button', {
      type: 'button',
      'data-testid': `pay-${invoice}`,
      text: `Agent pays Atlas Freight ${invoice} (${amount})`,
    })
    button.addEventListener('click', async () => {
      button.disabled = true
      await fetchJson(`/api/approvals/invoices/${invoice}/pay`, { method: 'POST' }).catch(() => {})
      button.disabled = false
      await refresh(true)
    })
    return button
  })
  return element('div', { class: 'buttons' }, ...buttons)
}

function render({ approver, holds, flows, now, passkeys }) {
  passkeyCount = passkeys
  const pending = holds.filter((hold) => hold.state === 'pending')
  const parts = [
    element(
      'div',
      { class: 'panel-head' },
      element('h2', { id: 'approvals-title', text: 'Approvals' }),
      element('span', {
        class: 'hint',
        text: `${approver.name} approves large freight payments, signing with her own key: a demo key in one click, or a passkey`,
      }),
    ),
    element('p', {
      class: 'small',
      text: 'Freight invoices above 500 EUR wait for finance (rule payments-freight-needs-finance-approval). Ask the procurement agent to pay one; it is held until Dana answers.',
    }),
    askButtons(),
    passkeyLine(),
    pending.length === 0
      ? element('p', {
          class: 'small',
          'data-testid': 'no-holds',
          text: 'No payment waits for approval.',
        })
      : element(
          'ul',
          { class: 'approval-holds' },
          ...pending.map((hold) => holdItem(hold, now, approver)),
        ),
    flows.length === 0 ? undefined : element('h3', { text: 'Answered' }),
    flows.length === 0
      ? undefined
      : element('ol', { class: 'approval-flows' }, ...flows.map(flowItem)),
  ]
  panel.replaceChildren(...parts.filter((part) => part !== undefined))
}

async function refresh(force = false) {
  const state = await fetchJson('/api/approvals')
  const key = JSON.stringify({
    holds: state.holds.map((hold) => [hold.id, hold.state]),
    flows: state.flows.length,
    passkeys: state.passkeys,
  })
  if (!force && key === shown) return
  shown = key
  render(state)
}

refresh(true).catch(() => {})
setInterval(() => refresh().catch(() => {}), 1500)
