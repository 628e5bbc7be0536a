// The egress policy end to end, through the real server, Docker and sandbox. Run it twice: as is (the engine is
// local: connections over the host socket) and with SUNA_EGRESS_TRANSPORT=exec (the exec-stream fallback). Every packet stays on this machine:
// the Docker bridge gateway, loopback (the DNS responder) and two network namespaces this test creates. Public
// internet and cloud-metadata cases are proven by the classifier's unit tests, never by sending packets.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { strToU8, zipSync } from 'fflate';
import { createNetnsHost, startDnsResponder, type NetnsHost } from '../fixtures/netns.ts';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { containerSpec, DEFAULT_SANDBOX_CONFIG, hostSocketDir } from '@suna/sandbox';
import { removeSandbox, startHttpServer, startServer, testSandboxName, type TestServer } from '../fixtures/server.ts';

/** The bridge gateway's address: IPAM's Gateway, else the address of the bridge interface on this host. */
async function bridgeGateway(): Promise<string> {
  const net = (await new Docker().getNetwork('bridge').inspect()) as { IPAM?: { Config?: Array<{ Gateway?: string }> }; Options?: Record<string, string> };
  const gw = net.IPAM?.Config?.find((c) => c.Gateway)?.Gateway;
  if (gw) return gw;
  const ifName = net.Options?.['com.docker.network.bridge.name'] ?? 'docker0';
  // os.networkInterfaces() skips a bridge without carrier (no container attached), so ask ip(8).
  const addr = /inet (\d+\.\d+\.\d+\.\d+)/.exec(execFileSync('ip', ['-4', '-o', 'addr', 'show', 'dev', ifName]).toString())?.[1];
  if (!addr) throw new Error('cannot find the Docker bridge gateway');
  return addr;
}

/** Files the netns host serves: a page, a pip "simple" index with a tiny wheel, an npm registry document, a git repo. */
function buildSite(root: string, address: string): void {
  writeFileSync(join(root, 'index.html'), '<html><head><title>netns host</title></head><body><h1>hello from the netns host</h1></body></html>');
  mkdirSync(join(root, 'simple', 'tinypkg'), { recursive: true });
  const wheel = zipSync({
    'tinypkg/__init__.py': strToU8('VALUE = 42\n'),
    'tinypkg-0.1.dist-info/METADATA': strToU8('Metadata-Version: 2.1\nName: tinypkg\nVersion: 0.1\n'),
    'tinypkg-0.1.dist-info/WHEEL': strToU8('Wheel-Version: 1.0\nGenerator: suna-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n'),
    'tinypkg-0.1.dist-info/RECORD': strToU8('tinypkg/__init__.py,,\ntinypkg-0.1.dist-info/METADATA,,\ntinypkg-0.1.dist-info/WHEEL,,\ntinypkg-0.1.dist-info/RECORD,,\n'),
  });
  writeFileSync(join(root, 'simple', 'tinypkg', 'tinypkg-0.1-py3-none-any.whl'), wheel);
  writeFileSync(join(root, 'simple', 'tinypkg', 'index.html'), '<html><body><a href="tinypkg-0.1-py3-none-any.whl">tinypkg-0.1-py3-none-any.whl</a></body></html>');
  const pkgDir = mkdtempSync(join(tmpdir(), 'suna-npmpkg-'));
  mkdirSync(join(pkgDir, 'package'));
  writeFileSync(join(pkgDir, 'package', 'package.json'), JSON.stringify({ name: 'tinypkg', version: '1.0.0', main: 'index.js' }));
  writeFileSync(join(pkgDir, 'package', 'index.js'), 'module.exports = 42;\n');
  mkdirSync(join(root, 'tarballs'));
  const tgz = join(root, 'tarballs', 'tinypkg-1.0.0.tgz');
  execFileSync('tar', ['czf', tgz, '-C', pkgDir, 'package']);
  rmSync(pkgDir, { recursive: true, force: true });
  const data = readFileSync(tgz);
  const dist = { tarball: `http://${address}:8080/tarballs/tinypkg-1.0.0.tgz`, shasum: createHash('sha1').update(data).digest('hex'), integrity: `sha512-${createHash('sha512').update(data).digest('base64')}` };
  mkdirSync(join(root, 'npm'));
  writeFileSync(join(root, 'npm', 'tinypkg'), JSON.stringify({ name: 'tinypkg', 'dist-tags': { latest: '1.0.0' }, versions: { '1.0.0': { name: 'tinypkg', version: '1.0.0', dist } } }));
  const work = mkdtempSync(join(tmpdir(), 'suna-gitrepo-'));
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'init.defaultBranch=main', ...args], { cwd: work, stdio: 'ignore' });
  git('init', '-q');
  writeFileSync(join(work, 'README'), 'cloned through the egress policy\n');
  git('add', 'README');
  git('commit', '-qm', 'first');
  execFileSync('git', ['clone', '-q', '--bare', work, join(root, 'repo.git')], { stdio: 'ignore' });
  execFileSync('git', ['update-server-info'], { cwd: join(root, 'repo.git'), stdio: 'ignore' });
  rmSync(work, { recursive: true, force: true });
}

async function sh(s: TestServer, command: string, timeout_s = 60): Promise<string> {
  const r = await s.call('shell_exec', { command, timeout_s });
  return `${String(r.structured?.stdout ?? '')}${String(r.structured?.stderr ?? '')}` || r.text;
}

describe('egress policy', function () {
  this.timeout(300_000);
  let root: string;
  let tls: { key: string; cert: string };
  let a: NetnsHost;
  let b: NetnsHost;
  let dns: Awaited<ReturnType<typeof startDnsResponder>>;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'suna-egress-'));
    tls = { key: join(root, 'key.pem'), cert: join(root, 'cert.pem') };
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=netns.test', '-keyout', tls.key, '-out', tls.cert], { stdio: 'ignore' });
    const siteA = join(root, 'a');
    const siteB = join(root, 'b');
    mkdirSync(siteA);
    mkdirSync(siteB);
    a = await createNetnsHost(0, siteA, tls);
    b = await createNetnsHost(1, siteB);
    buildSite(siteA, a.address);
    writeFileSync(join(siteB, 'index.html'), 'host b');
    // Names for the rebinding cases: listed names that resolve to private addresses, one of them CIDR-allowed.
    dns = await startDnsResponder({ 'a.netns.test': a.address, 'b.netns.test': b.address, 'rebind.netns.test': b.address });
  });

  after(() => {
    a?.close();
    b?.close();
    dns?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  describe('the default policy (public)', () => {
    let s: TestServer;
    let gateway: string;
    let listener: Server;
    let port: number;
    let hits = 0;

    before(async () => {
      gateway = await bridgeGateway();
      listener = createServer((_req, res) => {
        hits++;
        res.end('host service');
      });
      listener.on('connection', () => hits++);
      await new Promise<void>((resolve) => listener.listen(0, gateway, resolve));
      port = (listener.address() as { port: number }).port;
      s = await startServer({ args: ['--egress-dns', dns.server] });
    });
    after(async () => {
      await s?.close();
      listener?.close();
    });

    it('keeps the container off every Docker network and gives it the proxy settings', async () => {
      const ps = await sh(s, 'ps -eo user:12,args | grep [s]una-egress-relay; kill -9 $(pgrep -f "[s]una-egress-relay") 2>&1');
      assert.match(ps, /^nobody\s/m, 'the relay runs as nobody, not as the agent user');
      assert.match(ps, /Operation not permitted/, 'the agent user cannot kill the relay');
      const info = await new Docker().getContainer(`suna-${s.sandboxName}`).inspect();
      assert.equal(info.HostConfig.NetworkMode, 'none');
      assert.ok(info.Config.Env.includes('HTTPS_PROXY=http://127.0.0.1:3128'));
      assert.ok(info.Config.Env.includes('NO_PROXY=localhost,127.0.0.1,::1'));
    });

    it("the agent cannot join the relay's port to take a share of the sandbox's outbound connections", async () => {
      // The relay listens with SO_REUSEPORT (every replica's relay serves the sandbox); the kernel admits only
      // sockets of the relay's own user to that group.
      const py = `python3 -c "
import socket
for reuse in (True, False):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1) if reuse else None
    try: s.bind(('127.0.0.1', 3128)); s.listen(1); print('bound', reuse)
    except OSError as e: print('refused', reuse, e.errno)
"`;
      assert.equal(await sh(s, py), 'refused True 98\nrefused False 98\n');
    });

    it('a listener on the bridge gateway is unreachable by curl, Python and a raw socket', async () => {
      const url = `http://${gateway}:${port}/`;
      const curl = await sh(s, `curl -sS -m 10 -o /dev/null -w '%{http_code}' ${url}; echo " exit=$?"`);
      assert.match(curl, /^403 exit=0/m, curl);
      const curlBody = await sh(s, `curl -sS -m 10 ${url}`);
      assert.match(curlBody, /blocked by the egress policy \(172\.\d+\.\d+\.\d+ is a private address\)|is a private address/);
      const direct = await sh(s, `curl -sS -m 5 --noproxy '*' ${url}; echo " exit=$?"`);
      assert.match(direct, /exit=(7|28)/, direct);
      const py = await sh(s, `python3 -c "
import urllib.request, urllib.error
try:
    urllib.request.urlopen('${url}', timeout=10); print('REACHED')
except urllib.error.HTTPError as e: print('HTTP', e.code)
except Exception as e: print('ERR', e)
"`);
      assert.match(py, /^HTTP 403/m, py);
      const pyRaw = await sh(s, `python3 -c "
import socket
try:
    socket.create_connection(('${gateway}', ${port}), timeout=5); print('REACHED')
except OSError as e: print('ERR', e)
"`);
      assert.match(pyRaw, /^ERR .*(unreachable|Network)/m, pyRaw);
      const bash = await sh(s, `timeout 5 bash -c 'exec 3<>/dev/tcp/${gateway}/${port} && echo REACHED' 2>&1; echo "exit=$?"`);
      assert.doesNotMatch(bash, /REACHED/);
      assert.match(bash, /Network is unreachable|exit=1/, bash);
      const udp = await sh(s, `python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.sendto(b'x', ('${gateway}', ${port})); print('SENT')
except OSError as e: print('ERR', e)
"`);
      assert.match(udp, /^ERR .*unreachable/m, udp);
      assert.equal(hits, 0, 'the host service saw no connection');
    });

    it('refuses a private netns host and a name that resolves to one (DNS rebinding), and reports each decision', async () => {
      const ip = await sh(s, `curl -sS -m 10 -w ' %{http_code}' http://${a.address}:8080/`);
      assert.match(ip, /is a private address.* 403$/s, ip);
      const name = await sh(s, `curl -sS -m 10 -w ' %{http_code}' http://rebind.netns.test:8080/`);
      assert.match(name, new RegExp(`${b.address.replace(/\./g, '\\.')} is a private address.* 403$`, 's'), name);
      const unknown = await sh(s, `curl -sS -m 10 -w ' %{http_code}' http://nowhere.netns.test/`);
      assert.match(unknown, /cannot resolve nowhere\.netns\.test.* 502$/s, unknown);
      assert.deepEqual([...a.requests(), ...b.requests()], []);
      const status = (await s.ok('sandbox_status')).text;
      assert.match(status, /network: egress public \(the public internet; never the host, private networks or cloud metadata\)/);
      assert.match(status, new RegExp(`DENY  rebind\\.netns\\.test:8080 \\(${b.address.replace(/\./g, '\\.')}\\) ${b.address.replace(/\./g, '\\.')} is a private address`));
      assert.match(status, /egress: 0 allowed, [4-9]\d* denied/);
    });
  });

  describe('allowlist mode', () => {
    let s: TestServer;
    before(async () => {
      s = await startServer({ args: ['--egress', 'allowlist', '--egress-allow', `${a.cidr},a.netns.test,rebind.netns.test`, '--egress-dns', dns.server] });
    });
    after(async () => {
      await s?.close();
    });

    it('admits the CIDR-allowed netns host and refuses the other one', async () => {
      assert.match(await sh(s, `curl -sS -m 10 http://${a.address}:8080/`), /hello from the netns host/);
      const other = await sh(s, `curl -sS -m 10 -w ' %{http_code}' http://${b.address}:8080/`);
      assert.match(other, /is a private address.* 403$/s, other);
      assert.deepEqual(b.requests(), []);
    });

    it('a listed name is allowed only when it resolves into an allowed CIDR (no rebinding to private addresses)', async () => {
      assert.match(await sh(s, 'curl -sS -m 10 http://a.netns.test:8080/'), /hello from the netns host/);
      const rebind = await sh(s, `curl -sS -m 10 -w ' %{http_code}' http://rebind.netns.test:8080/`);
      assert.match(rebind, /is a private address.* 403$/s, rebind);
      const unlisted = await sh(s, `curl -sS -m 10 -w ' %{http_code}' http://b.netns.test:8080/`);
      assert.match(unlisted, /not on the allow list.* 403$/s, unlisted);
      assert.ok(!dns.queries.some((q) => q.startsWith('b.netns.test')), 'an unlisted name is not even resolved');
      assert.deepEqual(b.requests(), []);
    });

    it('HTTPS goes through CONNECT to a TLS server in the namespace', async () => {
      const out = await sh(s, `curl -sS -k -m 10 https://a.netns.test:8443/`);
      assert.match(out, /hello from the netns host/);
    });

    it('Python, pip, npm, git and Node fetch work through the policy', async () => {
      const base = `http://${a.address}:8080`;
      assert.match(await sh(s, `python3 -c "import urllib.request; print(urllib.request.urlopen('${base}/', timeout=10).read().decode())"`), /hello from the netns host/);
      const pip = await sh(s, `cd /tmp && pip download --no-deps --disable-pip-version-check --index-url ${base}/simple/ --trusted-host ${a.address} -d /tmp/pipdl tinypkg && ls /tmp/pipdl`, 120);
      assert.match(pip, /tinypkg-0\.1-py3-none-any\.whl/, pip);
      const npm = await sh(s, `cd /tmp && npm view tinypkg version --registry ${base}/npm/ --no-update-notifier && npm pack tinypkg --registry ${base}/npm/ --no-update-notifier && ls /tmp/tinypkg-1.0.0.tgz`, 120);
      assert.match(npm, /^1\.0\.0$/m, npm);
      assert.match(npm, /\/tmp\/tinypkg-1\.0\.0\.tgz/, npm);
      const git = await sh(s, `cd /tmp && git clone -q ${base}/repo.git cloned && cat cloned/README`, 120);
      assert.match(git, /cloned through the egress policy/, git);
      const node = await sh(s, `node -e "fetch('${base}/').then(r => r.text()).then(t => console.log(t.includes('hello from the netns host') ? 'NODE OK' : t), e => console.log('ERR', e.cause ?? e))"`);
      assert.match(node, /NODE OK/, node);
      assert.doesNotMatch(node, /experimental/i, 'no proxy warning on stderr');
    });

    it('large downloads arrive byte for byte, three at once (frames split by the engine, batched credit)', async () => {
      const body = randomBytes(24 * 1024 * 1024);
      writeFileSync(join(root, 'a', 'big.bin'), body);
      const want = createHash('sha256').update(body).digest('hex');
      const out = await sh(s, `cd /tmp && for i in 1 2 3; do curl -sS -m 120 -o big$i.bin http://${a.address}:8080/big.bin & done; wait; sha256sum big1.bin big2.bin big3.bin; rm -f big?.bin`, 180);
      assert.deepEqual(out.trim().split('\n').map((l) => l.split(/\s+/)[0]), [want, want, want], out);
    });

    it("the sandbox's Chromium browses through the policy and is refused elsewhere", async () => {
      const ok = await s.call('browser_navigate', { url: `http://${a.address}:8080/` });
      assert.equal(ok.isError, false, ok.text);
      assert.match((await s.ok('browser_snapshot')).text, /hello from the netns host/);
      await s.call('browser_navigate', { url: `http://${b.address}:8080/` });
      assert.match((await s.ok('browser_snapshot')).text, /blocked by the egress policy/);
      assert.deepEqual(b.requests(), []);
    });

    it('a relay that dies is restarted, and connections work again', async () => {
      await s.ok('shell_exec', { command: 'true' });
      const container = new Docker().getContainer(`suna-${s.sandboxName}`);
      const exec = await container.exec({ Cmd: ['sh', '-c', 'kill -9 $(pgrep -f "[s]una-egress-relay")'], User: '0:0' });
      await exec.start({});
      const out = await sh(s, `for i in $(seq 1 40); do curl -sS -m 5 http://${a.address}:8080/ 2>/dev/null | grep -q hello && { echo back after $i; break; }; sleep 0.25; done`);
      assert.match(out, /back after \d+/, out);
      assert.match((await s.ok('sandbox_status')).text, /relay running/);
    });

    it('sandbox_status lists the latest decisions with bytes, and the transport in use', async () => {
      await sh(s, `curl -sS -m 10 http://${a.address}:8080/ -o /dev/null`);
      const status = (await s.ok('sandbox_status')).text;
      // The engine is local here: a host socket, unless the test run forces the exec-stream fallback.
      assert.match(status, process.env.SUNA_EGRESS_TRANSPORT === 'exec' ? /relay running, connections over the exec stream/ : /relay running, connections over the host socket/);
      assert.match(status, /network: egress allowlist \(only the allow list\)/);
      assert.match(status, new RegExp(`ALLOW ${a.address.replace(/\./g, '\\.')}:8080 allowed by ${a.cidr.replace(/[./]/g, '\\$&')}, \\d+/\\d+ bytes up/down`));
    });
  });

  describe('observability', () => {
    it('logs every decision with destination, port, verdict and bytes, and counts them in /metrics', async () => {
      const server = await startHttpServer({ SUNA_LOG_LEVEL: 'info', SUNA_METRICS_PUBLIC: 'true' }, ['--egress', 'allowlist', '--egress-allow', a.cidr, '--egress-dns', dns.server]);
      try {
        const client = await server.client('egress-metrics');
        const run = async (command: string) => (await client.callTool({ name: 'shell_exec', arguments: { command } })) as CallToolResult;
        await run(`curl -sS -m 10 http://${a.address}:8080/ -o /dev/null; curl -sS -m 10 http://${b.address}:8080/ -o /dev/null`);
        const metrics = await (await fetch(server.url.replace(/\/mcp$/, '/metrics'))).text();
        assert.match(metrics, /suna_egress_connections_total\{verdict="allowed",tenant=""\} 1/);
        assert.match(metrics, /suna_egress_connections_total\{verdict="denied",tenant=""\} 1/);
        const down = Number(/suna_egress_bytes_total\{direction="down",tenant=""\} (\d+)/.exec(metrics)?.[1]);
        assert.ok(down > 100, metrics);
        const logs = server.stderr().split('\n').filter((l) => l.includes('"component":"egress"')).map((l) => JSON.parse(l));
        const allowed = logs.find((l) => l.verdict === 'allowed');
        const denied = logs.find((l) => l.verdict === 'denied');
        assert.equal(allowed?.host, a.address);
        assert.equal(allowed?.port, 8080);
        assert.ok(allowed?.bytesDown > 100 && allowed?.bytesUp > 50, JSON.stringify(allowed));
        assert.equal(denied?.host, b.address);
        assert.match(denied?.why, /private address/);
        await client.close();
      } finally {
        await server.stop();
      }
    });
  });

  describe('upgrade', () => {
    it('replaces a sandbox container from before the egress policy (on the bridge network), keeping the workspace', async () => {
      const name = testSandboxName('eg-old');
      const spec = containerSpec({ ...DEFAULT_SANDBOX_CONFIG, name, ephemeral: true });
      spec.HostConfig!.NetworkMode = 'bridge';
      const docker = new Docker();
      const old = await docker.createContainer(spec);
      await old.start();
      const put = await old.exec({ Cmd: ['sh', '-c', 'echo kept > /workspace/marker'], User: '1000:1000' });
      await (await put.start({})).resume();
      await new Promise((r) => setTimeout(r, 500));
      const s = await startServer({ env: { SUNA_SANDBOX_NAME: name }, args: ['--egress-dns', dns.server] });
      try {
        assert.match(await sh(s, 'cat /workspace/marker'), /kept/);
        const info = await docker.getContainer(`suna-${name}`).inspect();
        assert.equal(info.HostConfig.NetworkMode, 'none');
        assert.notEqual(info.Id, old.id);
      } finally {
        await s.close();
        await removeSandbox(name);
      }
    });
  });

  describe('host socket across restarts', () => {
    const statusOf = async (s: TestServer) => (await s.ok('sandbox_status')).text;
    const settled = async (s: TestServer, want: RegExp) => {
      for (let i = 0; i < 50 && !want.test(await statusOf(s)); i++) await new Promise((r) => setTimeout(r, 100));
      return statusOf(s);
    };
    const containerId = async (name: string) => (await new Docker().getContainer(`suna-${name}`).inspect()).Id;

    it('keeps a container made without the mount (not recreated): its relay uses the exec stream', async function () {
      if (process.env.SUNA_EGRESS_TRANSPORT === 'exec') this.skip();
      const name = testSandboxName('eg-nomount');
      const env = { SUNA_SANDBOX_NAME: name, SUNA_EPHEMERAL: 'false' };
      const args = ['--egress', 'allowlist', '--egress-allow', a.cidr, '--on-exit', 'keep'];
      try {
        const first = await startServer({ env: { ...env, SUNA_HOST_SOCKET: 'off' }, args });
        await sh(first, 'true');
        const id = await containerId(name);
        await first.close();
        const second = await startServer({ env, args });
        try {
          assert.match(await sh(second, `curl -sS -m 10 http://${a.address}:8080/`), /hello from the netns host/);
          assert.equal(await containerId(name), id, 'the container was kept');
          assert.match(await settled(second, /over the exec stream/), /relay running, connections over the exec stream/);
        } finally {
          await second.close();
        }
      } finally {
        await removeSandbox(name);
        rmSync(hostSocketDir(`suna-${name}`), { recursive: true, force: true });
      }
    });

    /**
     * A kept sandbox stopped by its first server, then its socket directory deleted (a reboot emptied /tmp): the next
     * server (with `secondEnv`) serves `check`, given the first container's id and the directory.
     */
    async function afterSocketDirLost(label: string, secondEnv: Record<string, string>, check: (second: TestServer, firstId: string, dir: string) => Promise<void>): Promise<void> {
      const name = testSandboxName(label);
      const env = { SUNA_SANDBOX_NAME: name, SUNA_EPHEMERAL: 'false' };
      const args = ['--egress', 'allowlist', '--egress-allow', a.cidr, '--on-exit', 'stop'];
      const dir = hostSocketDir(`suna-${name}`);
      try {
        const first = await startServer({ env, args });
        await sh(first, 'echo kept > /workspace/marker');
        const id = await containerId(name);
        await first.close();
        for (let i = 0; i < 100 && (await new Docker().getContainer(`suna-${name}`).inspect()).State.Running; i++) await new Promise((r) => setTimeout(r, 100));
        rmSync(dir, { recursive: true, force: true });
        const second = await startServer({ env: { ...env, ...secondEnv }, args });
        try {
          assert.match(await sh(second, 'cat /workspace/marker'), /kept/);
          assert.match(await sh(second, `curl -sS -m 10 http://${a.address}:8080/`), /hello from the netns host/);
          await check(second, id, dir);
        } finally {
          await second.close();
        }
      } finally {
        await removeSandbox(name);
        rmSync(dir, { recursive: true, force: true });
      }
    }

    it('a stopped container whose socket directory is gone (a reboot emptied /tmp) starts again with a new one', async function () {
      if (process.env.SUNA_EGRESS_TRANSPORT === 'exec') this.skip();
      await afterSocketDirLost('eg-gone', {}, async (second, id) => {
        assert.equal(await containerId(second.sandboxName), id, 'the directory is made again before the start: the container is kept');
        assert.match(await settled(second, /over the host socket/), /connections over the host socket/);
      });
    });

    it('with the socket turned off since, such a container is recreated without the mount, keeping the workspace', async function () {
      if (process.env.SUNA_EGRESS_TRANSPORT === 'exec') this.skip();
      await afterSocketDirLost('eg-off', { SUNA_HOST_SOCKET: 'off' }, async (second, id, dir) => {
        assert.notEqual(await containerId(second.sandboxName), id, 'recreated');
        assert.match(await settled(second, /over the exec stream/), /connections over the exec stream/);
        assert.equal(existsSync(dir), false);
      });
    });

    it('a kept container with the mount gets the host socket again from the next server; its socket file is removed on exit', async function () {
      if (process.env.SUNA_EGRESS_TRANSPORT === 'exec') this.skip();
      const name = testSandboxName('eg-mount');
      const env = { SUNA_SANDBOX_NAME: name, SUNA_EPHEMERAL: 'false' };
      const args = ['--egress', 'allowlist', '--egress-allow', a.cidr, '--on-exit', 'keep'];
      const dir = hostSocketDir(`suna-${name}`);
      try {
        const first = await startServer({ env, args });
        await sh(first, 'true');
        assert.match(await settled(first, /over the host socket/), /connections over the host socket/);
        const id = await containerId(name);
        await first.close();
        for (let i = 0; i < 50 && readdirSync(dir).length; i++) await new Promise((r) => setTimeout(r, 100));
        assert.deepEqual(readdirSync(dir), [], 'the exited server removed its socket file');
        const second = await startServer({ env, args });
        try {
          assert.match(await sh(second, `curl -sS -m 10 http://${a.address}:8080/`), /hello from the netns host/);
          assert.equal(await containerId(name), id);
          assert.match(await settled(second, /over the host socket/), /connections over the host socket/);
        } finally {
          await second.close();
        }
      } finally {
        await removeSandbox(name);
        rmSync(dir, { recursive: true, force: true }); // removeSandbox goes through dockerode only
      }
    });
  });

  describe('egress none', () => {
    it('starts no relay and refuses every connection', async () => {
      const s = await startServer({ args: ['--egress', 'none'] });
      try {
        const out = await sh(s, `curl -sS -m 5 http://${a.address}:8080/; echo " exit=$?"; ps -eo args | grep -c [s]una-egress-relay`);
        assert.match(out, /exit=7/);
        assert.match(out, /^0$/m);
        assert.match((await s.ok('sandbox_status')).text, /network none \(no network access\)/);
      } finally {
        await s.close();
      }
    });
  });
});
