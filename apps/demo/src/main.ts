#!/usr/bin/env node
/**
 * `npm run demo`: starts everything and prints one URL. Ctrl-C stops it.
 */
import { startDemo } from './demo.js'

const port = Number(process.env['PORT'] ?? 0)
const demo = await startDemo({ port: Number.isInteger(port) && port >= 0 ? port : 0 })

process.stdout.write(
  [
    '',
    '  Writ demo — agents propose, Writ decides, services refuse what has no permit.',
    '',
    `  Open ${demo.url}`,
    '',
    `  model: ${demo.scripted ? 'scripted, offline (set OPENAI_API_KEY for the real API)' : 'OpenAI API'}`,
    `  receipts: ${demo.storePath}`,
    `  verify them later: node packages/cli/dist/bin.js chain verify --store ${demo.storePath} --keys ${demo.keysPath}`,
    '',
  ].join('\n'),
)

const stop = () => {
  demo.close().then(
    () => process.exit(0),
    () => process.exit(1),
  )
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
