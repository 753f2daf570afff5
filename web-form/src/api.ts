/**
 * Client for the Digital FTE support API (`/api/v1/*`).
 *
 * Every function takes an `apiBase`: '' means same origin (the gateway serves
 * both this UI and the API); an absolute origin such as
 * 'https://support.example.com' is used when the UI is embedded elsewhere.
 */

export const DEFAULT_API_BASE: string = import.meta.env.VITE_API_BASE ?? '';

export const NETWORK_ERROR_MESSAGE =
  "We couldn't reach the support server. Check your connection and try again.";
export const GENERIC_ERROR_MESSAGE =
  'Something went wrong on our side. Please try again in a moment.';

export type TicketStatus = 'received' | 'open' | 'answered' | 'escalated' | 'resolved' | 'failed';
/** `staff` is a person on the support team answering an escalated ticket. */
export type MessageRole = 'customer' | 'agent' | 'staff';

export interface SupportFormPayload {
  name: string;
  email: string;
  phone: string | null;
  subject: string;
  category: string;
  priority: string;
  message: string;
}

export interface SubmitFormResult {
  ticket_number: string;
  status_url: string;
  access_token: string;
  status: string;
}

export interface TicketMessage {
  id: string | number;
  role: MessageRole;
  channel: string;
  content: string;
  created_at: string;
  delivery_status: string | null;
  /** Who on the team wrote a `staff` message, when the server says. */
  author?: { id?: string; name: string } | null;
}

export interface Ticket {
  ticket_number: string;
  /** One of {@link TicketStatus}; kept as string so a new server value never breaks the page. */
  status: string;
  channel: string;
  subject: string;
  category: string;
  priority: string;
  created_at: string;
  updated_at: string;
  escalation_reason: string | null;
  messages: TicketMessage[];
  /** The customer's ratings once resolved, one per channel (optional: an older server has none). */
  ratings?: TicketRating[];
}

/** Where a rating was given: the status page itself, or the link in our email. */
export type RatingChannel = 'web_form' | 'email';

export interface TicketRating {
  channel: string;
  score: number;
  rated_at: string;
}

export interface FollowUpResult {
  ticket_number: string;
  status_url: string;
}

export interface FieldError {
  field: string;
  message: string;
}

/** The server answered with a non-2xx status. */
export class ApiError extends Error {
  readonly status: number;
  /** Human-readable explanation (the server's `detail`, or a generic fallback). */
  readonly detail: string;
  /** Per-field problems (from a 422 response), field names as the server sends them. */
  readonly fieldErrors: FieldError[];

  constructor(status: number, detail: string, fieldErrors: FieldError[] = []) {
    super(detail);
    this.name = 'ApiError';
    this.status = status;
    this.detail = detail;
    this.fieldErrors = fieldErrors;
  }
}

/** The request never got an HTTP answer (offline, DNS, CORS, server down). */
export class NetworkError extends Error {
  constructor(message: string = NETWORK_ERROR_MESSAGE, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NetworkError';
  }
}

export interface RequestOptions {
  apiBase?: string;
  signal?: AbortSignal;
}

/** What an HTTP header can carry as a token; anything else can only be a wrong token. */
const HEADER_SAFE_TOKEN = /^[\x21-\x7e]+$/;

export function apiUrl(apiBase: string, path: string): string {
  return `${apiBase.trim().replace(/\/+$/, '')}${path}`;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isAbortError(error: unknown): boolean {
  return isRecord(error) && error.name === 'AbortError';
}

/** Reads `errors: [{field, message}]`, and FastAPI's default `detail: [{loc, msg}]` as a fallback. */
function parseFieldErrors(body: Record<string, unknown>): FieldError[] {
  const result: FieldError[] = [];
  if (Array.isArray(body.errors)) {
    for (const item of body.errors) {
      if (isRecord(item) && typeof item.field === 'string' && typeof item.message === 'string') {
        result.push({ field: item.field, message: item.message });
      }
    }
  }
  if (result.length === 0 && Array.isArray(body.detail)) {
    for (const item of body.detail) {
      if (isRecord(item) && Array.isArray(item.loc) && typeof item.msg === 'string') {
        const last = item.loc[item.loc.length - 1];
        if (typeof last === 'string') result.push({ field: last, message: item.msg });
      }
    }
  }
  return result;
}

export function errorFromResponse(status: number, body: unknown): ApiError {
  if (!isRecord(body)) return new ApiError(status, GENERIC_ERROR_MESSAGE);
  const detail =
    typeof body.detail === 'string' && body.detail.trim() !== ''
      ? body.detail
      : GENERIC_ERROR_MESSAGE;
  return new ApiError(status, detail, parseFieldErrors(body));
}

export async function readJson(response: Response): Promise<unknown> {
  let text: string;
  try {
    text = await response.text();
  } catch {
    return null;
  }
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

async function request(
  method: 'GET' | 'POST',
  path: string,
  options: RequestOptions,
  body?: unknown,
  token?: string,
): Promise<unknown> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (token !== undefined) {
    // Never refuse a mistyped token with a network error: the server would answer 404.
    if (!HEADER_SAFE_TOKEN.test(token)) throw new ApiError(404, 'no ticket with that number for this token');
    headers.Authorization = `Bearer ${token}`;
  }
  const init: RequestInit = { method, headers };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (options.signal) init.signal = options.signal;

  let response: Response;
  try {
    response = await fetch(apiUrl(options.apiBase ?? DEFAULT_API_BASE, path), init);
  } catch (error) {
    if (isAbortError(error)) throw error;
    throw new NetworkError(NETWORK_ERROR_MESSAGE, { cause: error });
  }

  const data = await readJson(response);
  if (!response.ok) throw errorFromResponse(response.status, data);
  return data;
}

export function unexpected(status = 502): ApiError {
  return new ApiError(status, 'The support server sent a response we did not understand.');
}

/** The token goes in `Authorization`, never in the URL: no access log or Referer sees it. */
function ticketPath(ticketNumber: string, suffix: string): string {
  return `/api/v1/tickets/${encodeURIComponent(ticketNumber)}${suffix}`;
}

/** Pulls `token` out of a status URL like `/api/v1/tickets/TKT-1?token=abc`. */
export function tokenFromStatusUrl(statusUrl: string): string | null {
  const query = statusUrl.split('?')[1];
  if (!query) return null;
  return new URLSearchParams(query.split('#')[0]).get('token');
}

/** POST /api/v1/support/form — creates a ticket (HTTP 202). */
export async function submitForm(
  payload: SupportFormPayload,
  options: RequestOptions = {},
): Promise<SubmitFormResult> {
  const data = await request('POST', '/api/v1/support/form', options, payload);
  if (!isRecord(data) || typeof data.ticket_number !== 'string') throw unexpected();
  const statusUrl = typeof data.status_url === 'string' ? data.status_url : '';
  const accessToken =
    typeof data.access_token === 'string' && data.access_token !== ''
      ? data.access_token
      : tokenFromStatusUrl(statusUrl);
  if (!accessToken) throw unexpected();
  return {
    ticket_number: data.ticket_number,
    status_url: statusUrl,
    access_token: accessToken,
    status: typeof data.status === 'string' ? data.status : 'received',
  };
}

function normaliseMessage(raw: unknown, index: number): TicketMessage | null {
  if (!isRecord(raw) || typeof raw.content !== 'string') return null;
  const role: MessageRole = raw.role === 'agent' || raw.role === 'staff' ? raw.role : 'customer';
  const author = isRecord(raw.author) && typeof raw.author.name === 'string' ? { name: raw.author.name } : null;
  return {
    id: typeof raw.id === 'string' || typeof raw.id === 'number' ? raw.id : `message-${index}`,
    role,
    channel: typeof raw.channel === 'string' ? raw.channel : '',
    content: raw.content,
    created_at: typeof raw.created_at === 'string' ? raw.created_at : '',
    delivery_status: typeof raw.delivery_status === 'string' ? raw.delivery_status : null,
    ...(author ? { author } : {}),
  };
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** GET /api/v1/tickets/{ticket_number} with `Authorization: Bearer <token>` */
export async function getTicket(
  ticketNumber: string,
  token: string,
  options: RequestOptions = {},
): Promise<Ticket> {
  const data = await request('GET', ticketPath(ticketNumber, ''), options, undefined, token);
  if (!isRecord(data) || typeof data.ticket_number !== 'string' || typeof data.status !== 'string') {
    throw unexpected();
  }
  const rawMessages = Array.isArray(data.messages) ? data.messages : [];
  return {
    ticket_number: data.ticket_number,
    status: data.status,
    channel: str(data.channel),
    subject: str(data.subject),
    category: str(data.category),
    priority: str(data.priority),
    created_at: str(data.created_at),
    updated_at: str(data.updated_at),
    escalation_reason: typeof data.escalation_reason === 'string' ? data.escalation_reason : null,
    messages: rawMessages
      .map(normaliseMessage)
      .filter((message): message is TicketMessage => message !== null),
    ratings: (Array.isArray(data.ratings) ? data.ratings : [])
      .map(normaliseRating)
      .filter((rating): rating is TicketRating => rating !== null),
  };
}

function normaliseRating(raw: unknown): TicketRating | null {
  if (!isRecord(raw) || typeof raw.score !== 'number' || typeof raw.channel !== 'string') return null;
  return { channel: raw.channel, score: raw.score, rated_at: str(raw.rated_at) };
}

/** POST /api/v1/tickets/{ticket_number}/rating with `Authorization: Bearer <token>`: rates a resolved ticket 1–5. */
export async function postRating(
  ticketNumber: string,
  token: string,
  score: number,
  channel: RatingChannel,
  options: RequestOptions = {},
): Promise<TicketRating> {
  const data = await request('POST', ticketPath(ticketNumber, '/rating'), options, { score, channel }, token);
  const rating = isRecord(data) ? normaliseRating(data.rating) : null;
  if (rating === null) throw unexpected();
  return rating;
}

/** POST /api/v1/tickets/{ticket_number}/messages with `Authorization: Bearer <token>` — adds a customer reply (HTTP 202). */
export async function postFollowUp(
  ticketNumber: string,
  token: string,
  message: string,
  options: RequestOptions = {},
): Promise<FollowUpResult> {
  const data = await request('POST', ticketPath(ticketNumber, '/messages'), options, { message }, token);
  return {
    ticket_number: isRecord(data) && typeof data.ticket_number === 'string' ? data.ticket_number : ticketNumber,
    status_url: isRecord(data) && typeof data.status_url === 'string' ? data.status_url : '',
  };
}
