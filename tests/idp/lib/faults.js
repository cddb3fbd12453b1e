// Fault injection and request counters. A fault matches an endpoint kind (token, jwks,
// discovery, introspection, userinfo, device, revocation, management, other or `*`), optionally
// one profile, and applies to the next `count` requests (0 = until cleared).

const kKinds = new Set(['delay', 'status', 'garbage', 'drop', 'trickle', 'huge', 'redirect']);
const kPaths = new Set([
  'token', 'jwks', 'discovery', 'introspection', 'userinfo', 'device', 'revocation',
  'management', 'other', '*',
]);
const kMaxDelayMs = 300_000;
const kMaxHugeBytes = 2 * 1024 * 1024 * 1024;

function bounded(value, fallback, min, max) {
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new Error(`value ${value} out of range`);
  return Math.floor(n);
}

export class Faults {
  constructor() {
    this.list_ = [];
  }

  // Validates and adds a fault; throws with a message on a bad spec.
  add(spec) {
    if (!kKinds.has(spec.kind)) throw new Error(`unknown fault kind ${spec.kind}`);
    const path = spec.path ?? '*';
    if (!kPaths.has(path)) throw new Error(`unknown fault path ${path}`);
    const fault = {
      path,
      kind: spec.kind,
      profile: spec.profile,
      ms: bounded(spec.ms, spec.kind === 'trickle' ? 1000 : 2000, 0, kMaxDelayMs),
      status: bounded(spec.status, 500, 100, 599),
      count: bounded(spec.count, 0, 0, 1e9),
      bytes: bounded(spec.bytes, spec.kind === 'trickle' ? 60 : 100 * 1024 * 1024, 0, kMaxHugeBytes),
      body: spec.body,
      location: spec.location,
    };
    fault.remaining = fault.count;
    this.list_.push(fault);
    return fault;
  }

  clear() {
    this.list_ = [];
  }

  list() {
    return this.list_.map(({ body, ...f }) => ({ ...f, body })); // eslint-disable-line no-unused-vars
  }

  // The fault to apply to this request, if any (consumes one use of it).
  take(profileName, kind) {
    const i = this.list_.findIndex((f) => (f.path === '*' || f.path === kind)
      && (f.profile === undefined || f.profile === profileName));
    if (i < 0) return undefined;
    const fault = this.list_[i];
    if (fault.count > 0) {
      fault.remaining -= 1;
      if (fault.remaining <= 0) this.list_.splice(i, 1);
    }
    return fault;
  }
}

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

function trickle(res, fault) {
  res.writeHead(200, { 'content-type': 'application/json' });
  let sent = 0;
  const timer = setInterval(() => {
    if (res.destroyed || sent >= fault.bytes) {
      clearInterval(timer);
      if (!res.destroyed) res.end('{}');
      return;
    }
    res.write(' '); // whitespace: still a valid JSON prefix, never a complete document
    sent += 1;
  }, Math.max(fault.ms, 1));
  res.on('close', () => clearInterval(timer));
}

function huge(res, fault) {
  res.writeHead(200, { 'content-type': 'application/json' });
  const chunk = Buffer.alloc(64 * 1024, 'A');
  let left = fault.bytes;
  res.write('{"pad":"');
  const pump = () => {
    while (left > 0 && !res.destroyed) {
      const n = Math.min(left, chunk.length);
      left -= n;
      if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
        res.once('drain', pump);
        return;
      }
    }
    if (!res.destroyed) res.end('"}');
  };
  pump();
}

// Applies `fault` to the request. Returns true when the response has been taken over (the
// request must not reach the provider), false when it should continue (delay).
export async function applyFault(fault, req, res, redirectBase) {
  switch (fault.kind) {
    case 'delay':
      await sleep(fault.ms);
      return false;
    case 'status': {
      const body = fault.body === undefined ? { error: 'server_error' } : fault.body;
      res.writeHead(fault.status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
      return true;
    }
    case 'garbage':
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(Buffer.concat([Buffer.from('<html>{"oops": \x00'), Buffer.from([0xff, 0xfe, 0x80]), Buffer.from('not json')]));
      return true;
    case 'drop':
      req.socket.destroy();
      return true;
    case 'trickle':
      trickle(res, fault);
      return true;
    case 'huge':
      huge(res, fault);
      return true;
    case 'redirect':
      res.writeHead(302, { location: fault.location || `${redirectBase}${req.url}` });
      res.end();
      return true;
    default:
      return false;
  }
}

export class Stats {
  constructor() {
    this.counts_ = new Map();
  }

  hit(name) {
    this.counts_.set(name, (this.counts_.get(name) || 0) + 1);
  }

  snapshot() {
    return Object.fromEntries(this.counts_);
  }

  reset() {
    this.counts_.clear();
  }
}
