// In-memory storage for oidc-provider without the built-in adapter's 1000-entry LRU limit
// (load tests issue far more tokens than that). One Store per profile, shared by every Provider
// instance of that profile, so tokens survive a key rotation (which builds new Providers).
// Expired entries are dropped lazily on lookup and by a periodic sweep.

const kSweepMs = 30_000;
// oidc-provider checks `exp` itself; keeping entries a little past it lets an expired device
// code still be found and answered with expired_token instead of "not found".
const kGraceSeconds = 120;

export class Store {
  constructor() {
    this.entries_ = new Map(); // `${model}:${id}` -> { payload, expiresAt }
    this.userCodes_ = new Map(); // userCode -> key
    this.uids_ = new Map(); // uid -> key
    this.grants_ = new Map(); // grantId -> Set(key)
    this.timer_ = setInterval(() => this.sweep(), kSweepMs);
    this.timer_.unref();
  }

  get(key) {
    const entry = this.entries_.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt && entry.expiresAt <= Date.now()) {
      this.delete(key);
      return undefined;
    }
    return entry.payload;
  }

  set(key, payload, expiresIn) {
    const expiresAt = expiresIn ? Date.now() + (Math.max(expiresIn, 0) + kGraceSeconds) * 1000 : 0;
    this.entries_.set(key, { payload, expiresAt });
    if (payload.userCode) this.userCodes_.set(payload.userCode, key);
    if (payload.uid) this.uids_.set(payload.uid, key);
    if (payload.grantId) {
      if (!this.grants_.has(payload.grantId)) this.grants_.set(payload.grantId, new Set());
      this.grants_.get(payload.grantId).add(key);
    }
  }

  delete(key) {
    const entry = this.entries_.get(key);
    if (!entry) return;
    this.entries_.delete(key);
    const { payload } = entry;
    if (payload.userCode && this.userCodes_.get(payload.userCode) === key) {
      this.userCodes_.delete(payload.userCode);
    }
    if (payload.uid && this.uids_.get(payload.uid) === key) this.uids_.delete(payload.uid);
    if (payload.grantId) {
      const set = this.grants_.get(payload.grantId);
      if (set) {
        set.delete(key);
        if (set.size === 0) this.grants_.delete(payload.grantId);
      }
    }
  }

  revokeGrant(grantId) {
    const set = this.grants_.get(grantId);
    if (!set) return;
    for (const key of [...set]) this.delete(key);
  }

  sweep() {
    const now = Date.now();
    for (const [key, entry] of this.entries_) {
      if (entry.expiresAt && entry.expiresAt <= now) this.delete(key);
    }
  }

  size() {
    return this.entries_.size;
  }

  // The class oidc-provider instantiates once per model name.
  adapterClass() {
    const store = this;
    return class MemoryAdapter {
      constructor(model) {
        this.model = model;
      }

      key(id) {
        return `${this.model}:${id}`;
      }

      async upsert(id, payload, expiresIn) {
        store.set(this.key(id), { ...payload }, expiresIn);
      }

      async find(id) {
        const payload = store.get(this.key(id));
        return payload ? { ...payload } : undefined;
      }

      async findByUserCode(userCode) {
        const key = store.userCodes_.get(userCode);
        const payload = key ? store.get(key) : undefined;
        return payload ? { ...payload } : undefined;
      }

      async findByUid(uid) {
        const key = store.uids_.get(uid);
        const payload = key ? store.get(key) : undefined;
        return payload ? { ...payload } : undefined;
      }

      async consume(id) {
        const payload = store.get(this.key(id));
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      }

      async destroy(id) {
        store.delete(this.key(id));
      }

      async revokeByGrantId(grantId) {
        store.revokeGrant(grantId);
      }
    };
  }
}
