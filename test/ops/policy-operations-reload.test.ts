/**
 * `writ serve` reads its shadow candidate and argument retention from the config file
 * as well as from flags, and reads them again on SIGHUP: a new candidate and new rules
 * take effect together; a broken candidate leaves the running candidate and rules in
 * place (logged and counted), and the enforcing policy never stops deciding.
 */
import { writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { decide, opsFile, runWrit, startServe, type WritProcess } from './support.js'

const ops = opsFile({ workspace: true })

/** Refuses transfers over 100: disagrees with the enforcing policy on 500. */
const STRICT = `writ: 1
id: ops
rules:
  - id: small-payments
    effect: permit
    actions: [payments.transfer]
    when: args.amount <= 100
`

/** The enforcing policy itself: never disagrees. */
const SAME = `writ: 1
id: ops
rules:
  - id: payments
    effect: permit
    actions: [payments.transfer]
`

const write = (path: string, text: string) => writeFileSync(path, text, { mode: 0o644 })

/** Sends SIGHUP and waits for the `count`-th reload line of `event`. */
async function hangUp(server: WritProcess, event: string, count: number) {
  server.child.kill('SIGHUP')
  await server.waitFor(new RegExp(`("event":"${event}"[\\s\\S]*){${count}}`))
}

async function metric(url: string, name: string): Promise<string[]> {
  const text = await (await fetch(`${url}/metrics`)).text()
  return text.split('\n').filter((line) => line.startsWith(name))
}

async function replay(store: string, candidate: string) {
  const run = await runWrit(['policy', 'replay', '--store', store, '--policy', candidate, '--json'])
  return JSON.parse(run.stdout) as Record<string, unknown>
}

describe('writ serve: shadow and retention from the config file, reloaded on SIGHUP', () => {
  it('swaps candidate and retention together, and keeps both when the candidate is broken', async () => {
    const ws = ops.ws
    const config = ws.path('serve.yaml')
    write(ws.path('strict.yaml'), STRICT)
    write(ws.path('same.yaml'), SAME)
    write(config, 'shadow: strict.yaml\nretain: [payments.*]\nredact: [args.memo]\n')
    const server = await startServe([
      ...ws.serveArgs('reload.db'),
      '--config',
      config,
      '--public-metrics',
    ])
    expect((await decide(server.url, ws.token, 500)).body).toMatchObject({ decision: 'PERMIT' })

    // The same candidate, retention off.
    write(config, 'shadow: same.yaml\n')
    await hangUp(server, 'policy-operations-reloaded', 1)
    expect((await decide(server.url, ws.token, 500)).body).toMatchObject({ decision: 'PERMIT' })

    // A broken candidate and retention back on: neither is applied.
    write(ws.path('broken.yaml'), 'writ: 1\nid: ops\nrules: [{ id: x, effect: maybe }]\n')
    write(config, 'shadow: broken.yaml\nretain: [payments.*]\n')
    await hangUp(server, 'policy-operations-reload-failed', 1)
    expect((await decide(server.url, ws.token, 500)).body).toMatchObject({ decision: 'PERMIT' })
    // A config file that no longer parses is refused the same way.
    write(config, 'shadow: [\n')
    await hangUp(server, 'policy-operations-reload-failed', 2)
    expect((await decide(server.url, ws.token, 500)).body).toMatchObject({ decision: 'PERMIT' })

    const same = (await import('@writ/core')).compilePolicy(SAME)
    expect(await metric(server.url, 'writ_policy_operations_reloads_total')).toEqual([
      'writ_policy_operations_reloads_total{result="ok"} 1',
      'writ_policy_operations_reloads_total{result="kept-previous"} 2',
    ])
    // The last three requests were compared with the candidate the first reload loaded.
    expect(await metric(server.url, 'writ_shadow_evaluations_total')).toEqual([
      `writ_shadow_evaluations_total{candidate_digest="${same.digest}"} 3`,
    ])
    const failed = server.events().filter((e) => e['event'] === 'policy-operations-reload-failed')
    expect(failed[0]).toMatchObject({ shadow: { digest: same.digest } })
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)

    const store = ws.path('reload.db')
    const report = await runWrit(['shadow', 'report', '--store', store, '--json'])
    // Only the first request, under the strict candidate, was a disagreement.
    expect(JSON.parse(report.stdout)).toMatchObject({ disagreements: 1 })
    // Only the first request's arguments were kept: retention stayed off after the failures.
    expect(await replay(store, ws.path('strict.yaml'))).toMatchObject({
      considered: 4,
      replayed: 1,
      notRetained: 3,
    })
  }, 120_000)

  it('flags win over the config file, on start and on reload', async () => {
    const ws = ops.ws
    const config = ws.path('flags.yaml')
    write(ws.path('strict.yaml'), STRICT)
    write(ws.path('same.yaml'), SAME)
    write(config, 'shadow: same.yaml\n')
    const server = await startServe([
      ...ws.serveArgs('flags.db'),
      '--config',
      config,
      '--shadow',
      ws.path('strict.yaml'),
      '--retain',
      'payments.*',
    ])
    expect((await decide(server.url, ws.token, 500)).body).toMatchObject({ decision: 'PERMIT' })
    write(config, 'shadow: same.yaml\nretain: [reports.*]\n')
    await hangUp(server, 'policy-operations-reloaded', 1)
    expect((await decide(server.url, ws.token, 500)).body).toMatchObject({ decision: 'PERMIT' })
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
    const store = ws.path('flags.db')
    const report = await runWrit(['shadow', 'report', '--store', store, '--json'])
    expect(JSON.parse(report.stdout)).toMatchObject({ disagreements: 2 })
    expect(await replay(store, ws.path('strict.yaml'))).toMatchObject({ replayed: 2 })
  }, 120_000)

  it('refuses redact without retain in the config file before listening', async () => {
    const ws = ops.ws
    write(ws.path('bad.yaml'), 'redact: [args.memo]\n')
    const refused = await runWrit([...ws.serveArgs('bad.db'), '--config', ws.path('bad.yaml')])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/^writ: CONFIG_INVALID: /m)
  }, 60_000)
})
