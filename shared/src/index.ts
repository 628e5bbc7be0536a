export * from './output.js';
export * from './tool-kinds.js';
export * from './redact.js';
export * from './boundary/index.js';
