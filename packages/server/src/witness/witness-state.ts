/**
 * A witness's durable memory: for each log (by origin), the last checkpoint it cosigned.
 * One JSON file per origin in a directory, replaced atomically (write, fsync, rename), so a
 * crash leaves either the old state or the new one, never a mix.
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs'
import { join } from 'node:path'
import { bytesToHex, sha256 } from '@writ/verify/internal'

/** What a witness remembers of one log. */
export interface WitnessRecord {
  readonly origin: string
  readonly size: number
  /** Base64 root hash of the checkpoint it cosigned last. */
  readonly root: string
  /** That checkpoint, with the log's signature and the witness's cosignature. */
  readonly note: string
}

/** Durable per-origin records. */
export interface WitnessState {
  read(origin: string): WitnessRecord | undefined
  write(record: WitnessRecord): void
}

/** The lowercase hex SHA-256 of an origin: its file name, and its monitoring path. */
export function originHash(origin: string): string {
  return bytesToHex(sha256(origin))
}

/** The state kept in `directory` (created 0700). */
export function openWitnessState(directory: string): WitnessState {
  mkdirSync(directory, { recursive: true, mode: 0o700 })
  const fileOf = (origin: string) => join(directory, `${originHash(origin)}.json`)
  return {
    read(origin) {
      let text: string
      try {
        text = readFileSync(fileOf(origin), 'utf8')
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
        throw error
      }
      const record = JSON.parse(text) as WitnessRecord
      if (record.origin !== origin || !Number.isSafeInteger(record.size)) {
        throw new Error(`the witness state for ${origin} is damaged`)
      }
      return record
    },
    write(record) {
      const path = fileOf(record.origin)
      const temporary = `${path}.${process.pid}.tmp`
      const descriptor = openSync(temporary, 'w', 0o600)
      try {
        writeSync(descriptor, `${JSON.stringify(record)}\n`)
        fsyncSync(descriptor)
      } finally {
        closeSync(descriptor)
      }
      renameSync(temporary, path)
      const directoryDescriptor = openSync(directory, 'r')
      try {
        fsyncSync(directoryDescriptor)
      } finally {
        closeSync(directoryDescriptor)
      }
    },
  }
}
