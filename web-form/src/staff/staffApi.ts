/**
 * Client for the staff inbox API (`/api/v1/staff/*`), same origin only.
 *
 * The session is the HttpOnly cookie `fte_staff`: the page never sees it, the
 * browser sends it (`credentials: 'same-origin'`). Every state change except
 * signing in carries `X-CSRF-Token` with the token the session was opened with.
 * A 401 on any call means the session is gone: callers send the person back to
 * sign-in (see `isSignedOut`).
 */
import {
  ApiError,
  NETWORK_ERROR_MESSAGE,
  NetworkError,
  errorFromResponse,
  isAbortError,
  isRecord,
  readJson,
  unexpected,
} from '../api';

export type StaffRole = 'agent' | 'admin';
export type Channel = 'web_form' | 'email' | 'whatsapp';
export type Priority = 'low' | 'medium' | 'high' | 'urgent';
export type QueueView = 'waiting' | 'mine' | 'all';

export interface StaffMember {
  id: string;
  email: string;
  name: string;
  role: string;
}

export interface Session {
  staff: StaffMember;
  csrfToken: string;
}

export interface PersonRef {
  id: string;
  name: string;
  email?: string;
}

export interface Sla {
  first_response_due: string | null;
  resolution_due: string | null;
  overdue: boolean;
}

export interface QueueItem {
  ticket_number: string;
  subject: string;
  channel: string;
  priority: string;
  status: string;
  escalation_reason: string | null;
  customer: { name: string; email: string | null; phone: string | null };
  waiting_since: string;
  assigned_to: PersonRef | null;
  sla: Sla;
  created_at: string;
}

export interface Queue {
  tickets: QueueItem[];
  counts: { waiting: number; overdue: number };
}

export interface HistoryMessage {
  id: string;
  ticket_number: string;
  role: 'customer' | 'agent' | 'staff';
  channel: string;
  content: string;
  created_at: string;
  delivery_status: string | null;
  author: PersonRef | null;
}

export interface Note {
  id: string;
  body: string;
  private: boolean;
  author: PersonRef;
  created_at: string;
}

export interface StaffAction {
  action: string;
  staff: PersonRef;
  detail: Record<string, unknown>;
  created_at: string;
}

/** The customer's rating of a resolved ticket, on one channel. */
export interface CustomerRating {
  channel: string;
  score: number;
  rated_at: string;
}

export interface TicketDetail {
  ticket: QueueItem;
  history: HistoryMessage[];
  notes: Note[];
  actions: StaffAction[];
  ratings: CustomerRating[];
}

const BASE = '/api/v1/staff';

/** A 401: no session, or it expired. */
export function isSignedOut(error: unknown): boolean {
  return error instanceof ApiError && error.status === 401;
}

/** Seconds to wait from a `Retry-After` header (seconds or an HTTP date), or null. */
export function retryAfterSeconds(header: string | null, now: number = Date.now()): number | null {
  if (header === null || header.trim() === '') return null;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

/** An ApiError that also carries the `Retry-After` of a 429. */
export class RateLimitedError extends ApiError {
  readonly retryAfter: number | null;

  constructor(detail: string, retryAfter: number | null) {
    super(429, detail);
    this.name = 'RateLimitedError';
    this.retryAfter = retryAfter;
  }
}

interface CallOptions {
  csrfToken?: string;
  idempotencyKey?: string;
  body?: unknown;
  signal?: AbortSignal;
}

async function call(method: 'GET' | 'POST' | 'DELETE', path: string, options: CallOptions = {}): Promise<unknown> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const init: RequestInit = { method, headers, credentials: 'same-origin' };
  if (options.csrfToken !== undefined) headers['X-CSRF-Token'] = options.csrfToken;
  if (options.idempotencyKey !== undefined) headers['Idempotency-Key'] = options.idempotencyKey;
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(options.body);
  }
  if (options.signal) init.signal = options.signal;

  let response: Response;
  try {
    response = await fetch(`${BASE}${path}`, init);
  } catch (error) {
    if (isAbortError(error)) throw error;
    throw new NetworkError(NETWORK_ERROR_MESSAGE, { cause: error });
  }
  const data = await readJson(response);
  if (!response.ok) {
    const error = errorFromResponse(response.status, data);
    if (response.status === 429) {
      throw new RateLimitedError(error.detail, retryAfterSeconds(response.headers.get('Retry-After')));
    }
    throw error;
  }
  return data;
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function strOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function person(raw: unknown): PersonRef | null {
  if (!isRecord(raw) || typeof raw.id !== 'string') return null;
  const ref: PersonRef = { id: raw.id, name: str(raw.name) };
  if (typeof raw.email === 'string') ref.email = raw.email;
  return ref;
}

function staffMember(raw: unknown): StaffMember | null {
  if (!isRecord(raw) || typeof raw.id !== 'string') return null;
  return { id: raw.id, email: str(raw.email), name: str(raw.name), role: str(raw.role) };
}

function session(data: unknown): Session {
  if (!isRecord(data)) throw unexpected();
  const staff = staffMember(data.staff);
  if (staff === null || typeof data.csrf_token !== 'string') throw unexpected();
  return { staff, csrfToken: data.csrf_token };
}

function queueItem(raw: unknown): QueueItem | null {
  if (!isRecord(raw) || typeof raw.ticket_number !== 'string') return null;
  const customer = isRecord(raw.customer) ? raw.customer : {};
  const sla = isRecord(raw.sla) ? raw.sla : {};
  return {
    ticket_number: raw.ticket_number,
    subject: str(raw.subject),
    channel: str(raw.channel),
    priority: str(raw.priority),
    status: str(raw.status),
    escalation_reason: strOrNull(raw.escalation_reason),
    customer: { name: str(customer.name), email: strOrNull(customer.email), phone: strOrNull(customer.phone) },
    waiting_since: str(raw.waiting_since),
    assigned_to: person(raw.assigned_to),
    sla: {
      first_response_due: strOrNull(sla.first_response_due),
      resolution_due: strOrNull(sla.resolution_due),
      overdue: sla.overdue === true,
    },
    created_at: str(raw.created_at),
  };
}

function list<T>(raw: unknown, read: (item: unknown) => T | null): T[] {
  return Array.isArray(raw) ? raw.map(read).filter((item): item is T => item !== null) : [];
}

function historyMessage(raw: unknown): HistoryMessage | null {
  if (!isRecord(raw) || typeof raw.content !== 'string') return null;
  const role = raw.role === 'agent' || raw.role === 'staff' ? raw.role : 'customer';
  return {
    id: typeof raw.id === 'string' || typeof raw.id === 'number' ? String(raw.id) : '',
    ticket_number: str(raw.ticket_number),
    role,
    channel: str(raw.channel),
    content: raw.content,
    created_at: str(raw.created_at),
    delivery_status: strOrNull(raw.delivery_status),
    author: person(raw.author),
  };
}

function rating(raw: unknown): CustomerRating | null {
  if (!isRecord(raw) || typeof raw.score !== 'number' || typeof raw.channel !== 'string') return null;
  return { channel: raw.channel, score: raw.score, rated_at: str(raw.rated_at) };
}

function note(raw: unknown): Note | null {
  if (!isRecord(raw) || typeof raw.body !== 'string') return null;
  return {
    id: String(raw.id ?? ''),
    body: raw.body,
    private: raw.private === true,
    author: person(raw.author) ?? { id: '', name: '' },
    created_at: str(raw.created_at),
  };
}

function action(raw: unknown): StaffAction | null {
  if (!isRecord(raw) || typeof raw.action !== 'string') return null;
  return {
    action: raw.action,
    staff: person(raw.staff) ?? { id: '', name: '' },
    detail: isRecord(raw.detail) ? raw.detail : {},
    created_at: str(raw.created_at),
  };
}

function ticketOf(data: unknown): QueueItem {
  const ticket = isRecord(data) ? queueItem(data.ticket) : null;
  if (ticket === null) throw unexpected();
  return ticket;
}

function ticketPath(number: string, suffix = ''): string {
  return `/tickets/${encodeURIComponent(number)}${suffix}`;
}

/** POST /session — signs in (no CSRF token yet: the answer brings it). */
export async function signIn(email: string, password: string): Promise<Session> {
  return session(await call('POST', '/session', { body: { email, password } }));
}

/** GET /session — the current session, or a 401. */
export async function currentSession(signal?: AbortSignal): Promise<Session> {
  return session(await call('GET', '/session', signal ? { signal } : {}));
}

/** DELETE /session — signs out (204). */
export async function signOut(csrfToken: string): Promise<void> {
  await call('DELETE', '/session', { csrfToken });
}

export async function getQueue(view: QueueView, signal?: AbortSignal): Promise<Queue> {
  const data = await call('GET', `/tickets?view=${encodeURIComponent(view)}`, signal ? { signal } : {});
  if (!isRecord(data) || !Array.isArray(data.tickets)) throw unexpected();
  const counts = isRecord(data.counts) ? data.counts : {};
  return {
    tickets: list(data.tickets, queueItem),
    counts: {
      waiting: typeof counts.waiting === 'number' ? counts.waiting : 0,
      overdue: typeof counts.overdue === 'number' ? counts.overdue : 0,
    },
  };
}

export async function getTicketDetail(number: string, signal?: AbortSignal): Promise<TicketDetail> {
  const data = await call('GET', ticketPath(number), signal ? { signal } : {});
  if (!isRecord(data)) throw unexpected();
  return {
    ticket: ticketOf(data),
    history: list(data.history, historyMessage),
    notes: list(data.notes, note),
    actions: list(data.actions, action),
    ratings: list(data.ratings, rating),
  };
}

/**
 * POST /tickets/{n}/replies — an answer on the customer's channel (202). With an
 * `Idempotency-Key`, the same answer sent twice (a retry after a lost response) goes out once.
 */
export async function sendAnswer(number: string, body: string, csrfToken: string, idempotencyKey?: string): Promise<string> {
  const options: CallOptions = { csrfToken, body: { body } };
  if (idempotencyKey !== undefined) options.idempotencyKey = idempotencyKey;
  const data = await call('POST', ticketPath(number, '/replies'), options);
  return isRecord(data) ? String(data.message_id ?? '') : '';
}

/** POST /tickets/{n}/notes — an internal note, never sent to the customer (201). */
export async function addNote(number: string, body: string, isPrivate: boolean, csrfToken: string): Promise<string> {
  const data = await call('POST', ticketPath(number, '/notes'), { csrfToken, body: { body, private: isPrivate } });
  return isRecord(data) ? String(data.id ?? '') : '';
}

/** POST /tickets/{n}/assign — to a staff member, or to nobody with null. */
export async function assignTicket(number: string, staffId: string | null, csrfToken: string): Promise<QueueItem> {
  return ticketOf(await call('POST', ticketPath(number, '/assign'), { csrfToken, body: { staff_id: staffId } }));
}

export async function resolveTicket(number: string, csrfToken: string): Promise<QueueItem> {
  return ticketOf(await call('POST', ticketPath(number, '/resolve'), { csrfToken }));
}

export async function reopenTicket(number: string, csrfToken: string): Promise<QueueItem> {
  return ticketOf(await call('POST', ticketPath(number, '/reopen'), { csrfToken }));
}

export async function getTeam(signal?: AbortSignal): Promise<StaffMember[]> {
  const data = await call('GET', '/team', signal ? { signal } : {});
  if (!isRecord(data)) throw unexpected();
  return list(data.staff, staffMember);
}
