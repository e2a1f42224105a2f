/**
 * Passkeys that approvers registered on the approvals page, and the one-time enrollment
 * links that let them do it. Passkeys persist in a JSON file (written whole, then renamed
 * into place, mode 0600) beside the approvers configuration; without a file they live as
 * long as the process. The approvers file stays the authority on who belongs to which
 * group: a passkey only adds a way for a configured approver to sign.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { readFile, rename, writeFile } from 'node:fs/promises'
import { WritError } from '@writ/verify'

/** One registered passkey: credential id and COSE public key (base64url), with its counter. */
export interface StoredPasskey {
  /** The approver (an id of the approvers file) who registered it. */
  readonly approver: string
  /** The credential id, base64url. */
  readonly id: string
  /** The COSE public key, base64url. */
  readonly publicKey: string
  /** The authenticator's signature counter, as last seen. */
  readonly counter: number
  /** When it was registered, seconds since the epoch. */
  readonly created: number
}

/** An enrollment link as issued: open it once, before it expires, to register a passkey. */
export interface Enrollment {
  /** The approver the link enrolls. */
  readonly approver: string
  /** The secret that goes into the link (`/approvals?enroll=TOKEN`). */
  readonly token: string
  /** Seconds since the epoch. */
  readonly exp: number
}

/** Passkeys and enrollments of the approvals page. */
export interface PasskeyRegistry {
  /** Every registered passkey. */
  all(): readonly StoredPasskey[]
  /** The passkey with this credential id. */
  byId(id: string): StoredPasskey | undefined
  /** Adds a passkey (refused with `APPROVAL_DUPLICATE` when its id is registered already). */
  add(passkey: StoredPasskey): Promise<void>
  /** Records a passkey's new signature counter. */
  touch(id: string, counter: number): Promise<void>
  /** Issues a one-time enrollment token for `approver`, valid for `ttlSeconds`. */
  enroll(approver: string, now: number, ttlSeconds?: number): Enrollment
  /** The approver of a valid, unused token, without using it. */
  peek(token: string, now: number): string | undefined
  /** Uses a token: returns its approver once; `undefined` when unknown, used or expired. */
  consume(token: string, now: number): string | undefined
}

/** How long an enrollment link stays valid by default: one day. */
export const DEFAULT_ENROLLMENT_TTL_SECONDS = 86_400

const digest = (token: string): Buffer => createHash('sha256').update(token).digest()

/**
 * Opens the passkey registry. With `file`, passkeys are read from it (absent: none yet)
 * and every change is written back; enrollment tokens stay in memory, hashed.
 *
 * @throws WritError `STORE_UNAVAILABLE` when the file exists but is not a passkey list.
 */
export async function openPasskeyRegistry(file?: string): Promise<PasskeyRegistry> {
  const passkeys = new Map<string, StoredPasskey>()
  for (const passkey of file === undefined ? [] : await readPasskeys(file)) {
    passkeys.set(passkey.id, passkey)
  }
  const enrollments = new Map<string, { approver: string; exp: number; token: Buffer }>()
  let writing: Promise<void> = Promise.resolve()
  const persist = (): Promise<void> => {
    if (file === undefined) return Promise.resolve()
    const text = `${JSON.stringify({ passkeys: [...passkeys.values()] }, null, 2)}\n`
    writing = writing.then(async () => {
      const temporary = `${file}.${process.pid}.tmp`
      await writeFile(temporary, text, { mode: 0o600 })
      await rename(temporary, file)
    })
    return writing
  }
  const find = (token: string, now: number) => {
    if (typeof token !== 'string' || token.length < 16 || token.length > 128) return undefined
    const hashed = digest(token)
    const key = hashed.toString('hex')
    const entry = enrollments.get(key)
    if (entry === undefined || !timingSafeEqual(entry.token, hashed) || entry.exp <= now) {
      return undefined
    }
    return { key, entry }
  }
  return {
    all: () => [...passkeys.values()],
    byId: (id) => passkeys.get(id),
    async add(passkey) {
      if (passkeys.has(passkey.id)) {
        throw new WritError('APPROVAL_DUPLICATE', 'This passkey is registered already.')
      }
      passkeys.set(passkey.id, Object.freeze({ ...passkey }))
      await persist()
    },
    async touch(id, counter) {
      const passkey = passkeys.get(id)
      if (passkey === undefined || counter <= passkey.counter) return
      passkeys.set(id, Object.freeze({ ...passkey, counter }))
      await persist()
    },
    enroll(approver, now, ttlSeconds = DEFAULT_ENROLLMENT_TTL_SECONDS) {
      const token = randomBytes(24).toString('base64url')
      const hashed = digest(token)
      enrollments.set(hashed.toString('hex'), { approver, exp: now + ttlSeconds, token: hashed })
      return Object.freeze({ approver, token, exp: now + ttlSeconds })
    },
    peek: (token, now) => find(token, now)?.entry.approver,
    consume(token, now) {
      const found = find(token, now)
      if (found === undefined) return undefined
      enrollments.delete(found.key)
      return found.entry.approver
    },
  }
}

async function readPasskeys(file: string): Promise<StoredPasskey[]> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return []
    throw new WritError('STORE_UNAVAILABLE', `Cannot read the passkeys file ${file}.`, {
      cause: error,
    })
  }
  let parsed: { passkeys?: unknown }
  try {
    parsed = JSON.parse(text) as { passkeys?: unknown }
  } catch (error) {
    throw new WritError('STORE_UNAVAILABLE', `The passkeys file ${file} is not JSON.`, {
      cause: error,
    })
  }
  if (!Array.isArray(parsed?.passkeys)) {
    throw new WritError('STORE_UNAVAILABLE', `The passkeys file ${file} has no passkeys list.`)
  }
  return parsed.passkeys.filter(
    (entry): entry is StoredPasskey =>
      typeof entry === 'object' &&
      entry !== null &&
      typeof entry.approver === 'string' &&
      typeof entry.id === 'string' &&
      typeof entry.publicKey === 'string' &&
      Number.isSafeInteger(entry.counter),
  )
}
