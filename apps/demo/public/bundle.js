// The audit bundle on the demo page: a link to download the bundle of the current chain,
// and a drop zone that verifies any bundle in this browser with @writ/verify's
// verifyBundle (spec section 12), against this authority's trust file, or against a
// trust file dropped next to it. Nothing is sent to the server.
import { verifyBundle } from '/assets/verify.js'

const style = document.createElement('style')
style.textContent = `#bundle-drop{border:2px dashed #8a94a6;border-radius:8px;padding:1.2em;text-align:center;cursor:pointer}
#bundle-drop.over{background:#eef4ff;border-color:#3b6fd8}#bundle-drop label{text-decoration:underline;cursor:pointer}`
document.head.append(style)

const section = document.createElement('section')
section.className = 'panel'
section.id = 'audit-bundle'
section.setAttribute('aria-labelledby', 'bundle-title')
section.innerHTML = `
  <div class="panel-head">
    <h2 id="bundle-title">Audit bundle</h2>
    <a class="button" id="bundle-download" data-testid="bundle-download" href="/api/bundle" download>Download the audit bundle</a>
  </div>
  <p class="small">One file with the chain's receipts, the policy, the keys, a signed checkpoint and the proofs.
  Drop a bundle here (and, if you like, your own trust file) to check it in this browser, offline.</p>
  <div id="bundle-drop" data-testid="bundle-drop" class="drop-zone" tabindex="0">Drop an audit bundle or a trust file here, or
    <label>choose a file <input id="bundle-file" data-testid="bundle-file" type="file" accept="application/json,.json" multiple hidden></label></div>
  <p id="bundle-trust" class="small mono" data-testid="bundle-trust">Trust: this demo's authority (its published keys and log keys).</p>
  <div id="bundle-result" class="verdict" data-testid="bundle-result" aria-live="polite"></div>`
;(document.querySelector('main') ?? document.body).append(section)

const drop = section.querySelector('#bundle-drop')
const input = section.querySelector('#bundle-file')
const result = section.querySelector('#bundle-result')
const trustNote = section.querySelector('#bundle-trust')
let trust
let lastBundle

async function defaultTrust() {
  const response = await fetch('/api/bundle/trust', { cache: 'no-store' })
  return response.text()
}

function show(report, name) {
  const ok = report.problem === undefined
  result.className = `verdict ${ok ? 'ok' : 'bad'}`
  result.dataset.assurance = report.assurance
  result.dataset.code = report.problem?.code ?? ''
  const where = report.problem?.seq === undefined ? '' : ` at seq ${report.problem.seq}`
  const checkpoint = report.checkpoint
    ? `; checkpoint of ${report.checkpoint.size} receipts (${report.checkpoint.origin}), ${report.checkpoint.witnesses.length} witness cosignature(s)`
    : ''
  result.textContent = ok
    ? `✓ ${name}: ${report.assurance}: ${report.receipts} receipts${checkpoint}`
    : `✗ ${name}: ${report.problem.code}${where} (reached: ${report.assurance}). ${report.problem.message}`
}

async function verifyText(text, name) {
  let parsed
  try {
    parsed = JSON.parse(text)
  } catch {
    parsed = undefined
  }
  if (parsed && parsed.format === undefined && parsed.keys !== undefined) {
    trust = text
    trustNote.textContent = `Trust: ${name} (dropped).`
    if (lastBundle === undefined) return
    return show(await verifyBundle(lastBundle.text, trust), lastBundle.name)
  }
  lastBundle = { text, name }
  show(await verifyBundle(text, trust ?? (await defaultTrust())), name)
}

async function verifyFiles(files) {
  // A trust file first, so a bundle dropped with it is checked against it.
  const list = [...files].sort((a, b) =>
    a.name.includes('trust') ? -1 : b.name.includes('trust') ? 1 : 0,
  )
  for (const file of list) await verifyText(await file.text(), file.name)
}

drop.addEventListener('dragover', (event) => {
  event.preventDefault()
  drop.classList.add('over')
})
drop.addEventListener('dragleave', () => drop.classList.remove('over'))
drop.addEventListener('drop', (event) => {
  event.preventDefault()
  drop.classList.remove('over')
  verifyFiles(event.dataTransfer?.files ?? []).catch((error) => {
    result.className = 'verdict bad'
    result.textContent = `✗ ${String(error)}`
  })
})
input.addEventListener('change', () => verifyFiles(input.files ?? []))
