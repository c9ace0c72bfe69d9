/** Public library API of nats-bootstrap. The CLI is one client of it. */
export { NbsError, ERROR_CATALOG, isNbsError, type ErrorId, type ExitCode } from './domain/errors.js';
export * from './domain/binary-resolution.js';
export * from './domain/config.js';
export { loadConfig } from './infra/config-file.js';
export { inspectResolution, resolveBinary, type ResolutionReport, type ResolveOptions } from './app/resolve-binary.js';
export { status, inspectNode, inspectCluster, type StatusReport, type StatusInput, type NodeFacts, type ClusterFacts, type BinaryFacts } from './app/status.js';
export { doctor, type DoctorReport, type DoctorInput, type DoctorCheckReport } from './app/doctor.js';
export { DOCTOR_CHECKS, runChecks, type DoctorCheck, type DoctorContext, type CheckResult, type CheckStatus } from './app/doctor-checks.js';
export { clusterView, type ClusterView, type MetaPeer } from './domain/cluster-view.js';
export { runBackup, checkOutputFolder, type BackupReport, type BackupProgress, type BackupRunOptions } from './app/backup.js';
export { inspectBackup, runRestore, type RestoreReport, type RestoreRunOptions, type ValidatedBackup } from './app/restore.js';
export { backupSpecFrom, BACKUP_FILES, type BackupSpec, type BackupManifest, type ManifestStream, type BackupMeta } from './domain/backup.js';
export { resolveConnection, type ConnectionFlags } from './infra/connection-options.js';
