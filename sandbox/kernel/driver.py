# The code interpreter's driver: owns one ipykernel through jupyter_client (the Jupyter messaging protocol) and
# answers the daemon in NDJSON on its stdout, one line per request. It runs as the agent user, so everything it
# says is checked again by the daemon (line bounds) and the host (shapes, sizes, PNG headers): the caps here keep
# honest answers small, they are not the security boundary. Started by the daemon as `python3 -c <this file>`.
import base64, html.parser, json, os, queue, re, sys, tempfile, threading, time

PROTOCOL_OUT = os.fdopen(os.dup(1), 'w', encoding='utf-8', buffering=1)
os.dup2(2, 1)  # anything else that prints goes to stderr, never into the protocol
sys.stdout = sys.stderr

HERE = tempfile.mkdtemp(prefix='suna-kernel-')
os.environ['JUPYTER_RUNTIME_DIR'] = HERE
os.environ['JUPYTER_PATH'] = HERE
# Our own kernelspec: Debian's ipykernel, without its debugger (importing debugpy costs about a second at every start
# and the agent has no debugger client); otherwise the stock launcher.
LAUNCH = ("import sys; sys.modules['debugpy'] = None; "
          "from ipykernel import kernelapp; kernelapp.launch_new_instance()")
os.makedirs(os.path.join(HERE, 'kernels', 'suna-python3'))
with open(os.path.join(HERE, 'kernels', 'suna-python3', 'kernel.json'), 'w') as spec:
    json.dump({'argv': ['/usr/bin/python3', '-c', LAUNCH, '-f', '{connection_file}'], 'display_name': 'Python 3', 'language': 'python',
               'interrupt_mode': 'signal'}, spec)
os.environ['JUPYTER_PLATFORM_DIRS'] = '1'
os.environ.pop('MPLBACKEND', None)  # ipykernel then picks the inline backend (Agg rendering, PNG display data)

from jupyter_client import KernelManager  # noqa: E402

MAX_IMAGES = 8
MAX_IMAGE_BYTES = 4 * 1024 * 1024
MAX_DISPLAY_TEXT = 64 * 1024
MAX_SIDE = 20000  # pixels; the host refuses larger headers
INTERRUPT_GRACE_S = 3.0
ANSI = re.compile(r'\x1b\[[0-9;]*[A-Za-z]')

# Runs once in each new kernel: the kernel is the OOM killer's first choice (a memory blow-up ends the kernel, not
# the sandbox), and DataFrames/Series print as compact text tables that always state their shape.
SETUP = r'''
def __suna_setup():
    try:
        with open('/proc/self/oom_score_adj', 'w') as f:
            f.write('1000')
    except OSError:
        pass
    ip = get_ipython()
    plain = ip.display_formatter.formatters['text/plain']
    def frame(obj, p, cycle):
        p.text(obj.to_string(max_rows=30, min_rows=20, max_cols=20, max_colwidth=40, show_dimensions=True))
    def series(obj, p, cycle):
        p.text(obj.to_string(max_rows=30, min_rows=20, length=True, dtype=True, name=True))
    plain.for_type_by_name('pandas.core.frame', 'DataFrame', frame)
    plain.for_type_by_name('pandas.core.series', 'Series', series)
    html = ip.display_formatter.formatters['text/html']
    html.for_type_by_name('pandas.core.frame', 'DataFrame', lambda obj: None)
__suna_setup()
del __suna_setup
'''


class HtmlText(html.parser.HTMLParser):
    """HTML display data as plain text: tags dropped, block ends as line breaks, cells separated by tabs."""
    BLOCK = {'p', 'div', 'br', 'tr', 'li', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'table', 'pre'}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ('script', 'style'):
            self.skip += 1
        elif tag in ('td', 'th'):
            self.parts.append('\t')

    def handle_endtag(self, tag):
        if tag in ('script', 'style'):
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCK:
            self.parts.append('\n')

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)

    def text(self):
        return re.sub(r'\n\s*\n+', '\n', ''.join(self.parts)).strip()


def html_to_text(src):
    p = HtmlText()
    p.feed(src[:1024 * 1024])
    return p.text()[:MAX_DISPLAY_TEXT]


class StreamCap:
    """Head and tail of one output stream, with its full size."""

    def __init__(self, cap):
        self.half, self.head, self.tail, self.total = max(512, cap // 2), '', '', 0

    def push(self, text):
        self.total += len(text)
        room = self.half - len(self.head)
        if room > 0:
            self.head += text[:room]
            text = text[room:]
        if text:
            self.tail = (self.tail + text)[-self.half:]

    def out(self):
        return {'head': self.head, 'tail': self.tail, 'total': self.total}


def png_size(data):
    if data[:8] != b'\x89PNG\r\n\x1a\n' or data[12:16] != b'IHDR':
        return None
    return int.from_bytes(data[16:20], 'big'), int.from_bytes(data[20:24], 'big')


class Driver:
    def __init__(self):
        self.km = None
        self.kc = None
        self.control = queue.Queue()
        self.figures = 0
        self.run_images = 0

    # -- kernel life --------------------------------------------------------------------------------------------
    def start(self):
        self.km = KernelManager(kernel_name='suna-python3')
        self.km.start_kernel(cwd=os.environ.get('SUNA_KERNEL_CWD', '/workspace'))
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)
        self.kc.execute(SETUP, silent=True, store_history=False)
        self.wait_idle(self.kc.execute('', silent=True, store_history=False), 30)

    def stop(self):
        if self.kc:
            try:
                self.kc.stop_channels()
            except Exception:
                pass
        if self.km:
            try:
                self.km.shutdown_kernel(now=True)
            except Exception:
                pass
        self.km = self.kc = None

    def alive(self):
        try:
            return bool(self.km and self.km.is_alive())
        except Exception:
            return False

    def wait_idle(self, msg_id, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                msg = self.kc.get_iopub_msg(timeout=0.5)
            except queue.Empty:
                continue
            if msg['parent_header'].get('msg_id') == msg_id and msg['msg_type'] == 'status' and msg['content'].get('execution_state') == 'idle':
                return True
        return False

    # -- one run ------------------------------------------------------------------------------------------------
    def run(self, req):
        restart = None
        if self.km and not self.alive():
            restart = 'died'
            self.stop()
        if not self.km:
            self.start()
        cap = int(req.get('cap') or 30000)
        timeout = max(0.1, float(req.get('timeout') or 60))
        figdir = req.get('figdir')
        out, err = StreamCap(cap), StreamCap(cap)
        self.run_images = 0
        result, displays, error, count = None, [], None, None
        status = 'ok'
        msg_id = self.kc.execute(str(req.get('code', '')), store_history=True, allow_stdin=False, stop_on_error=False)
        deadline = time.monotonic() + timeout
        interrupted_at = None
        while True:
            try:
                ctl = self.control.get_nowait()
            except queue.Empty:
                ctl = None
            if ctl and ctl.get('op') == 'interrupt' and interrupted_at is None:
                status, interrupted_at = 'cancelled', time.monotonic()
                self.km.interrupt_kernel()
            if interrupted_at is None and time.monotonic() > deadline:
                status, interrupted_at = 'timeout', time.monotonic()
                self.km.interrupt_kernel()
            if interrupted_at is not None and time.monotonic() - interrupted_at > INTERRUPT_GRACE_S:
                restart = 'unresponsive'
                self.stop()
                break
            try:
                msg = self.kc.get_iopub_msg(timeout=0.05)
            except queue.Empty:
                if not self.alive():
                    restart = 'died'
                    status = 'died'
                    self.stop()
                    break
                continue
            if msg['parent_header'].get('msg_id') != msg_id:
                continue
            kind, content = msg['msg_type'], msg['content']
            if kind == 'status' and content.get('execution_state') == 'idle':
                break
            if kind == 'execute_input':
                count = content.get('execution_count')
            elif kind == 'stream':
                (err if content.get('name') == 'stderr' else out).push(str(content.get('text', '')))
            elif kind in ('execute_result', 'display_data'):
                shown = self.display(content.get('data') or {}, figdir)
                if kind == 'execute_result' and shown and shown.get('kind') == 'text':
                    result = shown['text']
                elif shown and len(displays) < MAX_IMAGES * 4:
                    displays.append(shown)
            elif kind == 'error':
                if status == 'ok':
                    status = 'error'
                error = {
                    'ename': str(content.get('ename', ''))[:200],
                    'evalue': str(content.get('evalue', ''))[:4000],
                    'traceback': ANSI.sub('', '\n'.join(map(str, content.get('traceback') or [])))[-8000:],
                }
        if status == 'error' and error and error['ename'] == 'KeyboardInterrupt' and interrupted_at is not None:
            error = None  # the interrupt we sent; the status already says why
        return {
            'status': status,
            'restart': restart,
            'executionCount': count if type(count) is int and count >= 0 else None,
            'stdout': out.out(),
            'stderr': err.out(),
            'result': result,
            'displays': displays,
            'error': error,
        }

    def display(self, data, figdir):
        png = data.get('image/png')
        if isinstance(png, str) and self.run_images < MAX_IMAGES:
            self.run_images += 1
            try:
                raw = base64.b64decode(png, validate=False)
            except Exception:
                raw = b''
            size = png_size(raw)
            if size and len(raw) <= MAX_IMAGE_BYTES and 0 < size[0] <= MAX_SIDE and 0 < size[1] <= MAX_SIDE:
                self.figures += 1
                path = None
                if figdir:
                    try:
                        os.makedirs(figdir, exist_ok=True)
                        path = os.path.join(figdir, 'figure-%d-%d.png' % (int(time.time() * 1000), self.figures))
                        with open(path, 'wb') as f:
                            f.write(raw)
                    except OSError:
                        path = None
                return {'kind': 'image', 'data': base64.b64encode(raw).decode(), 'width': size[0], 'height': size[1], 'path': path}
            return {'kind': 'text', 'text': '(an image output was left out: not a PNG of at most %d MB and %d px a side)' % (MAX_IMAGE_BYTES // 1048576, MAX_SIDE)}
        if isinstance(data.get('text/plain'), str) and not data.get('text/html'):
            return {'kind': 'text', 'text': data['text/plain'][:MAX_DISPLAY_TEXT]}
        if isinstance(data.get('text/html'), str):
            plain = data.get('text/plain')
            # A DataFrame-like object with a compact text form is better read as text than as its HTML.
            if isinstance(plain, str) and not plain.startswith('<'):
                return {'kind': 'text', 'text': plain[:MAX_DISPLAY_TEXT]}
            return {'kind': 'text', 'text': html_to_text(data['text/html'])}
        if isinstance(data.get('text/plain'), str):
            return {'kind': 'text', 'text': data['text/plain'][:MAX_DISPLAY_TEXT]}
        return None

    def reset(self):
        had = self.km is not None
        self.stop()
        return {'restarted': had}


def reader(driver, requests):
    for line in sys.stdin:
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if not isinstance(msg, dict):
            continue
        (driver.control if msg.get('op') == 'interrupt' else requests).put(msg)
    requests.put(None)


def main():
    driver = Driver()
    requests = queue.Queue()
    threading.Thread(target=reader, args=(driver, requests), daemon=True).start()
    while True:
        req = requests.get()
        if req is None:
            break
        while not driver.control.empty():  # an interrupt for a run that already finished
            driver.control.get_nowait()
        rid = req.get('id')
        try:
            if req.get('op') == 'run':
                answer = {'id': rid, 'ok': True, 'result': driver.run(req)}
            elif req.get('op') == 'reset':
                answer = {'id': rid, 'ok': True, 'result': driver.reset()}
            else:
                answer = {'id': rid, 'ok': False, 'error': 'unknown op'}
        except Exception as e:  # the kernel could not start, or jupyter_client failed: say so, keep serving
            driver.stop()
            answer = {'id': rid, 'ok': False, 'error': ('%s: %s' % (type(e).__name__, e))[:1000]}
        PROTOCOL_OUT.write(json.dumps(answer) + '\n')
    driver.stop()


main()
