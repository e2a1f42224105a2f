// verifyChain at scale, streaming.
// 1. Throughput: a chain of `--throughput-receipts` (default 100,000) receipts is
//    signed first (node:crypto, the spec's format through @writ/core's encoder), then
//    verified from a generator, with a trusted checkpoint at its end.
// 2. Memory: a chain of `--receipts` (default 100,000; 1,000,000 takes 3 to 6 minutes
//    on a 2-core machine, so it is a separate run: `--receipts 1000000 --name chain-1m`) is signed lazily by a
//    generator while verifyChain consumes it, so nothing holds the chain. RSS and
//    heapUsed are sampled all along (and after a forced GC at every tenth of the
//    chain, when run with --expose-gc as bench/run.mjs does): they must stay flat.
import { createHash } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { generateSigningKey } from '@writ/core'
import {
  checkpointClaims,
  createSigner,
  createUuidV7Generator,
  encodeCheckpoint,
  encodeReceipt,
  receiptClaims,
} from '@writ/core/internal'
import { createKeySet, verifyChain } from '@writ/verify'
import { base64UrlDecode } from '@writ/verify/internal'
import { memorySampler, option, smoke, target, writeResults } from './harness.mjs'

const throughputReceipts = Number(option('throughput-receipts', smoke ? 5_000 : 100_000))
const memoryReceipts = Number(option('receipts', smoke ? 20_000 : 100_000))
const suiteName = option('name', 'chain')

const key = generateSigningKey()
const { d, ...publicJwk } = key
const signer = createSigner(base64UrlDecode(d), publicJwk, 'node')
const keys = createKeySet({ keys: [publicJwk] })
const nextId = createUuidV7Generator()
const iat = Math.floor(Date.now() / 1000)
const argsDigest = `sha256:${createHash('sha256').update('{"amount":250}').digest('hex')}`
const decisions = ['PERMIT', 'DENY', 'SILENCE']

/** Signs the receipts of one chain, in order, one at a time: holds only the previous digest. */
function* signedChain(count, onProgress) {
  let prev = null
  for (let seq = 0; seq < count; seq++) {
    const decision = decisions[seq % 3]
    const claims = receiptClaims(
      {
        iss: 'https://authority.bench',
        jti: nextId(),
        iat,
        exp: iat + 300,
        sub: `agent-${seq % 50}`,
        req: `req-${seq}`,
        decision,
        reason:
          decision === 'PERMIT'
            ? 'RULE_PERMIT'
            : decision === 'DENY'
              ? 'RULE_DENY'
              : 'NO_APPLICABLE_RULE',
        rule: decision === 'SILENCE' ? null : 'rule-1',
        policy: { id: 'bench', digest: argsDigest },
        act: { name: 'payments.transfer', args: argsDigest },
      },
      { id: 'bench-chain', seq, prev },
    )
    const token = encodeReceipt(claims, signer)
    prev = `sha256:${createHash('sha256').update(token, 'ascii').digest('hex')}`
    onProgress?.(seq + 1, prev)
    yield token
  }
}

// 1. Throughput on a chain signed in advance.
let head = null
const signStarted = performance.now()
const tokens = [...signedChain(throughputReceipts, (_, digest) => (head = digest))]
const signSeconds = (performance.now() - signStarted) / 1000
const checkpoint = encodeCheckpoint(
  checkpointClaims({
    iss: 'https://authority.bench',
    chain: 'bench-chain',
    size: tokens.length,
    head,
    iat,
  }),
  signer,
)
function* fromArray() {
  for (const token of tokens) yield token
}
const verifyStarted = performance.now()
const report = await verifyChain(fromArray(), keys, { checkpoints: [checkpoint] })
const verifySeconds = (performance.now() - verifyStarted) / 1000
if (!report.valid || report.size !== throughputReceipts)
  throw new Error(`chain did not verify: ${JSON.stringify(report)}`)
tokens.length = 0
console.log(
  `${throughputReceipts} receipts: signed at ${(throughputReceipts / signSeconds).toFixed(0)}/s, verifyChain at ${(throughputReceipts / verifySeconds).toFixed(0)} receipts/s (${verifySeconds.toFixed(1)} s)`,
)

// 2. Memory on a chain signed while it is verified.
const gc = globalThis.gc
gc?.()
const sampler = memorySampler(smoke ? 20 : 250)
const marks = []
const tenth = Math.max(1, Math.floor(memoryReceipts / 10))
const lazyStarted = performance.now()
const lazyReport = await verifyChain(
  signedChain(memoryReceipts, (count) => {
    if (count % tenth === 0) {
      gc?.()
      const usage = process.memoryUsage()
      marks.push({
        receipts: count,
        rssMiB: usage.rss / 2 ** 20,
        heapUsedMiB: usage.heapUsed / 2 ** 20,
      })
      sampler.mark({ receipts: count })
    }
  }),
  keys,
)
const lazySeconds = (performance.now() - lazyStarted) / 1000
const samples = sampler.stop()
if (!lazyReport.valid || lazyReport.size !== memoryReceipts)
  throw new Error(`lazy chain did not verify: ${JSON.stringify(lazyReport)}`)

const first = marks[0]
const last = marks[marks.length - 1]
const heapGrowth = last.heapUsedMiB - first.heapUsedMiB
const peakRss = Math.max(...samples.map((point) => point.rssMiB))
console.log(
  `${memoryReceipts} receipts signed and verified while streaming in ${lazySeconds.toFixed(1)} s (${(memoryReceipts / lazySeconds).toFixed(0)}/s sign+verify)`,
)
console.log(
  `heapUsed after GC: ${first.heapUsedMiB.toFixed(1)} MiB at ${first.receipts}, ${last.heapUsedMiB.toFixed(1)} MiB at ${last.receipts}; RSS ${first.rssMiB.toFixed(0)} → ${last.rssMiB.toFixed(0)} MiB, peak ${peakRss.toFixed(0)} MiB${gc ? '' : ' (no --expose-gc: heap figures include garbage)'}`,
)

const targets = {
  heapFlatOverChain: target(heapGrowth, '<', 8, {
    meaning: `heapUsed growth (MiB, after GC) between 10% and 100% of a ${memoryReceipts}-receipt streamed chain`,
    gcForced: gc !== undefined,
  }),
}
const rows = [
  {
    name: `sign receipts (node:crypto, spec format), ${throughputReceipts}`,
    receipts: throughputReceipts,
    seconds: signSeconds,
    perSecond: throughputReceipts / signSeconds,
  },
  {
    name: `verifyChain, ${throughputReceipts} receipts + checkpoint`,
    receipts: throughputReceipts,
    seconds: verifySeconds,
    perSecond: throughputReceipts / verifySeconds,
  },
  {
    name: `sign + verifyChain streamed, ${memoryReceipts} receipts`,
    receipts: memoryReceipts,
    seconds: lazySeconds,
    perSecond: memoryReceipts / lazySeconds,
  },
]
const file = writeResults(suiteName, {
  rows,
  memory: { marks, samples, peakRssMiB: peakRss, heapGrowthMiB: heapGrowth },
  targets,
})
console.log(`results: ${file}`)
