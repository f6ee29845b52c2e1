/** Library entry points. */
export { run } from './cli/program.js';
export { ScanChain, type Verdict } from './scan/chain.js';
export { loadConfig, parseConfigText } from './config/load.js';
export { loadRulePacks } from './scan/rule-pack.js';
export { RuleMatcher } from './scan/matcher.js';
export type { Finding, Category, Severity, Action, Direction } from './scan/types.js';
