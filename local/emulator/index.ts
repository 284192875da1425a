export type { AccountOptions, AccountState } from './accounts.ts';
export type { EmulatorCell } from './cells.ts';
export { ManualClock, systemClock, type Clock } from './clock.ts';
export { assumedRoleIdentity, iamUserIdentity, type CloudTrailEvent, type UserIdentity } from './cloudtrail.ts';
export { DEFAULT_TIMINGS, FirehoseEmulator, type CallerContext, type EmulatorOptions, type ServiceName } from './emulator.ts';
export { AwsServiceError } from './errors.ts';
export { serveEmulator, type RunningEmulator, type ServeOptions } from './http-server.ts';
export type { RoleDescription, RoleOptions } from './sts.ts';
export type { Organization } from './organizations.ts';
