import * as ed from '@noble/ed25519'
import { sha512 } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import { base64Decode, base64Encode } from './base64.js'
import { createCheckpointTrust, verifyCheckpointNote } from './checkpoint-note.js'
import { cosignCheckpointText, signNoteText, verifyNoteSignature } from './cosignature.js'
import { leafHash } from './merkle.js'
import {
  formatNote,
  formatVerifierKey,
  NOTE_COSIGNATURE_V1,
  NOTE_ED25519,
  noteKeyId,
  parseNote,
  parseVerifierKey,
} from './signed-note.js'
import { formatCheckpointText, parseCheckpointText, writOrigin } from './tlog-checkpoint.js'

ed.hashes.sha512 = sha512

// The worked example printed in c2sp.org/signed-note ("Verifier keys", "Example").
const C2SP_VKEY = 'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k'
const C2SP_NOTE =
  'This is an example message.\n\n— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n'

// The example of golang.org/x/mod/sumdb/note, the reference implementation (note_test.go).
const GO_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'
const GO_SKEY_MATERIAL = 'AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz'
const GO_TEXT =
  "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
const GO_LINE =
  '— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n'

describe('signed notes (c2sp.org/signed-note)', () => {
  it('verifies the C2SP worked example with its verifier key', async () => {
    const key = parseVerifierKey(C2SP_VKEY)
    expect(key).toMatchObject({ name: 'example.com/foo', type: NOTE_ED25519, keyId: 0x530d903a })
    expect(formatVerifierKey(key.name, key.type, key.publicKey)).toBe(C2SP_VKEY)
    const note = parseNote(C2SP_NOTE)
    expect(note.text).toBe('This is an example message.\n')
    expect(note.signatures[0]).toMatchObject({ name: 'example.com/foo', keyId: 0x530d903a })
    await expect(verifyNoteSignature(note.text, note.signatures[0]!, key)).resolves.toBe(true)
    const edited = parseNote(C2SP_NOTE.replace('example message', 'exemplary message'))
    await expect(verifyNoteSignature(edited.text, edited.signatures[0]!, key)).resolves.toBe(false)
  })

  it('signs the reference implementation example byte for byte', async () => {
    const seed = base64Decode(GO_SKEY_MATERIAL).subarray(1)
    const key = parseVerifierKey(GO_VKEY)
    expect(ed.getPublicKey(seed)).toEqual(key.publicKey)
    const line = await signNoteText(GO_TEXT, {
      name: 'PeterNeumann',
      publicKey: key.publicKey,
      sign: (message) => ed.sign(message, seed),
    })
    expect(line).toBe(GO_LINE)
    expect(formatNote(GO_TEXT, [line])).toBe(`${GO_TEXT}\n${GO_LINE}`)
  })

  it.each([
    ['no blank line', 'text\n— a AAAAAAA=\n'],
    ['no final newline', 'text\n\n— a AAAAAAAA'],
    ['a control character', 'te\txt\n\n— a AAAAAAAA\n'],
    ['a carriage return', 'text\r\n\n— a AAAAAAAA\n'],
    ['a hyphen for the em dash', 'text\n\n- a AAAAAAAA\n'],
    ['a plus in the key name', 'text\n\n— a+b AAAAAAAA\n'],
    ['a signature of four bytes', 'text\n\n— a AAAAAA==\n'],
    ['base64url', 'text\n\n— a AAAA_-AA\n'],
    ['non-canonical base64', 'text\n\n— a AAAAAAB=\n'],
    ['an empty signature block', 'text\n\n\n'],
    ['a lone surrogate', 'te\ud800xt\n\n— a AAAAAAAA\n'],
  ])('refuses a note with %s (NOTE_INVALID)', (_name, note) => {
    expect(() => parseNote(note)).toThrow(expect.objectContaining({ code: 'NOTE_INVALID' }))
  })

  it('refuses verifier keys that are mangled, of another type or with a wrong key ID', () => {
    for (const vkey of [
      GO_VKEY.replace('c74f20a3', 'c74f20a4'),
      GO_VKEY.slice(0, -1),
      `x${GO_VKEY}`,
      'PeterNeumann+c74f20a3',
      formatVerifierKey('w', 0x02, new Uint8Array(32)),
    ]) {
      expect(() => parseVerifierKey(vkey)).toThrow(
        expect.objectContaining({ code: 'TRUST_INVALID' }),
      )
    }
  })

  it('computes key IDs per signature type', () => {
    const publicKey = parseVerifierKey(C2SP_VKEY).publicKey
    expect(noteKeyId('example.com/foo', NOTE_ED25519, publicKey)).toBe(0x530d903a)
    expect(noteKeyId('example.com/foo', NOTE_COSIGNATURE_V1, publicKey)).not.toBe(0x530d903a)
  })

  it('round-trips standard base64 strictly', () => {
    for (let length = 0; length < 40; length++) {
      const bytes = Uint8Array.from({ length }, (_, index) => (index * 37 + length) & 255)
      expect(base64Decode(base64Encode(bytes))).toEqual(bytes)
    }
  })
})

describe('checkpoints and cosignatures', () => {
  const logSeed = new Uint8Array(32).fill(7)
  const origin = writOrigin('https://authority.example:8443', 'main')
  const log = {
    name: origin,
    publicKey: ed.getPublicKey(logSeed),
    sign: (m: Uint8Array) => ed.sign(m, logSeed),
  }
  const witness = (index: number) => {
    const seed = new Uint8Array(32).fill(100 + index)
    return {
      name: `witness.example/w${index}`,
      publicKey: ed.getPublicKey(seed),
      sign: (m: Uint8Array) => ed.sign(m, seed),
    }
  }
  const witnesses = [witness(1), witness(2), witness(3)]
  const trust = (quorum: number) =>
    createCheckpointTrust({
      logs: [formatVerifierKey(origin, NOTE_ED25519, log.publicKey)],
      witnesses: witnesses.map((w) => formatVerifierKey(w.name, NOTE_COSIGNATURE_V1, w.publicKey)),
      quorum,
    })
  const text = formatCheckpointText({ origin, size: 3, root: leafHash('x') })

  it('writes the origin as <issuer host>/writ/<chain id> and reads its own text back', () => {
    expect(origin).toBe('authority.example:8443/writ/main')
    expect(parseCheckpointText(text)).toMatchObject({ origin, size: 3, root: leafHash('x') })
    for (const bad of [
      `${origin}\n03\nAAAA\n`,
      `${origin}\n3\n`,
      `${origin}\n3\n${'A'.repeat(43)}=\n\n`,
    ]) {
      expect(() => parseCheckpointText(bad)).toThrow(
        expect.objectContaining({ code: 'CHECKPOINT_INVALID' }),
      )
    }
  })

  it('accepts a checkpoint with the quorum and refuses one short by one', async () => {
    const lines = [await signNoteText(text, log)]
    for (const w of witnesses.slice(0, 2))
      lines.push(await cosignCheckpointText(text, w, 1_700_000_000))
    const note = formatNote(text, lines)
    const verified = await verifyCheckpointNote(note, trust(2))
    expect(verified).toMatchObject({ origin, size: 3, log: origin })
    expect(verified.witnesses.map((w) => w.name)).toEqual([
      'witness.example/w1',
      'witness.example/w2',
    ])
    await expect(verifyCheckpointNote(note, trust(3))).rejects.toMatchObject({
      code: 'WITNESS_QUORUM_NOT_MET',
    })
  })

  it('refuses a forged cosignature and a forged log signature, and ignores unknown keys', async () => {
    const good = await cosignCheckpointText(text, witnesses[0]!, 1_700_000_000)
    const forger = { ...witness(9), name: witnesses[0]!.name, publicKey: witnesses[0]!.publicKey }
    const forged = await cosignCheckpointText(text, forger, 1_700_000_000)
    const logLine = await signNoteText(text, log)
    await expect(
      verifyCheckpointNote(formatNote(text, [logLine, forged]), trust(1)),
    ).rejects.toMatchObject({
      code: 'COSIGNATURE_INVALID',
    })
    const badLog = await signNoteText(text, { ...log, sign: (m) => ed.sign(m, new Uint8Array(32)) })
    await expect(
      verifyCheckpointNote(formatNote(text, [badLog, good]), trust(1)),
    ).rejects.toMatchObject({
      code: 'SIGNATURE_INVALID',
    })
    const stranger = await signNoteText(text, { ...witness(8), name: origin })
    await expect(
      verifyCheckpointNote(formatNote(text, [stranger]), trust(0)),
    ).rejects.toMatchObject({
      code: 'KEY_UNKNOWN',
    })
    const verified = await verifyCheckpointNote(
      formatNote(text, [stranger, logLine, good]),
      trust(1),
    )
    expect(verified.witnesses).toEqual([{ name: witnesses[0]!.name, timestamp: 1_700_000_000 }])
  })

  it('binds a cosignature to its timestamp and to the checkpoint text', async () => {
    const logLine = await signNoteText(text, log)
    const line = await cosignCheckpointText(text, witnesses[0]!, 1_700_000_000)
    const bytes = base64Decode(line.split(' ')[2]!.trim())
    bytes[11]! ^= 1 // the timestamp's low byte
    const changed = `${line.split(' ').slice(0, 2).join(' ')} ${base64Encode(bytes)}\n`
    await expect(
      verifyCheckpointNote(formatNote(text, [logLine, changed]), trust(1)),
    ).rejects.toMatchObject({
      code: 'COSIGNATURE_INVALID',
    })
    const other = formatCheckpointText({ origin, size: 4, root: leafHash('x') })
    await expect(
      verifyCheckpointNote(formatNote(other, [await signNoteText(other, log), line]), trust(1)),
    ).rejects.toMatchObject({ code: 'COSIGNATURE_INVALID' })
  })
})
