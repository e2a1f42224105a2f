import {
  type AdapterHarness,
  describeAdapterConformance,
} from '../../../test/conformance/adapter-suite.js'
import { createGatedFetch } from '../src/index.js'
import { listen } from './support.js'

// The tool body runs in a real node:http server: the request's JSON body is the tool's
// arguments. The gate decides the request itself, so the policy reads them at
// `args.body` and the receipt binds the whole request (spec section 10).
async function fetchHarness(): Promise<AdapterHarness> {
  let execute: ((args: unknown) => unknown) | undefined
  const server = await listen((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const result = execute?.(JSON.parse(Buffer.concat(chunks).toString('utf8')))
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(JSON.stringify(result ?? null))
    })
  })
  return {
    async run(call) {
      execute = call.execute
      const gatedFetch = createGatedFetch(call.gate, { actionName: call.action })
      const response = await gatedFetch(`${server.origin}/tools/${call.action}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: call.argsText,
      })
      return { refused: response.status === 403, text: await response.text() }
    },
    close: () => server.close(),
  }
}

describeAdapterConformance('@writ/fetch', fetchHarness, { decides: 'http' })
// The same cases with the key in a PKCS#11 token (SoftHSM2): nothing assumes it is in memory.
describeAdapterConformance('@writ/fetch', fetchHarness, { decides: 'http', signer: 'pkcs11' })
