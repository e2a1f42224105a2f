import { Writable } from 'node:stream'
import {
  compilePolicy,
  createGate,
  createMemoryStore,
  generateSigningKey,
  type Store,
} from '@writ/core'
import { WritError } from '@writ/verify'
import { describe, expect, it } from 'vitest'
import { createAuthorityLogger, createAuthorityServer, hashToken } from '../src/index.js'
import { KNOWN_REFUSALS } from '../src/metrics.js'

const policyText = `
writ: 1
id: observability-test
rules:
  - id: small-transfers
    effect: permit
    actions: [payments.transfer]
    when: args.amount <= 1000
  - id: large-transfers
    effect: deny
    actions: [payments.transfer]
    when: args.amount > 1000
    reason: AMOUNT_TOO_LARGE
`
const agentToken = 'agent-token-SECRET-0123456789abcdef'
const operatorToken = 'operator-token-SECRET-0123456789abcdef'
const secretArgument = 'acct-SECRET-ARGUMENT-VALUE-7f3a'

/** A log destination in memory: every line pino writes, as written. */
function memoryDestination() {
  const chunks: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'))
      done()
    },
  })
  return {
    stream,
    text: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  }
}

function authority(options: { store?: Store; level?: 'info' | 'debug' } = {}) {
  const destination = memoryDestination()
  const gate = createGate({
    policy: compilePolicy(policyText, { source: 'policy.yaml' }),
    keys: generateSigningKey(),
    issuer: 'https://authority.test',
    store: options.store ?? createMemoryStore(),
    chainId: 'observed',
  })
  const server = createAuthorityServer({
    gate,
    agents: [{ agent: 'agent:payer', tokenSha256: hashToken(agentToken) }],
    operators: [{ name: 'prometheus', tokenSha256: hashToken(operatorToken) }],
    maxBodyBytes: 4096,
    // A clock that stands still: the bucket never refills, so the fifth decision is refused.
    limits: { burst: 4, now: () => 0 },
    logger: createAuthorityLogger({
      level: options.level ?? 'info',
      destination: destination.stream,
    }),
  })
  return { server, destination }
}

function decide(
  server: ReturnType<typeof createAuthorityServer>,
  body: string,
  headers: Record<string, string> = {},
) {
  return server.app.fetch(
    new Request('http://authority.test/v1/decisions', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${agentToken}`,
        'content-type': 'application/json',
        ...headers,
      },
      body,
    }),
  )
}

const permitBody = JSON.stringify({
  action: 'payments.transfer',
  args: JSON.stringify({ amount: 10, to: secretArgument }),
  request: 'req-permit-1',
})
const denyBody = JSON.stringify({
  action: 'payments.transfer',
  args: JSON.stringify({ amount: 5000, to: secretArgument }),
})

describe('request logs', () => {
  it('writes one JSON line per request with the decision, and no argument, body or token', async () => {
    const { server, destination } = authority()
    const permit = await decide(server, permitBody, { 'x-request-id': 'trace-abc.123' })
    expect(permit.status).toBe(200)
    expect(permit.headers.get('x-request-id')).toBe('trace-abc.123')
    const permitted = (await permit.json()) as { receipt: string }
    const deny = await decide(server, denyBody)
    expect(deny.status).toBe(200)
    const generatedId = deny.headers.get('x-request-id')
    expect(generatedId).toMatch(/^[0-9a-f-]{36}$/)

    const lines = destination.lines()
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatchObject({
      level: 'info',
      event: 'request',
      requestId: 'trace-abc.123',
      method: 'POST',
      route: '/v1/decisions',
      status: 200,
      agent: 'agent:payer',
      action: 'payments.transfer',
      decision: 'PERMIT',
      rule: 'small-transfers',
      reason: 'RULE_PERMIT',
    })
    expect(typeof lines[0]?.['latencyMs']).toBe('number')
    expect(typeof lines[0]?.['jti']).toBe('string')
    expect(typeof lines[0]?.['time']).toBe('string')
    expect(lines[1]).toMatchObject({
      requestId: generatedId,
      decision: 'DENY',
      agent: 'agent:payer',
    })
    // The receipt's `req` is the agent's; the request id is the log's.
    expect(JSON.stringify(lines)).not.toContain('req-permit-1')

    const raw = destination.text()
    for (const secret of [secretArgument, agentToken, permitBody, permitted.receipt, '"args"'])
      expect(raw).not.toContain(secret)
  })

  it('replaces a malformed or oversized X-Request-Id with a generated one', async () => {
    const { server, destination } = authority()
    for (const sent of ['has space', '"}{"level":"fatal', 'x'.repeat(129)]) {
      const response = await decide(server, permitBody, { 'x-request-id': sent })
      expect(response.headers.get('x-request-id')).not.toBe(sent)
      expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    }
    expect(destination.lines().map((line) => line['requestId'])).not.toContain('has space')
  })

  it('logs refusals (400, 401, 403, 413, 429) with their code, at warn, naming the agent from the credential', async () => {
    const { server, destination } = authority()
    const unauthenticated = await server.app.fetch(
      new Request('http://authority.test/v1/decisions', {
        method: 'POST',
        headers: { authorization: 'Bearer not-a-known-token-SECRET' },
        body: permitBody,
      }),
    )
    expect(unauthenticated.status).toBe(401)
    expect(unauthenticated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    const operatorAsks = await server.app.fetch(
      new Request('http://authority.test/v1/decisions', {
        method: 'POST',
        headers: { authorization: `Bearer ${operatorToken}` },
        body: permitBody,
      }),
    )
    expect(operatorAsks.status).toBe(403)
    const claimsAgent = await decide(
      server,
      JSON.stringify({ action: 'payments.transfer', args: '{"amount":1}', agent: 'agent:root' }),
    )
    const malformed = await decide(
      server,
      `{"action":"payments.transfer","args":"${secretArgument}`,
    )
    expect(malformed.status).toBe(400)
    const tooLarge = await decide(server, JSON.stringify({ args: 'x'.repeat(5000) }))
    expect(tooLarge.status).toBe(413)
    const statuses = [claimsAgent.status]
    for (let attempt = 0; attempt < 5; attempt++)
      statuses.push((await decide(server, permitBody)).status)
    expect(statuses).toContain(429)

    const lines = destination.lines()
    const refused = lines.filter((line) => (line['status'] as number) >= 400)
    expect(refused.every((line) => line['level'] === 'warn')).toBe(true)
    expect(lines.find((line) => line['status'] === 401)).toMatchObject({ code: 'UNAUTHENTICATED' })
    expect(lines.find((line) => line['status'] === 401)).not.toHaveProperty('agent')
    expect(lines.find((line) => line['status'] === 403)).toMatchObject({
      code: 'AGENT_REQUIRED',
      operator: 'prometheus',
    })
    expect(lines.find((line) => line['code'] === 'INPUT_SYNTAX')).toMatchObject({
      status: 400,
      agent: 'agent:payer',
    })
    expect(lines.find((line) => line['status'] === 413)).toMatchObject({ code: 'BODY_TOO_LARGE' })
    expect(lines.find((line) => line['status'] === 429)).toMatchObject({ code: 'RATE_LIMITED' })
    // The identity a body claims is never the one logged.
    expect(destination.text()).not.toContain('agent:root')
    expect(destination.text()).not.toContain('SECRET')
  })

  it('logs a store failure at error with its code, and no decision', async () => {
    const store = createMemoryStore()
    const failing = new Proxy(store, {
      get(target, property, receiver) {
        if (property === 'append')
          return async () => {
            throw new WritError('STORE_UNAVAILABLE', 'the disk is gone')
          }
        return Reflect.get(target, property, receiver)
      },
    })
    const { server, destination } = authority({ store: failing })
    const response = await decide(server, permitBody)
    expect(response.status).toBe(503)
    const [line] = destination.lines()
    expect(line).toMatchObject({ level: 'error', status: 503, code: 'STORE_UNAVAILABLE' })
    expect(line).not.toHaveProperty('decision')
    expect(server.metrics.storeErrors.value({ code: 'STORE_UNAVAILABLE' })).toBe(1)
  })

  it('logs probes and scrapes at debug only', async () => {
    const quiet = authority()
    await quiet.server.app.fetch(new Request('http://authority.test/healthz'))
    expect(quiet.destination.lines()).toEqual([])
    const verbose = authority({ level: 'debug' })
    await verbose.server.app.fetch(new Request('http://authority.test/healthz'))
    expect(verbose.destination.lines()).toMatchObject([
      { level: 'debug', route: '/healthz', status: 200 },
    ])
  })

  it('answers an unexpected failure 500 INTERNAL and logs it without its message', async () => {
    const destination = memoryDestination()
    const gate = createGate({
      policy: compilePolicy(policyText, { source: 'policy.yaml' }),
      keys: generateSigningKey(),
      issuer: 'https://authority.test',
      chainId: 'observed',
    })
    const broken = new Proxy(gate, {
      get(target, property, receiver) {
        if (property === 'keys')
          return async () => {
            throw new TypeError(`exploded near ${secretArgument}`)
          }
        return Reflect.get(target, property, receiver)
      },
    })
    const server = createAuthorityServer({
      gate: broken,
      agents: [],
      logger: createAuthorityLogger({ destination: destination.stream }),
    })
    const response = await server.app.fetch(
      new Request('http://authority.test/.well-known/writ/keys.json'),
    )
    expect(response.status).toBe(500)
    expect(response.headers.get('content-type')).toBe('application/problem+json')
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    expect(((await response.json()) as { code: string }).code).toBe('INTERNAL')
    const lines = destination.lines()
    expect(lines).toMatchObject([
      {
        level: 'error',
        event: 'unhandled-error',
        error: 'TypeError',
        route: '/.well-known/writ/keys.json',
      },
      { level: 'error', event: 'request', status: 500, code: 'INTERNAL' },
    ])
    expect(destination.text()).not.toContain(secretArgument)
  })

  it('redacts credentials and arguments that a caller passes to the logger by mistake', () => {
    const destination = memoryDestination()
    const logger = createAuthorityLogger({ destination: destination.stream })
    logger.info(
      {
        event: 'oops',
        authorization: `Bearer ${agentToken}`,
        request: { args: { to: secretArgument }, token: agentToken },
      },
      'careless',
    )
    expect(destination.text()).not.toContain('SECRET')
    expect(destination.lines()[0]).toMatchObject({ event: 'oops', authorization: '[redacted]' })
  })
})

/** Parses Prometheus text exposition, failing on any line that is not valid. */
function parseExposition(text: string) {
  const label = '[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"'
  const sample = new RegExp(
    `^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?<labels>\\{${label}(?:,${label})*\\})? (?<value>-?[0-9.]+(?:e[+-]?[0-9]+)?|NaN|[+-]Inf)$`,
  )
  const help = new Map<string, number>()
  const type = new Map<string, string>()
  const samples: { name: string; labels: string; value: number }[] = []
  expect(text.endsWith('\n')).toBe(true)
  for (const line of text.slice(0, -1).split('\n')) {
    const comment = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line)
    if (comment) {
      const [, kind, name, rest] = comment as unknown as [string, string, string, string]
      if (kind === 'HELP') help.set(name, (help.get(name) ?? 0) + 1)
      else {
        expect(type.has(name), `TYPE ${name} twice`).toBe(false)
        expect(['counter', 'gauge', 'histogram', 'summary', 'untyped']).toContain(rest)
        type.set(name, rest)
      }
      continue
    }
    const match = sample.exec(line)
    expect(match, `not a sample line: ${line}`).not.toBeNull()
    const groups = (match as RegExpExecArray).groups as Record<string, string | undefined>
    const name = groups['name'] as string
    const family = [...type.keys()].find(
      (candidate) =>
        name === candidate ||
        (type.get(candidate) === 'histogram' &&
          /^(.*)_(bucket|sum|count)$/.exec(name)?.[1] === candidate),
    )
    expect(family, `sample ${name} without a TYPE`).toBeDefined()
    samples.push({
      name,
      labels: groups['labels'] ?? '',
      value: Number(groups['value']),
    })
  }
  for (const [name, count] of help) expect(count, `HELP ${name}`).toBe(1)
  expect([...help.keys()].sort()).toEqual([...type.keys()].sort())
  return { samples, types: type }
}

function scrape(server: ReturnType<typeof createAuthorityServer>) {
  return server.app.fetch(
    new Request('http://authority.test/metrics', {
      headers: { authorization: `Bearer ${operatorToken}` },
    }),
  )
}

describe('metrics', () => {
  it('serves valid exposition with process, build and zero-valued series before any event', async () => {
    const { server } = authority()
    const response = await scrape(server)
    expect(response.status).toBe(200)
    const { samples, types } = parseExposition(await response.text())
    const value = (name: string, labels = '') =>
      samples.find((sample) => sample.name === name && sample.labels === labels)?.value
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'process_start_time_seconds',
      'nodejs_eventloop_lag_seconds',
    ])
      expect(value(name), name).toBeGreaterThanOrEqual(0)
    expect(value('process_resident_memory_bytes')).toBeGreaterThan(0)
    expect(types.get('process_cpu_seconds_total')).toBe('counter')
    const build = samples.find((sample) => sample.name === 'writ_build_info')
    expect(build?.labels).toBe(`{version="0.0.0",node="${process.version}"}`)
    expect(build?.value).toBe(1)
    for (const decision of ['PERMIT', 'DENY', 'SILENCE'])
      expect(value('writ_decision_outcomes_total', `{decision="${decision}"}`)).toBe(0)
    for (const [status, codes] of Object.entries(KNOWN_REFUSALS))
      for (const code of codes)
        expect(value('writ_refusals_total', `{status="${status}",code="${code}"}`), code).toBe(0)
    for (const code of ['RATE_LIMITED', 'CONCURRENCY_LIMITED'])
      expect(value('writ_limited_total', `{code="${code}"}`)).toBe(0)
    expect(value('writ_auth_failures_total')).toBe(0)
    expect(value('writ_store_errors_total', '{code="STORE_UNAVAILABLE"}')).toBe(0)
  })

  it('counts requests by route and status and every refusal class by code', async () => {
    const { server } = authority()
    await decide(server, permitBody)
    await decide(server, denyBody)
    await decide(server, '{"action":')
    await decide(server, JSON.stringify({ args: 'x'.repeat(5000) }))
    await server.app.fetch(
      new Request('http://authority.test/v1/decisions', { method: 'POST', body: '{}' }),
    )
    await server.app.fetch(
      new Request('http://authority.test/v1/decisions', {
        method: 'POST',
        headers: { authorization: `Bearer ${operatorToken}` },
        body: '{}',
      }),
    )
    await server.app.fetch(
      new Request('http://authority.test/metrics', {
        headers: { authorization: `Bearer ${agentToken}` },
      }),
    )
    for (let attempt = 0; attempt < 3; attempt++) await decide(server, permitBody)
    await server.app.fetch(new Request('http://authority.test/v1/receipts/some-jti'))
    await server.app.fetch(new Request('http://authority.test/no/such/route'))

    const { samples } = parseExposition(await (await scrape(server)).text())
    const value = (name: string, labels: string) =>
      samples.find((sample) => sample.name === name && sample.labels === labels)?.value
    expect(value('writ_decision_outcomes_total', '{decision="PERMIT"}')).toBeGreaterThanOrEqual(1)
    expect(value('writ_decision_outcomes_total', '{decision="DENY"}')).toBe(1)
    expect(value('writ_refusals_total', '{status="400",code="INPUT_SYNTAX"}')).toBe(1)
    expect(value('writ_refusals_total', '{status="413",code="BODY_TOO_LARGE"}')).toBe(1)
    expect(value('writ_refusals_total', '{status="401",code="UNAUTHENTICATED"}')).toBe(2)
    expect(value('writ_refusals_total', '{status="403",code="AGENT_REQUIRED"}')).toBe(1)
    expect(value('writ_refusals_total', '{status="403",code="OPERATOR_REQUIRED"}')).toBe(1)
    expect(
      value('writ_refusals_total', '{status="429",code="RATE_LIMITED"}'),
    ).toBeGreaterThanOrEqual(1)
    expect(
      value('writ_http_requests_total', '{route="/v1/decisions",status="200"}'),
    ).toBeGreaterThanOrEqual(2)
    expect(value('writ_http_requests_total', '{route="/v1/receipts/:jti",status="401"}')).toBe(1)
    expect(value('writ_http_requests_total', '{route="other",status="404"}')).toBe(1)
  })
})
