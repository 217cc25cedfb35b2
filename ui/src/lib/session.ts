// Who is signed in: GET /auth/me once per page load, shared by every component; sign in and
// out; whether the role may do an action. A server without --auth answers as the anonymous
// admin, so nothing is hidden there.
import { useEffect, useState } from "react";
import { api, ApiError } from "./api";

export type Role = "viewer" | "operator" | "admin";

export interface Me {
  username: string;
  role: Role;
}

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };
const ANONYMOUS = "anonymous";

let current: Me | null = null;
let pending: Promise<Me | null> | null = null;
const listeners = new Set<(me: Me | null) => void>();

function publish(me: Me | null): void {
  current = me;
  listeners.forEach((listener) => listener(me));
}

/** Ask the server who the browser's credentials belong to (null: not signed in). */
export function loadSession(force = false): Promise<Me | null> {
  if (pending && !force) return pending;
  pending = api.get<Me>("/auth/me", undefined).then(
    (me) => {
      publish(me);
      return me;
    },
    (error: unknown) => {
      if (error instanceof ApiError && error.status === 401) {
        publish(null);
        return null;
      }
      pending = null;
      throw error;
    },
  );
  return pending;
}

export function useSession(): Me | null {
  const [me, setMe] = useState<Me | null>(current);
  useEffect(() => {
    listeners.add(setMe);
    loadSession().catch(() => undefined);
    return () => {
      listeners.delete(setMe);
    };
  }, []);
  return me;
}

/** Whether `me` has at least `role`; unknown (still loading) counts as allowed, the API
 * refuses what the role may not do anyway. */
export function allows(me: Me | null, role: Role): boolean {
  return me === null || RANK[me.role] >= RANK[role];
}

export function useCan(role: Role = "operator"): boolean {
  return allows(useSession(), role);
}

/** Why a button is disabled, for its title. */
export function roleNote(me: Me | null, role: Role = "operator"): string | undefined {
  return allows(me, role) ? undefined : `Your role (${me?.role}) cannot do this; it needs ${role}.`;
}

export function isAnonymous(me: Me | null): boolean {
  return me?.username === ANONYMOUS;
}

export async function signIn(username: string, password: string): Promise<Me> {
  const me = await api.post<Me>("/auth/login", { username, password });
  pending = Promise.resolve(me);
  publish(me);
  return me;
}

export async function signOut(): Promise<void> {
  await api.post("/auth/logout");
  pending = Promise.resolve(null);
  publish(null);
}

/** Where to go after signing in: only a path of this site, never another origin. */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\") || next.startsWith("/signin")) return "/";
  return next;
}
