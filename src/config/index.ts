/** Public API of the configuration module (docs/config.md). */
export { ConfigError, EX_CONFIG, type ConfigIssue, type Where } from './errors.js';
export { DAEMON_FLAGS, DAEMON_FLAGS_HELP, type FlagSpec } from './flags.js';
export { defaultReadFile, loadConfig, type LoadOptions, type LoadResult, type ReadFile } from './load.js';
export {
  DEFAULT_METRICS_PORT,
  DEFAULTS,
  defaultConfig,
  formatCidr,
  LIMITS,
  LOG_LEVELS,
  parseListenAddress,
  SETTINGS,
  type Cidr,
  type DaemonConfig,
  type DefendMode,
  type Delegate,
  type ListenAddress,
  type LogLevel,
  type WebConfig,
} from './schema.js';
export { DurationError, formatDuration, parseDuration } from '../core/duration.js';
