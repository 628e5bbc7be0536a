// The server's version, computed once: the bundlers define __SUNA_VERSION__ from mcp-server/package.json;
// running from source (tests, tsx) reports a dev version.
declare const __SUNA_VERSION__: string | undefined;

export const VERSION: string = typeof __SUNA_VERSION__ === 'string' ? __SUNA_VERSION__ : '0.0.0-dev';
