// The approvals page: enroll a passkey, sign in, and approve or reject held actions.
// Every answer is a passkey assertion over the approval's claims; the server checks it.
;(() => {
  const webauthn = window.SimpleWebAuthnBrowser
  const $ = (id) => document.getElementById(id)
  const state = { holds: [], now: 0, loadedAt: 0, timer: undefined }

  function say(text, kind = 'info') {
    const status = $('status')
    status.textContent = text
    status.dataset.kind = kind
  }

  async function api(path, body) {
    const response = await fetch(`/approvals/api/${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    })
    const value = await response.json().catch(() => ({}))
    if (!response.ok) {
      const error = new Error(value.detail || `The server answered ${response.status}.`)
      error.code = value.code
      throw error
    }
    return value
  }

  function show(section) {
    for (const id of ['enroll', 'sign-in', 'holds']) $(id).hidden = id !== section
  }

  // Words a reviewer reads: "payments.transfer" -> "Payments: transfer", "accountNumber" -> "Account number".
  function words(name) {
    const spaced = String(name)
      .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
      .replace(/[_-]+/g, ' ')
      .toLowerCase()
    return spaced.charAt(0).toUpperCase() + spaced.slice(1)
  }
  function actionWords(action) {
    const parts = String(action).split('.')
    return parts
      .map((part, index) => (index === 0 ? words(part) : words(part).toLowerCase()))
      .join(': ')
  }
  function amountWords(value, currency) {
    if (typeof value !== 'number') return String(value)
    const formatted = value.toLocaleString('en', { maximumFractionDigits: 2 })
    return typeof currency === 'string' ? `${formatted} ${currency}` : formatted
  }
  function valueWords(key, value, args) {
    if (typeof value === 'number' && /amount|total|sum|price|value/i.test(key)) {
      return amountWords(value, args.currency)
    }
    if (typeof value === 'number') return value.toLocaleString('en')
    if (typeof value === 'string') return value
    if (typeof value === 'boolean') return value ? 'yes' : 'no'
    return JSON.stringify(value)
  }
  function durationWords(seconds) {
    if (seconds <= 0) return 'closed'
    const hours = Math.floor(seconds / 3600)
    const minutes = Math.floor((seconds % 3600) / 60)
    const rest = seconds % 60
    if (hours > 0) return `${hours} h ${minutes} min left`
    if (minutes > 0) return `${minutes} min ${rest} s left`
    return `${rest} s left`
  }
  function windowWords(window) {
    const match = /^(\d+)([smhd])$/.exec(window)
    if (!match) return window
    const unit = { s: 'second', m: 'minute', h: 'hour', d: 'day' }[match[2]]
    return `${match[1]} ${unit}${match[1] === '1' ? '' : 's'}`
  }

  function element(tag, attributes = {}, ...children) {
    const node = document.createElement(tag)
    for (const [name, value] of Object.entries(attributes)) {
      if (name === 'text') node.textContent = value
      else node.setAttribute(name, value)
    }
    for (const child of children) if (child) node.append(child)
    return node
  }

  function argumentList(args) {
    const list = element('dl', { class: 'args' })
    for (const [key, value] of Object.entries(args)) {
      if (key === 'currency' && typeof args.amount === 'number') continue
      list.append(
        element('dt', { text: words(key) }),
        element('dd', { text: valueWords(key, value, args) }),
      )
    }
    return list
  }

  function limitList(hold) {
    if (hold.limits.length === 0) return undefined
    const list = element('ul', { class: 'limits' })
    for (const limit of hold.limits) {
      const scope = limit.per === 'agent' ? 'for this agent' : 'for all agents'
      const adds =
        limit.measure === 'count'
          ? `This is one of at most ${limit.max.toLocaleString('en')} calls`
          : `This adds ${amountWords(limit.amount ?? 0, hold.args.currency)} to at most ${amountWords(limit.max, hold.args.currency)}`
      const text = `${adds} every ${windowWords(limit.window)} ${scope}.`
      list.append(
        element(
          'li',
          {},
          element('strong', { text: `${words(limit.id)}: ` }),
          text,
          limit.description ? ` ${limit.description}` : '',
        ),
      )
    }
    return list
  }

  function answersLine(hold) {
    const approvals = hold.approvals.filter((approval) => approval.verdict === 'approve').length
    const names = hold.approvals.map(
      (approval) =>
        `${approval.name} (${approval.verdict === 'approve' ? 'approved' : 'rejected'})`,
    )
    const base = `${approvals} of ${hold.quorum} approval${hold.quorum === 1 ? '' : 's'} needed from ${words(hold.group)}`
    return names.length === 0 ? `${base}.` : `${base}: ${names.join(', ')}.`
  }

  const STATE_WORDS = {
    pending: 'Waiting for approval',
    approved: 'Approved: the agent may now ask again and the action will run',
    rejected: 'Rejected: the action stays blocked',
    used: 'Approved and carried out',
    expired: 'Expired: nobody decided in time',
  }

  function holdCard(hold) {
    const titleId = `hold-${hold.id}-title`
    const card = element('li', {
      class: `hold state-${hold.state}`,
      'aria-labelledby': titleId,
      'data-hold': hold.id,
    })
    card.append(
      element('h3', { id: titleId, text: actionWords(hold.action) }),
      element('p', { class: 'state', text: STATE_WORDS[hold.state] || hold.state }),
      element(
        'p',
        {},
        element('strong', { text: hold.agent }),
        ` asks to run ${hold.action}${hold.audience ? ` at ${hold.audience}` : ''}.`,
      ),
      argumentList(hold.args),
      element(
        'p',
        { class: 'rule' },
        element('strong', { text: 'Why it waits: ' }),
        hold.ruleDescription || `the rule ${hold.rule} needs approval.`,
        hold.condition
          ? element('span', { class: 'condition', text: ` (rule ${hold.rule}: ${hold.condition})` })
          : '',
      ),
      limitList(hold),
      element('p', { class: 'answers', text: answersLine(hold) }),
      element('p', {
        class: 'time',
        'data-exp': String(hold.exp),
        text: durationWords(hold.secondsLeft),
      }),
      element('p', { class: 'hold-id', text: `Hold ${hold.id}` }),
    )
    if (hold.state === 'pending' && hold.yourAnswer === null) card.append(answerForm(hold))
    return card
  }

  function answerForm(hold) {
    const noteId = `note-${hold.id}`
    const form = element('div', { class: 'answer' })
    const note = element('textarea', { id: noteId, rows: '2', maxlength: '1024' })
    const approve = element('button', {
      type: 'button',
      class: 'primary approve',
      text: 'Approve with passkey',
    })
    const reject = element('button', {
      type: 'button',
      class: 'danger reject',
      text: 'Reject with passkey',
    })
    approve.addEventListener('click', () => answer(hold, 'approve', note.value, form))
    reject.addEventListener('click', () => answer(hold, 'reject', note.value, form))
    form.append(
      element('label', { for: noteId, text: 'Note for the record (optional)' }),
      note,
      element('div', { class: 'buttons' }, approve, reject),
    )
    return form
  }

  async function answer(hold, verdict, note, form) {
    for (const button of form.querySelectorAll('button')) button.disabled = true
    try {
      say(
        verdict === 'approve'
          ? 'Confirm the approval on your device…'
          : 'Confirm the rejection on your device…',
      )
      const challenge = await api(`holds/${encodeURIComponent(hold.id)}/challenge`, {
        verdict,
        note,
      })
      const response = await webauthn.startAuthentication({ optionsJSON: challenge.options })
      const updated = await api(`holds/${encodeURIComponent(hold.id)}/answer`, {
        ceremony: challenge.ceremony,
        response,
      })
      say(
        verdict === 'approve'
          ? `Approved. ${STATE_WORDS[updated.state] || ''}`
          : 'Rejected. The action stays blocked.',
        'ok',
      )
      await loadHolds()
    } catch (error) {
      say(`Not recorded: ${error.message}${error.code ? ` (${error.code})` : ''}`, 'error')
      for (const button of form.querySelectorAll('button')) button.disabled = false
    }
  }

  function tick() {
    const elapsed = Math.floor((Date.now() - state.loadedAt) / 1000)
    for (const node of document.querySelectorAll('.time[data-exp]')) {
      node.textContent = durationWords(Number(node.dataset.exp) - state.now - elapsed)
    }
  }

  async function loadHolds() {
    const { holds, now } = await api('holds')
    state.holds = holds
    state.now = now
    state.loadedAt = Date.now()
    const list = $('hold-list')
    list.replaceChildren(...holds.map(holdCard))
    $('empty').hidden = holds.length > 0
    show('holds')
    clearInterval(state.timer)
    state.timer = setInterval(tick, 1000)
  }

  function signedIn(me) {
    $('who').hidden = false
    $('who-name').textContent = me.name
    return loadHolds()
  }

  async function signIn() {
    try {
      say('Use your passkey to sign in…')
      const { ceremony, options } = await api('sign-in/options', {})
      const response = await webauthn.startAuthentication({ optionsJSON: options })
      const me = await api('sign-in/verify', { ceremony, response })
      say(`Signed in as ${me.name}.`, 'ok')
      await signedIn(me)
    } catch (error) {
      say(`Sign-in failed: ${error.message}`, 'error')
    }
  }

  async function enroll(token) {
    try {
      say('Your device will ask you to create a passkey…')
      const { ceremony, options } = await api('enroll/options', { token })
      const response = await webauthn.startRegistration({ optionsJSON: options })
      await api('enroll/verify', { ceremony, response })
      history.replaceState(null, '', '/approvals')
      const me = await api('me')
      say('Passkey registered. You are signed in.', 'ok')
      await signedIn(me)
    } catch (error) {
      say(`Registration failed: ${error.message}`, 'error')
    }
  }

  async function start() {
    $('sign-in-button').addEventListener('click', signIn)
    $('refresh').addEventListener('click', () =>
      loadHolds().catch((error) => say(error.message, 'error')),
    )
    $('sign-out').addEventListener('click', async () => {
      await api('sign-out', {})
      $('who').hidden = true
      show('sign-in')
      say('Signed out.')
    })
    if (!webauthn?.browserSupportsWebAuthn()) {
      say('This browser cannot use passkeys.', 'error')
    }
    const token = new URLSearchParams(location.search).get('enroll')
    if (token) {
      show('enroll')
      try {
        const { approver } = await api('enroll/options', { token })
        $('enroll-name').textContent = approver.name
      } catch (error) {
        say(`This enrollment link cannot be used: ${error.message}`, 'error')
      }
      $('enroll-button').addEventListener('click', () => enroll(token))
      return
    }
    const me = await api('me').catch(() => undefined)
    if (me) await signedIn(me)
    else show('sign-in')
  }

  document.addEventListener('DOMContentLoaded', () => {
    start().catch((error) => say(error.message, 'error'))
  })
})()
