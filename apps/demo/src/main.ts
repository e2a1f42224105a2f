#!/usr/bin/env node
/**
 * `npm run demo`: starts everything and prints one URL. The page prefers port `PORT`
 * (default 4321) and takes a free one only when that port is taken. Ctrl-C stops it.
 */
import { DEFAULT_DEMO_PORT, startDemo } from './demo.js'

/** The port asked for in `PORT`, or the default when it is unset or not a port number. */
function preferredPort(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_DEMO_PORT
  const port = Number(value)
  return Number.isInteger(port) && port >= 0 && port <= 65535 ? port : DEFAULT_DEMO_PORT
}

const demo = await startDemo({
  port: preferredPort(process.env['PORT']),
  onReset: (world) => {
    process.stdout.write(
      `  reset: world #${world.generation}, receipts now in ${world.storePath} (keys ${world.keysPath})\n`,
    )
  },
})

process.stdout.write(
  [
    '',
    '  Writ demo — agents propose, Writ decides, services refuse what has no permit.',
    '',
    `  Open ${demo.url}`,
    ...(demo.portTaken === null
      ? []
      : [`  (port ${demo.portTaken} is taken, so the demo uses a free one; set PORT to choose)`]),
    '',
    `  model: ${demo.scripted ? 'scripted, offline (set OPENAI_API_KEY for the real API)' : 'OpenAI API'}`,
    `  receipts: ${demo.storePath}`,
    `  verify them later: node packages/cli/dist/bin.js chain verify --store ${demo.storePath} --keys ${demo.keysPath}`,
    '  (Reset and "Run all" on the page start a fresh world in a new folder; it is printed here.)',
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
