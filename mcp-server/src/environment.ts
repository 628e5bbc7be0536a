// The environment variables the server reads, in one table: `doctor` reports the keys among them, and `setup`
// copies every one that is set into a client's entry (a GUI-launched server never inherits the user's shell).
export interface EnvironmentVariable {
  name: string;
  /** What it enables, for `doctor`; absent for variables that only point somewhere (URLs, Docker). */
  enables?: string;
}

export const ENVIRONMENT_VARIABLES: readonly EnvironmentVariable[] = [
  { name: 'ANTHROPIC_API_KEY', enables: 'agent_run with anthropic:… models' },
  { name: 'ANTHROPIC_BASE_URL' },
  { name: 'OPENAI_API_KEY', enables: 'agent_run with openai:… models' },
  { name: 'OPENAI_BASE_URL' },
  { name: 'OPENAI_COMPATIBLE_API_KEY' },
  { name: 'SUNA_MODEL_BASE_URL' },
  { name: 'TAVILY_API_KEY', enables: 'web_search' },
  { name: 'TAVILY_API_URL' },
  { name: 'FIRECRAWL_API_KEY', enables: 'web_scrape through Firecrawl (without it, the sandbox browser scrapes)' },
  { name: 'FIRECRAWL_API_URL' },
  { name: 'NETLIFY_AUTH_TOKEN', enables: 'site_deploy to Netlify' },
  { name: 'DOCKER_HOST' },
  { name: 'DOCKER_CERT_PATH' },
  { name: 'DOCKER_TLS_VERIFY' },
];

/** The keys `doctor` checks: the variables that switch a capability on. */
export const CAPABILITY_KEYS = ENVIRONMENT_VARIABLES.filter((v): v is Required<EnvironmentVariable> => v.enables !== undefined);
