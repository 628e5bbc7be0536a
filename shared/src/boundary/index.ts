// The host side of the sandbox boundary: one rule for names that come out of the sandbox, one writer for
// the bytes. Everything that comes out of the sandbox is attacker-controlled data.
export * from './sandbox-path.js';
export * from './safe-write.js';
