// The user directory shared by every profile. Users are found by their current username
// (renames change it) and by their stable subject (which never changes).
import { readFileSync } from 'node:fs';
import { createHash, timingSafeEqual } from 'node:crypto';

function digest(s) {
  return createHash('sha256').update(String(s), 'utf8').digest();
}

export function secretEquals(a, b) {
  return timingSafeEqual(digest(a), digest(b));
}

export class Directory {
  constructor(file) {
    const parsed = JSON.parse(readFileSync(file, 'utf8'));
    this.users_ = parsed.users.map((u) => ({ groups: [], ...u, groups: [...(u.groups || [])] }));
  }

  all() {
    return this.users_;
  }

  byName(username) {
    return this.users_.find((u) => u.username === username);
  }

  // `subjectKey` is 'sub' (default, keycloak) or 'logto_id' (logto).
  bySubject(subjectKey, id) {
    return this.users_.find((u) => u[subjectKey] === id);
  }

  // Checks username + password (+ second factor). Returns { user } or { error, description }
  // with an OAuth error code. Unknown users, wrong passwords and disabled users look alike,
  // as they do on real servers.
  authenticate(username, password, totp) {
    const user = this.byName(username);
    if (!user || !secretEquals(password, user.password) || user.disabled) {
      return { error: 'invalid_grant', description: 'Invalid user credentials' };
    }
    if (user.totp) {
      if (totp === undefined || totp === '') {
        return { error: 'interaction_required', description: 'second factor required' };
      }
      if (!secretEquals(totp, user.totp)) {
        return { error: 'invalid_grant', description: 'Invalid user credentials' };
      }
    }
    return { user };
  }

  rename(username, newName) {
    const user = this.byName(username);
    if (!user) return false;
    user.username = newName;
    return true;
  }

  setGroups(username, groups) {
    const user = this.byName(username);
    if (!user) return false;
    user.groups = [...groups];
    return true;
  }

  setDisabled(username, disabled) {
    const user = this.byName(username);
    if (!user) return false;
    user.disabled = !!disabled;
    return true;
  }
}

// The claims a profile publishes for a user, in that IdP's shape.
export function userClaims(shape, user) {
  const base = {
    name: user.name,
    email: user.email,
    email_verified: user.email_verified === true,
  };
  if (user.uid !== undefined) base.uid = user.uid;
  switch (shape) {
    case 'keycloak':
      return {
        sub: user.sub,
        preferred_username: user.username,
        ...base,
        realm_access: { roles: [...user.groups] },
      };
    case 'logto':
      // Logto names the login `username` and publishes roles in `roles` (scope `roles`).
      return { sub: user.logto_id, username: user.username, ...base, roles: [...user.groups] };
    default:
      return { sub: user.sub, preferred_username: user.username, ...base, groups: [...user.groups] };
  }
}
