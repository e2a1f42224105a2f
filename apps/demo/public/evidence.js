// The evidence download on the demo page: one tar file with the store, the keys and a
// checkpoint, and the exact command that checks them with the Writ CLI.
const command =
  'writ chain verify --store writ-evidence/receipts.db --keys writ-evidence/keys.json --checkpoint writ-evidence/checkpoint.jws'

const section = document.createElement('section')
section.className = 'panel'
section.id = 'evidence'
section.setAttribute('aria-labelledby', 'evidence-title')
section.innerHTML = `
  <div class="panel-head">
    <h2 id="evidence-title">Check it yourself</h2>
    <a class="button" data-testid="evidence-download" href="/api/evidence.tar" download>Download receipts, keys and checkpoint</a>
  </div>
  <p class="small">One tar file: the SQLite store with every receipt, the published keys and a checkpoint
  signed as you download. Unpack it (<code>tar xf writ-evidence-*.tar</code>) and run, in the same folder:</p>
  <pre class="mono" data-testid="evidence-command" style="white-space:pre-wrap;overflow-wrap:anywhere"></pre>`
section.querySelector('pre').textContent = command
;(document.querySelector('main') ?? document.body).append(section)
