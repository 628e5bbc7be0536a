export * from './config.js';
export * from './container.js';
export * from './daemon-client.js';
export * from './image.js';
export * from './paths.js';
export * from './sandbox.js';
export type * from '../daemon/protocol.js';
export { DaemonErrorCodes } from '../daemon/protocol.js';
export * from './tunnel.js';
