import { useCallback, useId, useState } from 'react';
import { AppLink } from '../components/AppLink';
import { channelLabel } from '../labels';
import { describeProblem, type SignedOutHandler } from './problems';
import { getQueue, isSignedOut, type Queue as QueueData, type QueueView, type Session } from './staffApi';
import { reasonLabel, slaBadge, staffPriorityLabel, waitingFor } from './staffLabels';
import { staffHref } from './staffRouting';
import { usePolling } from './usePolling';

const TITLES: Record<QueueView, string> = {
  waiting: 'Waiting for an answer',
  mine: 'Assigned to me',
  all: 'All tickets',
};

const TABS: ReadonlyArray<[QueueView, string]> = [
  ['waiting', 'Waiting'],
  ['mine', 'Mine'],
  ['all', 'All'],
];

interface QueueProps {
  view: QueueView;
  session: Session;
  pollIntervalMs: number;
  onSignedOut: SignedOutHandler;
}

export function Queue({ view, session, pollIntervalMs, onSignedOut }: QueueProps) {
  const idPrefix = useId();
  const [queue, setQueue] = useState<QueueData | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [now, setNow] = useState(() => Date.now());

  const load = useCallback(
    async (signal: AbortSignal) => {
      try {
        const next = await getQueue(view, signal);
        if (signal.aborted) return;
        setQueue(next);
        setNow(Date.now());
        setProblem(null);
      } catch (error) {
        if (signal.aborted) return;
        if (isSignedOut(error)) onSignedOut();
        else setProblem(describeProblem(error));
      }
    },
    [view, onSignedOut],
  );
  usePolling(load, pollIntervalMs, view);

  const headingId = `${idPrefix}-heading`;
  return (
    <section className="card" aria-labelledby={headingId}>
      <div className="ticket__header">
        <h1 id={headingId} className="card__title" tabIndex={-1} data-view-heading>
          {TITLES[view]}
        </h1>
        {queue !== null ? (
          <p className="queue__counts" data-testid="queue-counts">
            <span data-testid="count-waiting">
              <strong>{queue.counts.waiting}</strong> waiting
            </span>
            <span
              className={queue.counts.overdue > 0 ? 'badge badge--danger' : 'badge'}
              data-testid="count-overdue"
            >
              {queue.counts.overdue} overdue
            </span>
          </p>
        ) : null}
      </div>
      <nav className="tabs" aria-label="Queues">
        {TABS.map(([tab, label]) => (
          <AppLink
            key={tab}
            className="tabs__tab"
            href={staffHref({ view: 'queue', queue: tab })}
            aria-current={tab === view ? 'page' : undefined}
          >
            {label}
          </AppLink>
        ))}
      </nav>
      {problem !== null ? (
        <div className="alert alert--warning" role="alert">
          {problem} The queue will try again by itself.
        </div>
      ) : null}
      {queue === null ? (
        problem === null ? (
          <p role="status" className="muted">
            <span className="spinner spinner--dark" aria-hidden="true" /> Loading the queue…
          </p>
        ) : null
      ) : queue.tickets.length === 0 ? (
        <p className="muted queue__empty" data-testid="queue-empty">
          {view === 'mine' ? 'No tickets are assigned to you.' : 'No tickets here.'} New ones appear by themselves.
        </p>
      ) : (
        <div className="table-scroll" role="region" aria-label="Ticket list" tabIndex={0}>
          <table className="queue">
            <caption className="visually-hidden">
              {TITLES[view]}, longest wait first. Updates by itself every few seconds.
            </caption>
            <thead>
              <tr>
                <th scope="col">Ticket</th>
                <th scope="col">Customer</th>
                <th scope="col">Priority</th>
                <th scope="col">Channel</th>
                <th scope="col">Reason</th>
                <th scope="col">Waiting</th>
                <th scope="col">Assignee</th>
                <th scope="col">SLA</th>
              </tr>
            </thead>
            <tbody>
              {queue.tickets.map((item) => {
                const sla = slaBadge(item.sla, now);
                const mine = item.assigned_to?.id === session.staff.id;
                return (
                  <tr key={item.ticket_number} data-testid="queue-row" data-ticket={item.ticket_number}>
                    <th scope="row">
                      <AppLink className="queue__link" href={staffHref({ view: 'ticket', ticket: item.ticket_number })}>
                        <span className="ticket-number">{item.ticket_number}</span>{' '}
                        <span className="queue__subject">{item.subject || '(no subject)'}</span>
                      </AppLink>
                    </th>
                    <td>{item.customer.name || item.customer.email || item.customer.phone || '—'}</td>
                    <td>
                      <span className={`priority priority--${item.priority}`}>{staffPriorityLabel(item.priority)}</span>
                    </td>
                    <td>{channelLabel(item.channel)}</td>
                    <td>{reasonLabel(item.escalation_reason)}</td>
                    <td>
                      <time dateTime={item.waiting_since}>{waitingFor(item.waiting_since, now)}</time>
                    </td>
                    <td>{item.assigned_to ? (mine ? 'Me' : item.assigned_to.name) : <span className="muted">Nobody</span>}</td>
                    <td>
                      <span className={`badge badge--${sla.tone}`} data-testid="sla-badge" data-overdue={item.sla.overdue}>
                        {sla.text}
                      </span>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
