/** Public library API of nats-bootstrap. The CLI is one client of it. */
export { NbsError, ERROR_CATALOG, isNbsError, type ErrorId, type ExitCode } from './domain/errors.js';
export * from './domain/binary-resolution.js';
export * from './domain/config.js';
export { loadConfig } from './infra/config-file.js';
export { inspectResolution, resolveBinary, type ResolutionReport, type ResolveOptions } from './app/resolve-binary.js';
