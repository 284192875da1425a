export { ManualClock, systemClock, type Clock } from './clock.ts';
export { assumedRoleIdentity, iamUserIdentity, type CloudTrailEvent, type UserIdentity } from './cloudtrail.ts';
export { DEFAULT_TIMINGS, FirehoseEmulator, type CallerContext, type EmulatorOptions } from './emulator.ts';
export { AwsServiceError } from './errors.ts';
export { serveEmulator, type RunningEmulator, type ServeOptions } from './http-server.ts';
