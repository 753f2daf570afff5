import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from 'react';
import {
  ApiError,
  DEFAULT_API_BASE,
  GENERIC_ERROR_MESSAGE,
  NETWORK_ERROR_MESSAGE,
  NetworkError,
  getTicket,
  postFollowUp,
  type RatingChannel,
  type Ticket,
} from '../api';
import { categoryLabel, formatDateTime, priorityLabel, statusInfo } from '../labels';
import { hrefFor } from '../routing';
import {
  makePendingReply,
  newAgentMessages,
  reconcilePending,
  shouldKeepPolling,
  sortMessages,
  type PendingReply,
} from '../ticketLogic';
import { useValidatedForm } from '../useValidatedForm';
import { FOLLOW_UP_FIELDS, followUpRules, initialValues } from '../validation';
import { AppLink } from './AppLink';
import { ConversationThread, type ThreadMessage } from './ConversationThread';
import { FormField } from './FormField';
import { RatingControl } from './RatingControl';
import { SubmitButton } from './SubmitButton';

export const NOT_FOUND_MESSAGE =
  "We couldn't find that ticket. Check the number and the link you were given.";

/** Consecutive failed refreshes after which polling pauses until the customer asks again. */
const MAX_CONSECUTIVE_FAILURES = 5;

function isNotFound(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 404 || error.status === 401 || error.status === 403);
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

function describeError(error: unknown): string {
  if (error instanceof NetworkError) return NETWORK_ERROR_MESSAGE;
  if (isNotFound(error)) return NOT_FOUND_MESSAGE;
  if (error instanceof ApiError) return error.detail;
  return GENERIC_ERROR_MESSAGE;
}

function announcementFor(previous: Ticket, next: Ticket): string {
  const parts: string[] = [];
  const replies = newAgentMessages(previous, next).length;
  if (replies === 1) parts.push('New reply from Northwind Cloud Support.');
  else if (replies > 1) parts.push(`${replies} new replies from Northwind Cloud Support.`);
  if (previous.status !== next.status) parts.push(`Ticket status: ${statusInfo(next.status).label}.`);
  return parts.join(' ');
}

type Phase = 'loading' | 'ready' | 'not-found' | 'error';

export interface StatusCheckerProps {
  ticketNumber: string;
  token: string;
  apiBase?: string;
  /** Time between refreshes while a reply is awaited. */
  pollIntervalMs?: number;
  /** Where a rating given here comes from: this page, or our email's rating link. */
  ratingChannel?: RatingChannel;
}

export function StatusChecker({
  ticketNumber,
  token,
  apiBase = DEFAULT_API_BASE,
  pollIntervalMs = 3000,
  ratingChannel = 'web_form',
}: StatusCheckerProps) {
  const idPrefix = useId();
  const [ticket, setTicket] = useState<Ticket | null>(null);
  const [phase, setPhase] = useState<Phase>('loading');
  const [problem, setProblem] = useState<string | null>(null);
  const [polling, setPolling] = useState(true);
  const [pollRun, setPollRun] = useState(0);
  const [pending, setPending] = useState<PendingReply[]>([]);
  const [announcement, setAnnouncement] = useState('');
  const pendingRef = useRef<PendingReply[]>([]);
  const latestRef = useRef<Ticket | null>(null);

  const updatePending = (next: PendingReply[]) => {
    pendingRef.current = next;
    setPending(next);
  };

  // Fetch now, then every pollIntervalMs while a reply is awaited. Restarted
  // (pollRun) after a follow-up or when the customer asks to check again.
  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    let failures = 0;

    const tick = async () => {
      try {
        const next = await getTicket(ticketNumber, token, { apiBase, signal: controller.signal });
        if (stopped) return;
        failures = 0;
        const stillPending = reconcilePending(pendingRef.current, next.messages);
        pendingRef.current = stillPending;
        setPending(stillPending);
        const previous = latestRef.current;
        if (previous !== null) {
          const text = announcementFor(previous, next);
          if (text !== '') setAnnouncement(text);
        }
        latestRef.current = next;
        setTicket(next);
        setPhase('ready');
        setProblem(null);
        if (shouldKeepPolling(next, stillPending.length)) {
          timer = setTimeout(tick, pollIntervalMs);
        } else {
          setPolling(false);
        }
      } catch (error) {
        if (stopped || isAbort(error)) return;
        if (isNotFound(error)) {
          setPhase('not-found');
          setPolling(false);
          return;
        }
        failures += 1;
        setProblem(describeError(error));
        if (latestRef.current === null) setPhase('error');
        if (failures < MAX_CONSECUTIVE_FAILURES) {
          timer = setTimeout(tick, pollIntervalMs);
        } else {
          setPolling(false);
        }
      }
    };

    setPolling(true);
    void tick();
    return () => {
      stopped = true;
      controller.abort();
      clearTimeout(timer);
    };
  }, [ticketNumber, token, apiBase, pollIntervalMs, pollRun]);

  const checkAgain = useCallback(() => setPollRun((run) => run + 1), []);

  const handleReplySent = (content: string) => {
    const reply = makePendingReply(content, latestRef.current?.messages ?? [], pendingRef.current);
    updatePending([...pendingRef.current, reply]);
    setAnnouncement('Your reply was sent.');
    checkAgain();
  };

  const lookupHref = hrefFor({ view: 'lookup', ticket: ticketNumber, token: '' });
  const headingId = `${idPrefix}-heading`;

  const current = phase === 'ready' ? ticket : null;
  const info = current ? statusInfo(current.status) : null;

  let body;
  if (phase === 'loading') {
    body = (
      <p role="status" className="muted">
        <span className="spinner spinner--dark" aria-hidden="true" /> Loading your ticket…
      </p>
    );
  } else if (current === null || info === null) {
    // not found, or the first load failed
    body = (
      <>
        <div className="alert alert--error" role="alert">
          {phase === 'not-found' ? NOT_FOUND_MESSAGE : problem}
        </div>
        <p className="card__actions">
          {phase === 'error' ? (
            polling ? (
              <span className="muted">Trying again…</span>
            ) : (
              <button type="button" className="button button--primary" onClick={checkAgain}>
                Try again
              </button>
            )
          ) : (
            <AppLink className="button button--primary" href={lookupHref}>
              Look up a ticket
            </AppLink>
          )}
          <AppLink className="button button--ghost" href={hrefFor({ view: 'form' })}>
            Send a new request
          </AppLink>
        </p>
      </>
    );
  } else {
    const thread: ThreadMessage[] = [
      ...sortMessages(current.messages),
      ...pending.map((reply) => ({
        id: reply.localId,
        role: 'customer' as const,
        channel: 'web_form',
        content: reply.content,
        created_at: reply.createdAt,
        delivery_status: null,
        pending: true,
      })),
    ];
    const awaiting = polling && shouldKeepPolling(current, pending.length);
    body = (
      <>
        {info.description ? <p className="ticket__description">{info.description}</p> : null}

        <dl className="ticket__meta">
          <div>
            <dt>Subject</dt>
            <dd>{current.subject || '—'}</dd>
          </div>
          <div>
            <dt>Category</dt>
            <dd>{current.category ? categoryLabel(current.category) : '—'}</dd>
          </div>
          <div>
            <dt>Priority</dt>
            <dd>{current.priority ? priorityLabel(current.priority) : '—'}</dd>
          </div>
          <div>
            <dt>Opened</dt>
            <dd>
              {current.created_at ? (
                <time dateTime={current.created_at}>{formatDateTime(current.created_at)}</time>
              ) : (
                '—'
              )}
            </dd>
          </div>
        </dl>

        <h2 className="section-title" id={`${idPrefix}-thread`}>
          Conversation
        </h2>
        <ConversationThread messages={thread} labelledBy={`${idPrefix}-thread`} />

        {awaiting ? (
          <p className="ticket__waiting" data-testid="waiting-indicator">
            <span className="spinner spinner--dark" aria-hidden="true" /> Waiting for a reply — this page updates
            by itself.
          </p>
        ) : null}
        {problem !== null ? (
          <div className="alert alert--warning" role="alert">
            {problem} {polling ? 'Trying again…' : null}
          </div>
        ) : null}
        {!polling ? (
          <p>
            <button type="button" className="button button--ghost button--small" onClick={checkAgain}>
              Check for updates
            </button>
          </p>
        ) : null}

        {current.status === 'resolved' ? (
          <RatingControl
            apiBase={apiBase}
            ticketNumber={current.ticket_number}
            token={token}
            channel={ratingChannel}
            given={current.ratings?.find((rating) => rating.channel === ratingChannel) ?? null}
          />
        ) : null}

        <FollowUpForm apiBase={apiBase} ticketNumber={current.ticket_number} token={token} onSent={handleReplySent} />
      </>
    );
  }

  return (
    <section className="card" aria-labelledby={headingId} aria-busy={phase === 'loading'}>
      {/* Always rendered, so additions are announced. */}
      <p className="visually-hidden" aria-live="polite" data-testid="announcer">
        {announcement}
      </p>
      <div className="ticket__header">
        <h1 id={headingId} className="card__title" tabIndex={-1} data-view-heading>
          Ticket {current?.ticket_number ?? ticketNumber}
        </h1>
        {current && info ? (
          <span className={`badge badge--${info.tone}`} data-testid="ticket-status" data-status={current.status}>
            {info.label}
          </span>
        ) : null}
      </div>
      {body}
    </section>
  );
}

const FOLLOW_UP_INITIAL = initialValues(followUpRules, FOLLOW_UP_FIELDS);
const FOLLOW_UP_NAMES = { message: 'Your reply' } as const;

interface FollowUpFormProps {
  apiBase: string;
  ticketNumber: string;
  token: string;
  onSent: (content: string) => void;
}

export function FollowUpForm({ apiBase, ticketNumber, token, onSent }: FollowUpFormProps) {
  const idPrefix = useId();
  const form = useValidatedForm(followUpRules, FOLLOW_UP_FIELDS, FOLLOW_UP_INITIAL, FOLLOW_UP_NAMES);
  const [submitting, setSubmitting] = useState(false);
  const inFlight = useRef(false);
  const [formError, setFormError] = useState<string | null>(null);

  const handleSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (inFlight.current) return;
    setFormError(null);
    const firstInvalid = form.validateForSubmit();
    if (firstInvalid !== null) {
      form.focusField(firstInvalid);
      return;
    }
    const content = form.values.message.trim();
    inFlight.current = true;
    setSubmitting(true);
    try {
      await postFollowUp(ticketNumber, token, content, { apiBase });
      form.reset();
      onSent(content);
    } catch (error) {
      if (error instanceof ApiError && !isNotFound(error)) {
        const { first, unmatched } = form.applyServerErrors(error.fieldErrors);
        if (first !== null) form.focusField(first);
        if (first === null || unmatched.length > 0) {
          const extra = unmatched.map((item) => item.message).join(' ');
          setFormError(extra === '' ? error.detail : `${error.detail} ${extra}`);
        }
      } else {
        setFormError(describeError(error));
      }
    } finally {
      inFlight.current = false;
      setSubmitting(false);
    }
  };

  const rule = followUpRules.message;
  return (
    <form className="form followup" noValidate onSubmit={handleSubmit}>
      <FormField
        id={`${idPrefix}-message`}
        name="message"
        label="Add a reply"
        required={rule.required}
        hint={rule.maxLength !== undefined ? `Up to ${rule.maxLength} characters.` : undefined}
        error={form.errorFor('message')}
      >
        {(control) => <textarea {...control} {...form.bind('message')} rows={4} />}
      </FormField>
      {formError !== null ? (
        <div className="alert alert--error" role="alert">
          {formError}
        </div>
      ) : null}
      <div className="form__actions">
        <SubmitButton label="Send reply" busy={submitting} />
      </div>
    </form>
  );
}
