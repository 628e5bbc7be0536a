// Configuration: one table of options, each a CLI flag and a SUNA_* variable; flags win; bad input is a
// ConfigError that says what was wrong and what was given.
import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, OPTIONS, envName, helpText, loadConfig, parseOptions, type OptionKey } from '../../src/config.ts';

const KEYS = Object.keys(OPTIONS) as OptionKey[];

/** A value each option accepts, as it would be typed on the command line. */
function sampleValue(key: OptionKey): string {
  const def: { kind: string; choices?: readonly string[] } = OPTIONS[key];
  if (def.choices) return def.choices.at(-1)!;
  switch (def.kind) {
    case 'int':
      return '4096';
    case 'number':
      return '1.5';
    case 'bool':
      return 'true';
    case 'list':
      return 'a.example, b.example';
    default:
      return 'sample-1';
  }
}

function assertConfigError(fn: () => unknown, fragment: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    assert.match(err.message, fragment);
    return true;
  });
}

describe('envName', () => {
  it('maps --max-output-chars to SUNA_MAX_OUTPUT_CHARS', () => {
    assert.equal(envName('maxOutputChars'), 'SUNA_MAX_OUTPUT_CHARS');
  });

  it('gives every option its own SUNA_* variable derived from its flag', () => {
    const names = KEYS.map(envName);
    assert.equal(new Set(names).size, KEYS.length, 'two options share a variable');
    for (const key of KEYS) assert.equal(envName(key), 'SUNA_' + OPTIONS[key].flag.toUpperCase().replaceAll('-', '_'));
  });

  it('gives every option its own flag', () => {
    assert.equal(new Set(KEYS.map((k) => OPTIONS[k].flag)).size, KEYS.length);
  });
});

describe('parseOptions', () => {
  it('parses each option the same way from its flag and from its variable', () => {
    for (const key of KEYS) {
      const value = sampleValue(key);
      const fromFlag = parseOptions([`--${OPTIONS[key].flag}=${value}`], {});
      const fromEnv = parseOptions([], { [envName(key)]: value });
      assert.deepEqual(Object.keys(fromFlag), [key], `--${OPTIONS[key].flag} set something other than ${key}`);
      assert.deepEqual(fromFlag, fromEnv, `--${OPTIONS[key].flag} and ${envName(key)} disagree`);
    }
  });

  it('ignores unrelated and empty environment variables', () => {
    assert.deepEqual(parseOptions([], { PATH: '/usr/bin', SUNA_MEMORY: '', SUNA_UNKNOWN_THING: 'x' }), {});
  });

  it('lets a flag win over the environment', () => {
    assert.deepEqual(parseOptions(['--memory', '4096', '--network', 'bridge'], { SUNA_MEMORY: '1024', SUNA_NETWORK: 'none' }), {
      memory: 4096,
      network: 'bridge',
    });
  });

  it('accepts both "--flag value" and "--flag=value"', () => {
    assert.deepEqual(parseOptions(['--memory', '3000'], {}), { memory: 3000 });
    assert.deepEqual(parseOptions(['--memory=3000'], {}), { memory: 3000 });
  });

  it('keeps "=" inside a --flag=value value', () => {
    assert.deepEqual(parseOptions(['--token=abc=def=='], {}), { token: 'abc=def==' });
  });

  it('splits a list option on commas and drops blanks', () => {
    assert.deepEqual(parseOptions(['--allowed-origins', 'https://a.example, https://b.example,,'], {}), {
      allowedOrigins: ['https://a.example', 'https://b.example'],
    });
  });

  it('parses a fractional number for --cpus', () => {
    assert.deepEqual(parseOptions(['--cpus', '0.5'], {}), { cpus: 0.5 });
  });

  describe('bool options', () => {
    it('sets --ephemeral to true without a value', () => {
      assert.deepEqual(parseOptions(['--ephemeral'], {}), { ephemeral: true });
    });

    it('sets --no-ephemeral to false, overriding SUNA_EPHEMERAL=true', () => {
      assert.deepEqual(parseOptions(['--no-ephemeral'], { SUNA_EPHEMERAL: 'true' }), { ephemeral: false });
    });

    it('reads SUNA_EPHEMERAL=true and the other spellings of true and false', () => {
      for (const v of ['true', 'TRUE', '1', 'yes', 'on']) assert.deepEqual(parseOptions([], { SUNA_EPHEMERAL: v }), { ephemeral: true }, v);
      for (const v of ['false', '0', 'no', 'Off']) assert.deepEqual(parseOptions([], { SUNA_EPHEMERAL: v }), { ephemeral: false }, v);
    });

    it('accepts --ephemeral=false', () => {
      assert.deepEqual(parseOptions(['--ephemeral=false'], {}), { ephemeral: false });
    });

    it('does not take the next argument as the value of a bool flag', () => {
      assert.deepEqual(parseOptions(['--ephemeral', '--memory', '4096'], {}), { ephemeral: true, memory: 4096 });
    });

    it('refuses SUNA_EPHEMERAL=maybe', () => {
      assertConfigError(() => parseOptions([], { SUNA_EPHEMERAL: 'maybe' }), /SUNA_EPHEMERAL: expected true or false \(got "maybe"\)/);
    });
  });

  describe('errors', () => {
    it('refuses an unknown flag and points at --help', () => {
      assertConfigError(() => parseOptions(['--bogus'], {}), /unknown option --bogus; see --help/);
    });

    it('refuses a positional argument', () => {
      assertConfigError(() => parseOptions(['serve-now'], {}), /unexpected argument "serve-now"; see --help/);
    });

    it('refuses a single-dash flag', () => {
      assertConfigError(() => parseOptions(['-p', '80'], {}), /unexpected argument "-p"/);
    });

    it('refuses a flag with its value missing', () => {
      assertConfigError(() => parseOptions(['--memory'], {}), /--memory needs a value/);
    });

    it('refuses a non-number --memory abc', () => {
      assertConfigError(() => parseOptions(['--memory', 'abc'], {}), /--memory: expected a whole number \(got "abc"\)/);
    });

    it('refuses a fractional or negative value for a whole-number option', () => {
      assertConfigError(() => parseOptions(['--pids', '1.5'], {}), /--pids: expected a whole number/);
      assertConfigError(() => parseOptions(['--port=-1'], {}), /--port: expected a whole number/);
    });

    it('refuses --cpus 0', () => {
      assertConfigError(() => parseOptions(['--cpus', '0'], {}), /--cpus: expected a positive number \(got "0"\)/);
    });

    it('refuses an invalid choice --network host and lists the valid ones', () => {
      assertConfigError(() => parseOptions(['--network', 'host'], {}), /--network: expected one of bridge, none \(got "host"\)/);
    });

    it('names the variable when the bad value came from the environment', () => {
      assertConfigError(() => parseOptions([], { SUNA_ON_EXIT: 'explode' }), /SUNA_ON_EXIT: expected one of stop, keep, remove \(got "explode"\)/);
    });

    it('refuses the "no-" prefix on a non-bool option and a value on a negated bool', () => {
      assertConfigError(() => parseOptions(['--no-memory', '4096'], {}), /unknown option --no-memory/);
      assert.throws(() => parseOptions(['--no-ephemeral=true'], {}), ConfigError);
    });
  });
});

describe('loadConfig', () => {
  it('applies the defaults when nothing is set', () => {
    const c = loadConfig([], {});
    assert.equal(c.http, undefined);
    assert.deepEqual(c.sandbox, {
      name: 'default',
      image: '',
      baseImage: 'debian:bookworm-slim',
      memoryMb: 2048,
      cpus: 2,
      pidsLimit: 512,
      tmpSizeMb: 512,
      network: 'bridge',
      profile: 'default',
      ephemeral: false,
      diskQuotaMb: 10240,
      checkpointRetention: { count: 50, bytes: 2 * 1024 ** 3 },
      egress: { mode: 'public', allow: [], dns: undefined },
    });
    assert.equal(c.onExit, 'stop');
    assert.equal(c.maxOutputChars, 30_000);
    assert.equal(c.logLevel, 'info');
    assert.equal(c.model, undefined);
  });

  it('reads the egress policy from --egress, --egress-allow and --egress-dns', () => {
    const c = loadConfig(['--egress', 'allowlist', '--egress-allow', 'pypi.org, *.pythonhosted.org,10.0.0.0/8', '--egress-dns', '10.1.2.3:5353'], {});
    assert.deepEqual(c.sandbox.egress, { mode: 'allowlist', allow: ['pypi.org', '*.pythonhosted.org', '10.0.0.0/8'], dns: '10.1.2.3:5353' });
    assert.equal(loadConfig([], { SUNA_EGRESS: 'none' }).sandbox.egress?.mode, 'none');
  });

  it('refuses a bad egress setting with what to fix, and allowlist mode without an allow list', () => {
    assertConfigError(() => loadConfig(['--egress', 'open'], {}), /--egress: expected one of public, allowlist, none \(got "open"\)/);
    assertConfigError(() => loadConfig(['--egress-allow', 'https://pypi.org'], {}), /--egress-allow: "https:\/\/pypi\.org" is neither a domain/);
    assertConfigError(() => loadConfig(['--egress-dns', 'dns.example'], {}), /--egress-dns: expected the host:port of a DNS server/);
    assertConfigError(() => loadConfig(['--egress', 'allowlist'], {}), /--egress allowlist needs --egress-allow/);
  });

  it('puts the exchange folder under ~/SunaFiles/<sandbox> and allows imports only from it, unless told otherwise', () => {
    const home = homedir();
    const c = loadConfig(['--sandbox-name', 'work'], {});
    assert.equal(c.exchangeDir, join(home, 'SunaFiles', 'work'));
    assert.deepEqual(c.importDirs, [join(home, 'SunaFiles', 'work')]);
    const d = loadConfig(['--exchange-dir', '~/out', '--import-dirs', '/data/in, relative/dir,~'], {});
    assert.equal(d.exchangeDir, join(home, 'out'));
    assert.deepEqual(d.importDirs, ['/data/in', resolve('relative/dir'), home]);
    for (const dir of ['~', home, '/', join(home, '..')]) assertConfigError(() => loadConfig(['--exchange-dir', dir], {}), /--exchange-dir: use a folder of its own/);
  });

  it('serves stdio (no http) unless --port is given', () => {
    assert.equal(loadConfig(['--host', '0.0.0.0', '--token', 'abcdef123'], {}).http, undefined);
  });

  it('enables HTTP with --port 0 and applies the HTTP defaults', () => {
    assert.deepEqual(loadConfig(['--port', '0'], {}).http, {
      port: 0,
      host: '127.0.0.1',
      token: undefined,
      allowedOrigins: [],
      allowedHosts: [],
      maxBodyBytes: 64 * 1024 * 1024,
      rateLimit: 600,
      metricsPublic: false,
      maxSessions: 100,
      sessionIdleTimeoutMs: 1_800_000,
      maxConnections: 256,
      requestTimeoutMs: 60_000,
      tenantsFile: undefined,
      tenantIdleTimeoutMs: 3_600_000,
      stateless: false,
    });
  });

  it('enables HTTP from SUNA_PORT and carries host, token and allowed lists', () => {
    const c = loadConfig(['--allowed-hosts', 'box.local'], { SUNA_PORT: '8080', SUNA_HOST: '0.0.0.0', SUNA_TOKEN: 'tok-123456', SUNA_ALLOWED_ORIGINS: 'https://a.example' });
    assert.deepEqual(c.http, {
      port: 8080,
      host: '0.0.0.0',
      token: 'tok-123456',
      allowedOrigins: ['https://a.example'],
      allowedHosts: ['box.local'],
      maxBodyBytes: 64 * 1024 * 1024,
      rateLimit: 600,
      metricsPublic: false,
      maxSessions: 100,
      sessionIdleTimeoutMs: 1_800_000,
      maxConnections: 256,
      requestTimeoutMs: 60_000,
      tenantsFile: undefined,
      tenantIdleTimeoutMs: 3_600_000,
      stateless: false,
    });
  });

  it('bounds HTTP sessions, connections and request time with flags, and applies the message cap to stdio too', () => {
    const c = loadConfig(['--port', '0', '--max-sessions', '5', '--session-idle-timeout', '2', '--max-connections', '9', '--request-timeout', '3', '--max-body-bytes', '1000000'], {});
    assert.equal(c.http?.maxSessions, 5);
    assert.equal(c.http?.sessionIdleTimeoutMs, 2000);
    assert.equal(c.http?.maxConnections, 9);
    assert.equal(c.http?.requestTimeoutMs, 3000);
    assert.equal(c.http?.maxBodyBytes, 1_000_000);
    assert.equal(loadConfig(['--max-body-bytes', '1000000'], {}).maxMessageBytes, 1_000_000);
    assert.equal(loadConfig([], {}).maxMessageBytes, 64 * 1024 * 1024);
    assert.equal(loadConfig(['--max-body-bytes', '10'], {}).maxMessageBytes, 64 * 1024, 'a tiny cap is raised to 64 KiB');
    assert.equal(loadConfig(['--port', '0', '--max-sessions', '0'], {}).http?.maxSessions, 1);
  });

  it('lets flags win over the environment', () => {
    const c = loadConfig(['--memory', '4096', '--on-exit', 'remove'], { SUNA_MEMORY: '1024', SUNA_ON_EXIT: 'keep', SUNA_NETWORK: 'none' });
    assert.equal(c.sandbox.memoryMb, 4096);
    assert.equal(c.onExit, 'remove');
    assert.equal(c.sandbox.network, 'none');
  });

  it('turns on an ephemeral sandbox with --ephemeral or SUNA_EPHEMERAL=true', () => {
    assert.equal(loadConfig(['--ephemeral'], {}).sandbox.ephemeral, true);
    assert.equal(loadConfig([], { SUNA_EPHEMERAL: 'true' }).sandbox.ephemeral, true);
    assert.equal(loadConfig(['--no-ephemeral'], { SUNA_EPHEMERAL: 'true' }).sandbox.ephemeral, false);
  });

  it('raises a tiny --max-output-chars to 1000', () => {
    assert.equal(loadConfig(['--max-output-chars', '10'], {}).maxOutputChars, 1000);
    assert.equal(loadConfig(['--max-output-chars', '50000'], {}).maxOutputChars, 50_000);
  });

  it('takes --data-dir as given', () => {
    assert.equal(loadConfig(['--data-dir', '/srv/suna'], {}).dataDir, '/srv/suna');
  });

  if (process.platform === 'linux') {
    it('puts the data directory under XDG_DATA_HOME by default on Linux', () => {
      assert.equal(loadConfig([], { XDG_DATA_HOME: '/xdg/data' }).dataDir, '/xdg/data/suna-mcp');
    });
  }

  it('refuses a bad sandbox name like ../x and says which characters are allowed', () => {
    assertConfigError(() => loadConfig(['--sandbox-name', '../x'], {}), /--sandbox-name: use letters, digits, "\.", "_" or "-" \(got "\.\.\/x"\)/);
  });

  it('refuses a sandbox name that starts with a dash or is too long', () => {
    assertConfigError(() => loadConfig(['--sandbox-name=-x'], {}), /--sandbox-name/);
    assertConfigError(() => loadConfig(['--sandbox-name', 'a'.repeat(64)], {}), /--sandbox-name/);
  });

  it('refuses less than 128 MiB of memory', () => {
    assertConfigError(() => loadConfig(['--memory', '64'], {}), /--memory: at least 128 MiB/);
  });

  it('refuses a port above 65535', () => {
    assertConfigError(() => loadConfig(['--port', '70000'], {}), /--port: 0–65535/);
  });

  it('refuses an unknown flag', () => {
    assertConfigError(() => loadConfig(['--memroy', '4096'], {}), /unknown option --memroy/);
  });
});

describe('helpText', () => {
  const text = helpText('9.9.9');

  it('names the version', () => {
    assert.match(text, /^suna-mcp 9\.9\.9 /);
  });

  it('lists every flag and its environment variable on the same line', () => {
    const lines = text.split('\n');
    for (const key of KEYS) {
      const flag = `--${OPTIONS[key].flag}`;
      const line = lines.find((l) => l.trimStart().startsWith(flag + ' '));
      assert.ok(line, `${flag} is missing from --help`);
      assert.ok(line.includes(envName(key)), `${flag} line lacks ${envName(key)}: ${line}`);
    }
  });

  it('lists every description, choice list and default', () => {
    for (const key of KEYS) {
      const def: { description: string; choices?: readonly string[]; default?: string } = OPTIONS[key];
      assert.ok(text.includes(def.description), `description of ${key} missing`);
      if (def.choices) assert.ok(text.includes(`(${def.choices.join('|')})`), `choices of ${key} missing`);
      if (def.default !== undefined) assert.ok(text.includes(`[default: ${def.default}]`), `default of ${key} missing`);
    }
  });

  it('shows a value placeholder for value options and none for bool flags', () => {
    assert.match(text, /--memory <value>/);
    assert.match(text, /--ephemeral\s+SUNA_EPHEMERAL/);
  });
});
