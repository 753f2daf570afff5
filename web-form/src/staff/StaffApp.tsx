import { useCallback, useEffect, useRef, useState } from 'react';
import { AppLink } from '../components/AppLink';
import { COMPANY_NAME } from '../labels';
import { Queue } from './Queue';
import { SESSION_ENDED_MESSAGE, SignIn } from './SignIn';
import { describeProblem } from './problems';
import { currentSession, isSignedOut, signOut, type Session } from './staffApi';
import { staffHref, useStaffRoute } from './staffRouting';
import { TicketView } from './TicketView';

/** The queue and the open ticket refresh this often while the page is visible. */
export const POLL_INTERVAL_MS = 5000;

type SessionState =
  | { phase: 'checking' }
  | { phase: 'unreachable'; problem: string }
  | { phase: 'signed-out'; notice: string | null }
  | { phase: 'signed-in'; session: Session };

export interface StaffAppProps {
  pollIntervalMs?: number;
}

/** The support inbox: sign-in, then the queue and tickets, until sign-out or the session ends. */
export function StaffApp({ pollIntervalMs = POLL_INTERVAL_MS }: StaffAppProps) {
  const route = useStaffRoute();
  const [state, setState] = useState<SessionState>({ phase: 'checking' });
  const [signOutProblem, setSignOutProblem] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  const rootRef = useRef<HTMLDivElement>(null);
  const previousKey = useRef<string | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    currentSession(controller.signal).then(
      (session) => setState({ phase: 'signed-in', session }),
      (error: unknown) => {
        if (controller.signal.aborted) return;
        if (isSignedOut(error)) setState({ phase: 'signed-out', notice: null });
        else setState({ phase: 'unreachable', problem: describeProblem(error) });
      },
    );
    return () => controller.abort();
  }, [attempt]);

  /** Any 401: the session expired or was ended elsewhere. */
  const sessionEnded = useCallback(() => setState({ phase: 'signed-out', notice: SESSION_ENDED_MESSAGE }), []);

  const handleSignOut = async (session: Session) => {
    setSignOutProblem(null);
    try {
      await signOut(session.csrfToken);
    } catch (error) {
      if (!isSignedOut(error)) {
        setSignOutProblem(`You are still signed in: ${describeProblem(error)}`);
        return;
      }
    }
    setState({ phase: 'signed-out', notice: 'You are signed out.' });
  };

  const viewKey =
    state.phase !== 'signed-in' ? state.phase : route.view === 'ticket' ? `ticket:${route.ticket}` : `queue:${route.queue}`;
  // After sign-in, sign-out or navigating, focus moves to the new view's heading; not on loading
  // the page (the first view after the session check), where it starts at the top as usual.
  useEffect(() => {
    const previous = previousKey.current;
    previousKey.current = viewKey;
    if (previous === null || previous === 'checking') return;
    rootRef.current?.querySelector<HTMLElement>('[data-view-heading]')?.focus();
  }, [viewKey]);

  let view;
  if (state.phase === 'checking') {
    view = (
      <p role="status" className="muted">
        <span className="spinner spinner--dark" aria-hidden="true" /> Opening the inbox…
      </p>
    );
  } else if (state.phase === 'unreachable') {
    view = (
      <section className="card" aria-labelledby="staff-unreachable">
        <h1 id="staff-unreachable" className="card__title" tabIndex={-1} data-view-heading>
          Support inbox
        </h1>
        <div className="alert alert--error" role="alert">
          {state.problem}
        </div>
        <p className="card__actions">
          <button type="button" className="button button--primary" onClick={() => setAttempt((n) => n + 1)}>
            Try again
          </button>
        </p>
      </section>
    );
  } else if (state.phase === 'signed-out') {
    view = <SignIn notice={state.notice} onSignedIn={(session) => setState({ phase: 'signed-in', session })} />;
  } else if (route.view === 'ticket') {
    view = (
      <TicketView
        key={route.ticket}
        ticketNumber={route.ticket}
        session={state.session}
        pollIntervalMs={pollIntervalMs}
        onSignedOut={sessionEnded}
      />
    );
  } else {
    view = <Queue view={route.queue} session={state.session} pollIntervalMs={pollIntervalMs} onSignedOut={sessionEnded} />;
  }

  return (
    <div className="fte fte--wide" ref={rootRef}>
      <header className="fte__header">
        <AppLink className="fte__brand" href={staffHref({ view: 'queue', queue: 'waiting' })}>
          <span className="fte__logo" aria-hidden="true">
            N
          </span>
          <span>
            {COMPANY_NAME} <span className="fte__brand-sub">Support inbox</span>
          </span>
        </AppLink>
        {state.phase === 'signed-in' ? (
          <div className="staff-bar">
            <span className="muted" data-testid="signed-in-as">
              Signed in as <strong>{state.session.staff.name || state.session.staff.email}</strong>
            </span>
            <button type="button" className="button button--ghost button--small" onClick={() => void handleSignOut(state.session)}>
              Sign out
            </button>
          </div>
        ) : null}
      </header>
      {signOutProblem !== null && state.phase === 'signed-in' ? (
        <div className="alert alert--error" role="alert">
          {signOutProblem}
        </div>
      ) : null}
      <main className="fte__body">{view}</main>
    </div>
  );
}
