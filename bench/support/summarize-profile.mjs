// Prints the self time of the hottest functions of a .cpuprofile (node --cpu-prof).
//   node bench/support/summarize-profile.mjs <file.cpuprofile> [top]
import { readFileSync } from 'node:fs'

const [file, top = '25'] = process.argv.slice(2)
const profile = JSON.parse(readFileSync(file, 'utf8'))
const byId = new Map(profile.nodes.map((node) => [node.id, node]))
const self = new Map()
const deltas = profile.timeDeltas
profile.samples.forEach((id, index) => {
  const node = byId.get(id)
  const frame = node.callFrame
  const key = `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*\/(packages|node_modules)\//, '$1/')}:${frame.lineNumber + 1}`
  self.set(key, (self.get(key) ?? 0) + (deltas[index] ?? 0))
})
const total = [...self.values()].reduce((sum, value) => sum + value, 0)
for (const [key, value] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) {
  console.log(`${((100 * value) / total).toFixed(1).padStart(5)}%  ${key}`)
}
