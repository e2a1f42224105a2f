// Starting the demo in-process
export {
  DEFAULT_DEMO_PORT,
  DEMO_ISSUER,
  type Demo,
  type DemoOptions,
  type DemoWorld,
  type ScenarioResult,
  type ServicesState,
  startDemo,
} from './demo.js'
export { BROWSER_BUNDLE_PATH, PACKAGE_ROOT, POLICY_PATH } from './paths.js'
// Building blocks
export { recordDecisions } from './recorded-gate.js'
export { type ActionRoute, routeOf, type ServiceDirectory, type ServiceName } from './routes.js'
// Scenarios
export {
  SCENARIOS,
  type Scenario,
  type ScenarioExpectation,
  type ScenarioInfo,
  scenarioInfos,
} from './scenarios.js'
export { type ScriptedModel, startScriptedModel } from './scripted-model.js'
// Terminal output
export { formatResults, type TerminalResult, terminalResults } from './terminal-report.js'
export { listenPreferring, type WebServer } from './web-server.js'
