/**
 * A stand-in for `/api/v1/staff/*` behind a mocked `fetch`, as the contract says: a session
 * cookie it tracks itself, the CSRF check on every state change, 401 without a session.
 * Tests change its state (`tickets`, `history`, …) and read what was asked (`requests`).
 */
import type { CustomerRating, HistoryMessage, Note, QueueItem, StaffAction, StaffMember } from '../staffApi';
import { jsonResponse, stubFetch, type FetchMock } from '../../test/helpers';

export const ME: StaffMember = { id: 'u-sam', email: 'sam@northwind.example', name: 'Sam Lee', role: 'agent' };
export const COLLEAGUE: StaffMember = { id: 'u-ria', email: 'ria@northwind.example', name: 'Ria Patel', role: 'admin' };
export const PASSWORD = 'correct horse battery staple';
export const CSRF = 'csrf-123';

export const NOW = Date.parse('2025-03-02T12:00:00Z');

export function item(overrides: Partial<QueueItem> = {}): QueueItem {
  return {
    ticket_number: 'TKT-0001',
    subject: 'Refund for last month',
    channel: 'web_form',
    priority: 'high',
    status: 'escalated',
    escalation_reason: 'refund_request',
    customer: { name: 'Ada Lovelace', email: 'ada@example.com', phone: null },
    waiting_since: '2025-03-02T11:15:00Z',
    assigned_to: null,
    sla: { first_response_due: '2025-03-02T13:00:00Z', resolution_due: '2025-03-03T11:00:00Z', overdue: false },
    created_at: '2025-03-02T11:15:00Z',
    ...overrides,
  };
}

export function message(overrides: Partial<HistoryMessage> = {}): HistoryMessage {
  return {
    id: 'm1',
    ticket_number: 'TKT-0001',
    role: 'customer',
    channel: 'web_form',
    content: 'I want a refund for last month, please.',
    created_at: '2025-03-02T11:15:00Z',
    delivery_status: 'received',
    author: null,
    ...overrides,
  };
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
  credentials: RequestCredentials | undefined;
}

export class FakeStaffServer {
  signedIn = false;
  /** Answer the next sign-in with this instead (a 429, a 422 …). */
  signInAnswer: (() => Response) | null = null;
  tickets: QueueItem[] = [item()];
  counts = { waiting: 1, overdue: 0 };
  history: Record<string, HistoryMessage[]> = {
    'TKT-0001': [
      message(),
      message({
        id: 'm2',
        role: 'agent',
        content: 'A member of our support team will pick this up and reply here.',
        created_at: '2025-03-02T11:15:05Z',
        delivery_status: 'delivered',
      }),
    ],
  };
  notes: Record<string, Note[]> = {};
  ratings: Record<string, CustomerRating[]> = {};
  actions: Record<string, StaffAction[]> = {};
  team: StaffMember[] = [ME, COLLEAGUE];
  /** Record a staff answer in the history when it is posted (as the backend does, soon after). */
  recordAnswers = true;
  requests: RecordedRequest[] = [];
  readonly fetch: FetchMock;
  private nextId = 100;

  constructor() {
    this.fetch = stubFetch((input, init) => Promise.resolve(this.answer(String(input), init ?? {})));
  }

  /** The requests with this method whose path starts with `prefix`. */
  calls(method: string, prefix = ''): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && r.path.startsWith(prefix));
  }

  private answer(url: string, init: RequestInit): Response {
    const method = init.method ?? 'GET';
    const path = url.replace(/^https?:\/\/[^/]+/, '');
    const headers = (init.headers ?? {}) as Record<string, string>;
    const body: unknown = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
    this.requests.push({ method, path, headers, body, credentials: init.credentials });

    if (path === '/api/v1/staff/session' && method === 'POST') return this.signIn(body as { email: string; password: string });
    if (!this.signedIn) return jsonResponse(401, { detail: 'sign in first' });
    if (method !== 'GET' && headers['X-CSRF-Token'] !== CSRF) return jsonResponse(403, { detail: 'missing or wrong CSRF token' });

    const ticketMatch = /^\/api\/v1\/staff\/tickets\/([^/?]+)(\/[a-z]+)?$/.exec(path);
    if (path === '/api/v1/staff/session' && method === 'GET') return jsonResponse(200, { staff: ME, csrf_token: CSRF });
    if (path === '/api/v1/staff/session' && method === 'DELETE') {
      this.signedIn = false;
      return new Response(null, { status: 204 });
    }
    if (path.startsWith('/api/v1/staff/tickets?')) return jsonResponse(200, { tickets: this.tickets, counts: this.counts });
    if (path === '/api/v1/staff/team') return jsonResponse(200, { staff: this.team });
    if (ticketMatch) return this.ticketRoute(decodeURIComponent(ticketMatch[1] ?? ''), ticketMatch[2] ?? '', method, body);
    return jsonResponse(404, { detail: `no route for ${method} ${path}` });
  }

  private signIn(body: { email: string; password: string }): Response {
    if (this.signInAnswer) return this.signInAnswer();
    if (body.email !== ME.email || body.password !== PASSWORD) return jsonResponse(401, { detail: 'wrong email or password' });
    this.signedIn = true;
    return jsonResponse(200, { staff: ME, csrf_token: CSRF });
  }

  private ticketRoute(number: string, action: string, method: string, body: unknown): Response {
    const ticket = this.tickets.find((t) => t.ticket_number === number);
    if (!ticket) return jsonResponse(404, { detail: 'no such ticket' });
    const log = (this.actions[number] ??= []);
    const entry = (name: string, detail: Record<string, unknown> = {}) =>
      log.push({ action: name, staff: { id: ME.id, name: ME.name }, detail, created_at: new Date(NOW).toISOString() });
    if (method === 'GET' && action === '') {
      return jsonResponse(200, {
        ticket,
        history: this.history[number] ?? [],
        notes: this.notes[number] ?? [],
        actions: log,
        ratings: this.ratings[number] ?? [],
      });
    }
    const payload = (body ?? {}) as Record<string, unknown>;
    if (action === '/replies') {
      const id = `m${this.nextId++}`;
      if (this.recordAnswers) {
        (this.history[number] ??= []).push(
          message({
            id,
            role: 'staff',
            channel: ticket.channel,
            content: String(payload.body),
            created_at: new Date(NOW + 60_000).toISOString(),
            delivery_status: 'pending',
            author: { id: ME.id, name: ME.name },
          }),
        );
      }
      entry('answered', { message_id: id });
      return jsonResponse(202, { message_id: id });
    }
    if (action === '/notes') {
      const id = `n${this.nextId++}`;
      (this.notes[number] ??= []).push({
        id,
        body: String(payload.body),
        private: payload.private === true,
        author: { id: ME.id, name: ME.name },
        created_at: new Date(NOW).toISOString(),
      });
      entry('noted', { note_id: id, private: payload.private === true });
      return jsonResponse(201, { id });
    }
    if (action === '/assign') {
      const member = this.team.find((m) => m.id === payload.staff_id) ?? null;
      ticket.assigned_to = member ? { id: member.id, name: member.name, email: member.email } : null;
      entry('assigned', { to: member?.id ?? null });
      return jsonResponse(200, { ticket });
    }
    if (action === '/resolve' || action === '/reopen') {
      ticket.status = action === '/resolve' ? 'resolved' : 'escalated';
      entry(action === '/resolve' ? 'resolved' : 'reopened');
      return jsonResponse(200, { ticket });
    }
    return jsonResponse(404, { detail: 'no such action' });
  }
}
