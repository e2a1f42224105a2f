/**
 * A minimal POSIX ustar writer: regular files only, names up to 100 bytes. Enough for the
 * demo's evidence download, which `tar xf` and every unpacker read.
 */

/** One file of an archive. */
export interface TarEntry {
  readonly name: string
  readonly data: Uint8Array
  /** Permission bits; 0644 unless given. */
  readonly mode?: number
}

const BLOCK = 512

function writeField(header: Uint8Array, offset: number, length: number, text: string): void {
  const bytes = new TextEncoder().encode(text)
  if (bytes.length > length) throw new RangeError(`tar field too long: ${text}`)
  header.set(bytes, offset)
}

function octal(value: number, length: number): string {
  return `${value.toString(8).padStart(length - 1, '0')}\0`
}

function header(entry: TarEntry, mtime: number): Uint8Array {
  const block = new Uint8Array(BLOCK)
  writeField(block, 0, 100, entry.name)
  writeField(block, 100, 8, octal(entry.mode ?? 0o644, 8))
  writeField(block, 108, 8, octal(0, 8))
  writeField(block, 116, 8, octal(0, 8))
  writeField(block, 124, 12, octal(entry.data.length, 12))
  writeField(block, 136, 12, octal(mtime, 12))
  writeField(block, 148, 8, '        ')
  writeField(block, 156, 1, '0')
  writeField(block, 257, 6, 'ustar\0')
  writeField(block, 263, 2, '00')
  const sum = block.reduce((total, byte) => total + byte, 0)
  writeField(block, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `)
  return block
}

/** The archive of `entries`, in order, with `mtime` (seconds) on every file. */
export function writeTar(entries: readonly TarEntry[], mtime: number): Uint8Array {
  const parts: Uint8Array[] = []
  for (const entry of entries) {
    parts.push(header(entry, mtime), entry.data)
    const padding = (BLOCK - (entry.data.length % BLOCK)) % BLOCK
    parts.push(new Uint8Array(padding))
  }
  parts.push(new Uint8Array(2 * BLOCK))
  const out = new Uint8Array(parts.reduce((total, part) => total + part.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}
