// What every process in the sandbox is told about egress: the relay's proxy address, as the environment variables
// proxy-aware clients (curl, pip, git, npm, Python, Node) read. Set in the container spec even with egress off, so a
// client fails fast rather than on DNS.
import { EGRESS_PROXY_PORT } from '../../egress/protocol.js';

export const EGRESS_PROXY_URL = `http://127.0.0.1:${EGRESS_PROXY_PORT}`;

/** Environment for every process in the sandbox: proxy-aware clients (curl, pip, git, npm, Python, Node) use it. */
export function egressClientEnv(): string[] {
  const p = EGRESS_PROXY_URL;
  return [
    `HTTP_PROXY=${p}`, `HTTPS_PROXY=${p}`, `http_proxy=${p}`, `https_proxy=${p}`, `ALL_PROXY=${p}`, `all_proxy=${p}`,
    'NO_PROXY=localhost,127.0.0.1,::1', 'no_proxy=localhost,127.0.0.1,::1',
    'NODE_USE_ENV_PROXY=1', // Node 22.21+ fetch/http honour HTTP(S)_PROXY with it (the image has 22.23)
    'NODE_OPTIONS=--disable-warning=UNDICI-EHPA', // …without an "experimental" warning on every fetch's stderr
    `npm_config_proxy=${p}`, `npm_config_https_proxy=${p}`,
  ];
}
