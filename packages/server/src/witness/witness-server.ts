/**
 * The witness over HTTP (c2sp.org/tlog-witness): `POST /add-checkpoint` and the monitoring
 * endpoint `GET /<origin hash>/checkpoint`. There is no authentication beyond the log's
 * signature on the checkpoint, as the protocol says.
 */
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { MAX_NOTE_LENGTH } from '@writ/verify'
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { createWitness, type WitnessOptions } from './witness.js'
import { originHash } from './witness-state.js'

/** A witness listening on a port. */
export interface ListeningWitness {
  /** Base URL, the submission and monitoring prefix, e.g. `http://127.0.0.1:8788`. */
  readonly url: string
  close(): Promise<void>
}

/** The witness's HTTP routes. */
export function createWitnessApp(options: WitnessOptions): Hono {
  const witness = createWitness(options)
  const app = new Hono()
  const origins = new Map(options.logs.map((key) => [originHash(key.name), key.name]))
  app.post(
    '/add-checkpoint',
    bodyLimit({
      maxSize: MAX_NOTE_LENGTH * 4,
      onError: (http) => http.text('request too large\n', 413),
    }),
    async (http) => {
      const answer = await witness.addCheckpoint(await http.req.text())
      return http.body(answer.body, answer.status, { 'content-type': answer.contentType })
    },
  )
  app.get('/:hash/checkpoint', (http) => {
    const origin = origins.get(http.req.param('hash'))
    const record = origin === undefined ? undefined : witness.latest(origin)
    if (record === undefined) return http.text('no checkpoint cosigned for this log\n', 404)
    return http.body(record.note, 200, { 'content-type': 'text/plain; charset=utf-8' })
  })
  return app
}

/** Starts the witness on Node's HTTP server. Port 0 picks a free port. */
export function startWitnessServer(
  options: WitnessOptions & { readonly port?: number; readonly hostname?: string },
): Promise<ListeningWitness> {
  const app = createWitnessApp(options)
  const hostname = options.hostname ?? '127.0.0.1'
  return new Promise((resolve) => {
    const server = serve(
      { fetch: app.fetch, port: options.port ?? 0, hostname },
      (info: AddressInfo) => {
        resolve({
          url: `http://${hostname.includes(':') ? `[${hostname}]` : hostname}:${info.port}`,
          close: () =>
            new Promise<void>((done) => {
              server.close(() => done())
              ;(server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.()
            }),
        })
      },
    )
  })
}
