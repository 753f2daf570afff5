import { useCallback, useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { ApiError } from '../api';
import { AppLink } from '../components/AppLink';
import { ConversationThread, type ThreadMessage } from '../components/ConversationThread';
import { channelLabel } from '../labels';
import { sortMessages } from '../ticketLogic';
import { describeProblem, type SignedOutHandler } from './problems';
import {
  addNote,
  assignTicket,
  getTeam,
  getTicketDetail,
  isSignedOut,
  reopenTicket,
  resolveTicket,
  sendAnswer,
  type HistoryMessage,
  type QueueItem,
  type Session,
  type StaffMember,
  type TicketDetail,
} from './staffApi';
import { reasonLabel, slaBadge, staffPriorityLabel, staffStatusLabel, waitingFor } from './staffLabels';
import { staffHref } from './staffRouting';
import { NotesAndActivity } from './NotesAndActivity';
import { TextForm } from './TextForm';
import { usePolling } from './usePolling';

/** Where an answer goes, by the ticket's channel. */
function deliveryHint(channel: string): string {
  if (channel === 'email') return 'Sent by email, in the customer’s thread.';
  if (channel === 'whatsapp') return 'Sent on WhatsApp, split into parts if long.';
  return 'Shown on the customer’s ticket page.';
}

interface PendingAnswer {
  localId: string;
  content: string;
  createdAt: string;
  /** Shown until the server lists this many staff messages. */
  untilStaffCount: number;
}

/** A fresh Idempotency-Key for an answer. */
function newIdempotencyKey(): string {
  return typeof crypto.randomUUID === 'function'
    ? crypto.randomUUID()
    : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

const staffCount = (history: readonly HistoryMessage[]) => history.filter((m) => m.role === 'staff').length;

interface TicketViewProps {
  ticketNumber: string;
  session: Session;
  pollIntervalMs: number;
  onSignedOut: SignedOutHandler;
}

export function TicketView({ ticketNumber, session, pollIntervalMs, onSignedOut }: TicketViewProps) {
  const idPrefix = useId();
  const [detail, setDetail] = useState<TicketDetail | null>(null);
  const [phase, setPhase] = useState<'loading' | 'ready' | 'not-found'>('loading');
  const [problem, setProblem] = useState<string | null>(null);
  const [actionProblem, setActionProblem] = useState<string | null>(null);
  const [busyAction, setBusyAction] = useState<string | null>(null);
  const [team, setTeam] = useState<StaffMember[]>([]);
  const [assignee, setAssignee] = useState<string | null>(null);
  const [pending, setPending] = useState<PendingAnswer[]>([]);
  const [announcement, setAnnouncement] = useState('');
  const [now, setNow] = useState(() => Date.now());
  const pendingRef = useRef<PendingAnswer[]>([]);
  const detailRef = useRef<TicketDetail | null>(null);
  const answerKey = useRef<{ text: string; key: string } | null>(null);

  const updatePending = (next: PendingAnswer[]) => {
    pendingRef.current = next;
    setPending(next);
  };

  const load = useCallback(
    async (signal: AbortSignal) => {
      try {
        const next = await getTicketDetail(ticketNumber, signal);
        if (signal.aborted) return;
        const previous = detailRef.current;
        const known = new Set(previous?.history.map((m) => m.id));
        const fromCustomer = next.history.filter((m) => m.role === 'customer' && !known.has(m.id)).length;
        if (previous !== null && fromCustomer > 0) {
          setAnnouncement(fromCustomer === 1 ? 'New message from the customer.' : `${fromCustomer} new messages from the customer.`);
        }
        detailRef.current = next;
        const count = staffCount(next.history);
        const stillPending = pendingRef.current.filter((answer) => count < answer.untilStaffCount);
        pendingRef.current = stillPending;
        setPending(stillPending);
        setDetail(next);
        setNow(Date.now());
        setPhase('ready');
        setProblem(null);
      } catch (error) {
        if (signal.aborted) return;
        if (isSignedOut(error)) onSignedOut();
        else if (error instanceof ApiError && error.status === 404) setPhase('not-found');
        else setProblem(describeProblem(error));
      }
    },
    [ticketNumber, onSignedOut],
  );
  const refresh = usePolling(load, pollIntervalMs, ticketNumber);

  useEffect(() => {
    const controller = new AbortController();
    getTeam(controller.signal).then(
      (members) => setTeam(members),
      (error: unknown) => {
        if (!controller.signal.aborted && isSignedOut(error)) onSignedOut();
      },
    );
    return () => controller.abort();
  }, [onSignedOut]);

  const ticket = detail?.ticket ?? null;
  const currentAssignee = ticket?.assigned_to?.id ?? '';
  useEffect(() => setAssignee(null), [currentAssignee]);

  /** Runs an action that answers with the ticket, then reloads everything (log, notes). */
  const act = async (name: string, run: () => Promise<QueueItem>, done: string) => {
    if (busyAction !== null) return;
    setBusyAction(name);
    setActionProblem(null);
    try {
      const updated = await run();
      setDetail((current) => (current ? { ...current, ticket: updated } : current));
      setAnnouncement(done);
      refresh();
    } catch (error) {
      if (isSignedOut(error)) onSignedOut();
      else setActionProblem(describeProblem(error));
    } finally {
      setBusyAction(null);
    }
  };

  const headingId = `${idPrefix}-heading`;
  const backLink = (
    <AppLink className="back-link" href={staffHref({ view: 'queue', queue: 'waiting' })}>
      <span aria-hidden="true">← </span>Back to the queue
    </AppLink>
  );

  // One heading element whatever the phase, so focus moved to it stays there once the ticket loads.
  const frame = (header: ReactNode, body: ReactNode) => (
    <section className="card" aria-labelledby={headingId}>
      <p className="visually-hidden" aria-live="polite" data-testid="announcer">
        {announcement}
      </p>
      {backLink}
      <div className="ticket__header">
        <h1 id={headingId} className="card__title" tabIndex={-1} data-view-heading>
          Ticket {ticket?.ticket_number ?? ticketNumber}
        </h1>
        {header}
      </div>
      {body}
    </section>
  );

  if (phase !== 'ready' || detail === null || ticket === null) {
    return frame(
      null,
      phase === 'not-found' ? (
        <div className="alert alert--error" role="alert">
          There is no ticket {ticketNumber}, or you may not open it.
        </div>
      ) : problem !== null ? (
        <div className="alert alert--warning" role="alert">
          {problem} Trying again…
        </div>
      ) : (
        <p role="status" className="muted">
          <span className="spinner spinner--dark" aria-hidden="true" /> Loading the ticket…
        </p>
      ),
    );
  }

  const thread: ThreadMessage[] = [
    ...sortMessages(detail.history),
    ...pending.map((answer) => ({
      id: answer.localId,
      role: 'staff' as const,
      channel: ticket.channel,
      content: answer.content,
      created_at: answer.createdAt,
      delivery_status: null,
      author: { name: session.staff.name },
      pending: true,
    })),
  ];
  const sla = slaBadge(ticket.sla, now);
  const resolved = ticket.status === 'resolved';
  const selected = assignee ?? currentAssignee;
  const colleagues = team.filter((member) => member.id !== session.staff.id);
  const sectionId = (name: string) => `${idPrefix}-${name}`;

  const submitAnswer = async (text: string) => {
    const untilStaffCount = staffCount(detailRef.current?.history ?? []) + pendingRef.current.length + 1;
    // The same text sent again after a failure keeps its key: the server sends it once.
    if (answerKey.current?.text !== text) answerKey.current = { text, key: newIdempotencyKey() };
    await sendAnswer(ticket.ticket_number, text, session.csrfToken, answerKey.current.key);
    answerKey.current = null;
    updatePending([
      ...pendingRef.current,
      { localId: `local-${Date.now()}-${pendingRef.current.length}`, content: text, createdAt: new Date().toISOString(), untilStaffCount },
    ]);
    setAnnouncement(`Answer sent to ${detail.ticket.customer.name || 'the customer'}.`);
    refresh();
  };

  const submitNote = async (text: string, isPrivate: boolean) => {
    await addNote(ticket.ticket_number, text, isPrivate, session.csrfToken);
    setAnnouncement(isPrivate ? 'Private note added.' : 'Note added.');
    refresh();
  };

  return frame(
    <>
      <span className={`badge badge--${resolved ? 'success' : 'attention'}`} data-testid="ticket-status" data-status={ticket.status}>
        {staffStatusLabel(ticket.status)}
      </span>
      <span className={`badge badge--${sla.tone}`} data-testid="sla-badge">
        {sla.text}
      </span>
    </>,
    <>
      <p className="ticket__subject">{ticket.subject || '(no subject)'}</p>

      <dl className="ticket__meta">
        <div>
          <dt>Customer</dt>
          <dd>
            {ticket.customer.name || '—'}
            {ticket.customer.email ? <span className="ticket__contact">{ticket.customer.email}</span> : null}
            {ticket.customer.phone ? <span className="ticket__contact">{ticket.customer.phone}</span> : null}
          </dd>
        </div>
        <div>
          <dt>Channel</dt>
          <dd>{channelLabel(ticket.channel)}</dd>
        </div>
        <div>
          <dt>Priority</dt>
          <dd>{staffPriorityLabel(ticket.priority)}</dd>
        </div>
        <div>
          <dt>Waiting</dt>
          <dd>
            <time dateTime={ticket.waiting_since}>{waitingFor(ticket.waiting_since, now)}</time>
          </dd>
        </div>
        <div>
          <dt>Assigned to</dt>
          <dd data-testid="assignee">{ticket.assigned_to ? ticket.assigned_to.name : 'Nobody'}</dd>
        </div>
        {resolved || detail.ratings.length > 0 ? (
          <div>
            <dt>Customer’s rating</dt>
            <dd data-testid="ratings">
              {detail.ratings.length === 0
                ? 'Not rated yet'
                : detail.ratings.map((given) => `${given.score} of 5 (${channelLabel(given.channel)})`).join(', ')}
            </dd>
          </div>
        ) : null}
      </dl>

      {ticket.escalation_reason ? (
        <p className="handover" data-testid="handover-reason">
          <strong>Handed over by the AI agent:</strong> {reasonLabel(ticket.escalation_reason)}
          <span className="muted"> ({ticket.escalation_reason})</span>
        </p>
      ) : null}

      <div className="ticket__actions" role="group" aria-label="Ticket actions">
        <form
          className="assign"
          onSubmit={(event) => {
            event.preventDefault();
            void act('assign', () => assignTicket(ticket.ticket_number, selected === '' ? null : selected, session.csrfToken), 'Assignment saved.');
          }}
        >
          <label className="field__label" htmlFor={`${idPrefix}-assignee`}>
            Assign to
          </label>
          <select id={`${idPrefix}-assignee`} value={selected} onChange={(event) => setAssignee(event.target.value)}>
            <option value="">Nobody</option>
            <option value={session.staff.id}>Me ({session.staff.name})</option>
            {colleagues.map((member) => (
              <option key={member.id} value={member.id}>
                {member.name}
              </option>
            ))}
          </select>
          <button type="submit" className="button button--ghost button--small" disabled={busyAction !== null}>
            Assign
          </button>
        </form>
        {ticket.assigned_to?.id !== session.staff.id ? (
          <button
            type="button"
            className="button button--ghost button--small"
            disabled={busyAction !== null}
            onClick={() => void act('assign', () => assignTicket(ticket.ticket_number, session.staff.id, session.csrfToken), 'Assigned to you.')}
          >
            Assign to me
          </button>
        ) : null}
        {resolved ? (
          <button
            type="button"
            className="button button--ghost button--small"
            disabled={busyAction !== null}
            onClick={() => void act('reopen', () => reopenTicket(ticket.ticket_number, session.csrfToken), 'Ticket reopened.')}
          >
            Reopen
          </button>
        ) : (
          <button
            type="button"
            className="button button--primary button--small"
            disabled={busyAction !== null}
            onClick={() => void act('resolve', () => resolveTicket(ticket.ticket_number, session.csrfToken), 'Ticket resolved.')}
          >
            Resolve
          </button>
        )}
      </div>
      {actionProblem !== null ? (
        <div className="alert alert--error" role="alert">
          {actionProblem}
        </div>
      ) : null}
      {problem !== null ? (
        <div className="alert alert--warning" role="alert">
          {problem} Trying again…
        </div>
      ) : null}

      <div className="ticket__layout">
        <div className="ticket__main">
          <h2 className="section-title" id={sectionId('thread')}>
            Conversation, every channel
          </h2>
          <ConversationThread
            messages={thread}
            labelledBy={sectionId('thread')}
            perspective="staff"
            customerName={ticket.customer.name}
          />

          <TextForm
            className="followup"
            testId="answer-form"
            label="Answer the customer"
            hint={`${deliveryHint(ticket.channel)} Ctrl+Enter sends.`}
            submitLabel="Send answer"
            busyLabel="Sending…"
            emptyMessage="Write the answer first."
            onSubmit={submitAnswer}
            onSignedOut={onSignedOut}
          />
        </div>
        <div className="ticket__side">
          <NotesAndActivity
            notes={detail.notes}
            actions={detail.actions}
            nameOf={(id) => team.find((member) => member.id === id)?.name}
            idPrefix={idPrefix}
            onAddNote={submitNote}
            onSignedOut={onSignedOut}
          />
        </div>
      </div>
    </>,
  );
}
