/**
 * C2SP signed notes (c2sp.org/signed-note): a text ending in a newline, a blank line, then
 * signature lines `— <key name> base64(key ID || signature)`. Writ signs checkpoints with
 * Ed25519 (signature type 0x01) and witnesses cosign them with timestamped Ed25519
 * cosignatures (type 0x04, c2sp.org/tlog-cosignature).
 */
import { sha256 } from '../digest.js'
import { concatBytes, findLoneSurrogate, utf8Encode } from '../encoding.js'
import { WritError } from '../errors.js'
import { base64Decode, base64Encode } from './base64.js'

/** Signature type of plain Ed25519 note signatures. */
export const NOTE_ED25519 = 0x01
/** Signature type of timestamped Ed25519 checkpoint cosignatures (tlog-cosignature v1). */
export const NOTE_COSIGNATURE_V1 = 0x04

/** The largest note Writ reads, in UTF-16 code units; a checkpoint is a few hundred bytes. */
export const MAX_NOTE_LENGTH = 65_536
/** The most signature lines Writ reads in one note (the format asks for at least 16). */
export const MAX_NOTE_SIGNATURES = 64

const EM_DASH = '\u2014'
const KEY_NAME = /^[^\s+]+$/u

/** One signature line of a note. */
export interface NoteSignature {
  /** The key name. */
  readonly name: string
  /** The 32-bit key ID (first four bytes of the signature). */
  readonly keyId: number
  /** The signature bytes after the key ID. */
  readonly signature: Uint8Array
  /** The whole line, newline included, as received. */
  readonly line: string
}

/** A note split into its text and its signature lines (nothing verified yet). */
export interface ParsedNote {
  /** The signed text, final newline included. */
  readonly text: string
  readonly signatures: readonly NoteSignature[]
}

function invalid(message: string, details?: Record<string, unknown>): WritError {
  return new WritError('NOTE_INVALID', message, details === undefined ? {} : { details })
}

/** True when `name` is a valid key name: non-empty, no Unicode space, no `+`. */
export function isKeyName(name: unknown): name is string {
  return typeof name === 'string' && KEY_NAME.test(name)
}

/**
 * Splits a signed note into its text and signatures, refusing anything the format forbids:
 * control characters other than newline, invalid UTF-16, a text that does not end in a
 * newline, a missing blank line, malformed or too many signature lines.
 *
 * @throws WritError `NOTE_INVALID`.
 */
export function parseNote(note: string): ParsedNote {
  if (typeof note !== 'string' || note.length > MAX_NOTE_LENGTH) throw invalid('note too large')
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the format forbids them
  if (/[\u0000-\u0009\u000b-\u001f]/.test(note) || findLoneSurrogate(note) !== -1) {
    throw invalid('a note holds only valid UTF-8 and no control characters but newline')
  }
  const split = note.lastIndexOf('\n\n')
  if (split < 0 || !note.endsWith('\n')) throw invalid('a note needs a blank line and signatures')
  const text = note.slice(0, split + 1)
  const lines = note.slice(split + 2, -1).split('\n')
  if (lines.length > MAX_NOTE_SIGNATURES) throw invalid('too many signatures')
  const signatures = lines.map(parseSignatureLine)
  return Object.freeze({ text, signatures: Object.freeze(signatures) })
}

function parseSignatureLine(body: string): NoteSignature {
  const parts = body.split(' ')
  if (parts.length !== 3 || parts[0] !== EM_DASH || !isKeyName(parts[1])) {
    throw invalid('malformed signature line')
  }
  const bytes = base64Decode(parts[2] as string, 'NOTE_INVALID')
  if (bytes.length < 5) throw invalid('a signature is a key ID and at least one byte')
  const keyId = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0
  return Object.freeze({
    name: parts[1] as string,
    keyId,
    signature: bytes.slice(4),
    line: `${body}\n`,
  })
}

/** The key ID of a key: the first four bytes of SHA-256(name || 0x0A || type || public key), big-endian. */
export function noteKeyId(name: string, type: number, publicKey: Uint8Array): number {
  const nameBytes = utf8Encode(name)
  const input = concatBytes(
    [nameBytes, new Uint8Array([0x0a, type]), publicKey],
    nameBytes.length + 2 + publicKey.length,
  )
  const hash = sha256(input)
  return ((hash[0]! << 24) | (hash[1]! << 16) | (hash[2]! << 8) | hash[3]!) >>> 0
}

/** One signature line `— <name> base64(key ID || signature)`, newline included. */
export function noteSignatureLine(name: string, keyId: number, signature: Uint8Array): string {
  if (!isKeyName(name)) throw invalid('invalid key name')
  const bytes = new Uint8Array(4 + signature.length)
  new DataView(bytes.buffer).setUint32(0, keyId >>> 0)
  bytes.set(signature, 4)
  return `${EM_DASH} ${name} ${base64Encode(bytes)}\n`
}

/** A note's text followed by its signature lines. */
export function formatNote(text: string, signatureLines: readonly string[]): string {
  if (!text.endsWith('\n')) throw invalid('a note text ends with a newline')
  return `${text}\n${signatureLines.join('')}`
}

/** A public key that verifies note signatures of one type under one name. */
export interface NoteVerifierKey {
  readonly name: string
  /** {@link NOTE_ED25519} for log keys, {@link NOTE_COSIGNATURE_V1} for witness keys. */
  readonly type: number
  readonly keyId: number
  /** The 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array
}

/**
 * Reads a verifier key (`<name>+<hex key ID>+<base64(type || public key)>`), checking that
 * the key ID is the one the name and key give.
 *
 * @throws WritError `TRUST_INVALID`.
 */
export function parseVerifierKey(vkey: string): NoteVerifierKey {
  const bad = (reason: string) => new WritError('TRUST_INVALID', `verifier key: ${reason}`)
  if (typeof vkey !== 'string') throw bad('not a string')
  // The base64 key may itself hold `+`: the name ends at the first, the key ID is 8 hex digits.
  const first = vkey.indexOf('+')
  const parts = [vkey.slice(0, first), vkey.slice(first + 1, first + 9), vkey.slice(first + 10)]
  if (
    first < 0 ||
    vkey[first + 9] !== '+' ||
    !isKeyName(parts[0]) ||
    !/^[0-9a-f]{8}$/.test(parts[1] ?? '')
  ) {
    throw bad('expected <name>+<hex key ID>+<base64 key>')
  }
  let material: Uint8Array
  try {
    material = base64Decode(parts[2] as string)
  } catch {
    throw bad('the key is not base64')
  }
  const type = material[0]
  if ((type !== NOTE_ED25519 && type !== NOTE_COSIGNATURE_V1) || material.length !== 33) {
    throw bad('only Ed25519 (0x01) and Ed25519 cosignature (0x04) keys are supported')
  }
  const name = parts[0] as string
  const publicKey = material.slice(1)
  const keyId = Number.parseInt(parts[1] as string, 16)
  if (keyId !== noteKeyId(name, type, publicKey)) throw bad('the key ID does not match the key')
  return Object.freeze({ name, type, keyId, publicKey })
}

/** Writes a verifier key for `publicKey` under `name`. */
export function formatVerifierKey(name: string, type: number, publicKey: Uint8Array): string {
  if (!isKeyName(name)) throw new WritError('TRUST_INVALID', 'invalid key name')
  const keyId = noteKeyId(name, type, publicKey).toString(16).padStart(8, '0')
  return `${name}+${keyId}+${base64Encode(concatBytes([new Uint8Array([type]), publicKey], 33))}`
}

/** The signature line of `key` in `note`, when there is one (name and key ID both match). */
export function signatureBy(note: ParsedNote, key: NoteVerifierKey): NoteSignature | undefined {
  return note.signatures.find(
    (signature) => signature.name === key.name && signature.keyId === key.keyId,
  )
}
