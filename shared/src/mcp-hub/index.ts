// External MCP servers for the agent loop: configuration, the hub that connects them, and host combining.
export {
  parseMcpConfig,
  serverIdentity,
  McpConfigError,
  SERVER_NAME_PATTERN,
  type McpHubConfig,
  type ExternalServerConfig,
  type StdioServerConfig,
  type HttpServerConfig,
} from './config.js';
export {
  McpHub,
  TOOL_CHANGED_MESSAGE,
  type McpHubOptions,
  type McpHubNotice,
  type McpServerStatus,
  type PendingToolChange,
  type PinStore,
  type ServerState,
} from './hub.js';
export { attachRun, RunHubListeners, type RunHubNotice, type RunHubListener } from './attach.js';
export { toolHash, exposedName } from './naming.js';
export { combineToolHosts, ToolNameCollisionError, type RoutingToolHost } from './combine.js';
export { toToolResult, DEFAULT_RESULT_LIMITS, type ResultLimits, type McpCallResult } from './results.js';
