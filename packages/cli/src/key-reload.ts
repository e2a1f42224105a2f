/**
 * `writ serve` picks up a rotated key ring without a restart: on SIGHUP and whenever
 * the key file changes (its directory is watched, since `writ keys rotate` renames a
 * new file over the old one).
 */
import { type FSWatcher, watch } from 'node:fs'
import { basename, dirname } from 'node:path'
import type { KeyRing, LocalGate } from '@writ/core'
import type { PublicJwk } from '@writ/verify'
import { errorCodeOf } from './cli-error.js'
import { requireOwnerWritable } from './file-safety.js'
import type { CliIo } from './io.js'
import { loadSigningKeys } from './keys.js'
import type { EventLog } from './serve-events.js'

/** What a reload did. */
export type KeyReloadResult =
  | { readonly status: 'applied'; readonly active: string }
  | { readonly status: 'unchanged' }
  | { readonly status: 'refused'; readonly code: string; readonly missing?: readonly string[] }

const sameKey = (a: PublicJwk, b: PublicJwk) => a.kid === b.kid && a.x === b.x

/** Keys of `current` that `next` no longer holds (by kid and public key). */
export function missingKeys(current: KeyRing, next: KeyRing): string[] {
  const kept = next.jwks().keys
  return current
    .jwks()
    .keys.filter((key) => !kept.some((candidate) => sameKey(key, candidate)))
    .map((key) => key.kid)
}

/** What {@link createKeyReloader} reloads, from where, and where it logs. */
export interface KeyReloaderOptions {
  readonly io: CliIo
  readonly keyPath: string
  readonly gate: LocalGate
  readonly log: EventLog
}

/** Reloads a gate's key ring on demand and whenever its file changes. */
export interface KeyReloader {
  reload(trigger: 'signal' | 'watch'): KeyReloadResult
  /** Starts watching the key file's directory. */
  watch(): void
  close(): void
}

/** The key ring now in `keyPath`, or the refusal (logged) when it cannot be read. */
function readRing(
  { io, keyPath, gate, log }: KeyReloaderOptions,
  trigger: 'signal' | 'watch',
): KeyRing | KeyReloadResult {
  try {
    requireOwnerWritable(keyPath, 'key file')
    return loadSigningKeys(io, keyPath)
  } catch (error) {
    // A rename in progress may briefly show no file; the next event reloads it.
    const code = errorCodeOf(error)
    log.error(
      { event: 'key-reload-refused', code, trigger, active: gate.keyRing.active.kid },
      `key ring reload refused (${code}); still signing with ${gate.keyRing.active.kid}`,
    )
    return { status: 'refused', code }
  }
}

/** Reads the key file → refuses a ring that drops a key → applies it to the gate. */
function reloadKeys(options: KeyReloaderOptions, trigger: 'signal' | 'watch'): KeyReloadResult {
  const { gate, log } = options
  const ring = readRing(options, trigger)
  if ('status' in ring) return ring
  const current = gate.keyRing
  if (JSON.stringify(ring.jwks()) === JSON.stringify(current.jwks())) return { status: 'unchanged' }
  const missing = missingKeys(current, ring)
  if (missing.length > 0) {
    log.error(
      { event: 'key-reload-refused', code: 'KEY_RING_INCOMPLETE', trigger, missing },
      `key ring reload refused: the new ring drops ${missing.join(', ')}, whose receipts would stop verifying; still signing with ${current.active.kid}`,
    )
    return { status: 'refused', code: 'KEY_RING_INCOMPLETE', missing }
  }
  gate.setKeyRing(ring)
  log.info(
    { event: 'key-ring-reloaded', trigger, active: ring.active.kid, previous: current.active.kid },
    `key ring reloaded: signing with ${ring.active.kid}`,
  )
  return { status: 'applied', active: ring.active.kid }
}

/** Reloads the key ring of `gate` from `keyPath`, and watches the file for changes. */
export function createKeyReloader(options: KeyReloaderOptions): KeyReloader {
  const { keyPath, log } = options
  const reload = (trigger: 'signal' | 'watch') => reloadKeys(options, trigger)
  let watcher: FSWatcher | undefined
  return {
    reload,
    watch() {
      const name = basename(keyPath)
      watcher = watch(dirname(keyPath), { persistent: false }, (_event, filename) => {
        if (filename === null || filename === name) reload('watch')
      })
      watcher.on('error', (error) => {
        log.error(
          { event: 'key-watch-failed', code: (error as NodeJS.ErrnoException).code },
          'cannot watch the key file any more; reload the key ring with SIGHUP',
        )
      })
    },
    close() {
      watcher?.close()
    },
  }
}
