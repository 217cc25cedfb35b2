// The sign-in page of a server run with --auth, and the top bar's "who is signed in" with
// sign-out. After signing in the person goes back to the page that asked (?next=).
import { useState, type FormEvent } from "react";
import { ProblemBox } from "../components/common";
import { ApiError, asApiError } from "../lib/api";
import { navigate, useLocation } from "../lib/router";
import { isAnonymous, safeNext, signIn, signOut, useSession } from "../lib/session";

export function SignIn() {
  const { query } = useLocation();
  const next = safeNext(query.get("next"));
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    try {
      await signIn(String(form.get("username") ?? ""), String(form.get("password") ?? ""));
      navigate(next, true);
    } catch (caught) {
      setError(asApiError(caught));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="page signin">
      <form className="card" onSubmit={submit} aria-label="Sign in">
        <h1>Sign in to Legato</h1>
        <ProblemBox error={error} />
        <div className="field"><label htmlFor="signin-user">Username</label><input id="signin-user" name="username" autoComplete="username" required autoFocus /></div>
        <div className="field"><label htmlFor="signin-password">Password</label><input id="signin-password" name="password" type="password" autoComplete="current-password" required /></div>
        <button className="primary" type="submit" disabled={busy}>{busy ? "Signing in…" : "Sign in"}</button>
        {next !== "/" ? <p className="muted small">You will go back to <code>{next}</code>.</p> : null}
      </form>
    </div>
  );
}

export function SessionBadge() {
  const me = useSession();
  const [error, setError] = useState<string | null>(null);
  if (!me || isAnonymous(me)) return null;
  const out = async () => {
    try {
      await signOut();
      navigate("/signin", true);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.detail : String(caught));
    }
  };
  return (
    <span className="session" data-testid="session">
      <span title={error ?? undefined}><strong>{me.username}</strong> <span className="chip">{me.role}</span></span>
      <button onClick={out}>Sign out</button>
    </span>
  );
}
