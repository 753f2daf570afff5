import type { TicketMessage } from '../api';
import { AGENT_NAME, channelLabel, formatDateTime, isWebChannel } from '../labels';

export interface ThreadMessage extends TicketMessage {
  /** True for a reply the customer just sent that the server has not listed yet. */
  pending?: boolean;
}

/** How far a WhatsApp reply got, as Twilio reports it. */
const WHATSAPP_PROGRESS: Record<string, string> = {
  pending: 'Sending on WhatsApp',
  queued: 'Queued on WhatsApp',
  sent: 'Sent on WhatsApp',
  delivered: 'Delivered on WhatsApp',
  read: 'Read on WhatsApp',
};

/**
 * A note under a message. delivery_status is one of received | pending | queued |
 * sent | delivered | read | failed | undelivered. On the web form the page itself
 * is the delivery, so only a failed email/WhatsApp copy is worth telling the
 * customer about, and for a WhatsApp reply how far it got; "pending" is not shown
 * otherwise because polling stops once the reply is in the thread.
 */
function noteFor(message: ThreadMessage): string | undefined {
  if (message.pending) return 'Sent';
  const status = message.delivery_status ?? '';
  if ((status === 'failed' || status === 'undelivered') && !isWebChannel(message.channel)) {
    return `Not delivered by ${channelLabel(message.channel).toLowerCase()}`;
  }
  if (message.role !== 'customer' && message.channel === 'whatsapp') {
    return WHATSAPP_PROGRESS[status];
  }
  return undefined;
}

/** The first word of a name ("Sam Lee" → "Sam"), or '' for none. */
function firstName(name: string | undefined): string {
  return (name ?? '').trim().split(/\s+/)[0] ?? '';
}

/**
 * Who wrote a message, as the reader knows them. The customer sees "You", the
 * assistant as the company, and a person on the team by first name ("Support
 * team" when the server names no one). Staff see the customer's name, "AI agent",
 * and their colleagues' full names.
 */
function authorOf(message: ThreadMessage, perspective: Perspective, customerName: string): string {
  if (perspective === 'staff') {
    if (message.role === 'customer') return customerName || 'Customer';
    if (message.role === 'agent') return 'AI agent';
    return message.author?.name || 'Support team';
  }
  if (message.role === 'customer') return 'You';
  if (message.role === 'agent') return AGENT_NAME;
  return firstName(message.author?.name) || 'Support team';
}

export type Perspective = 'customer' | 'staff';

interface ConversationThreadProps {
  messages: ThreadMessage[];
  labelledBy?: string;
  /** Who reads the thread: the customer (status page) or staff (inbox). */
  perspective?: Perspective;
  /** The customer's name, shown on their messages in the staff perspective. */
  customerName?: string;
}

export function ConversationThread({ messages, labelledBy, perspective = 'customer', customerName = '' }: ConversationThreadProps) {
  if (messages.length === 0) {
    return <p className="thread__empty">No messages yet.</p>;
  }
  return (
    <ol className="thread" aria-labelledby={labelledBy}>
      {messages.map((message) => {
        const fromCustomer = message.role === 'customer';
        const note = noteFor(message);
        const side = fromCustomer ? 'customer' : message.role === 'staff' ? 'staff' : 'agent';
        const showChannel = perspective === 'staff' ? message.channel !== '' : !isWebChannel(message.channel);
        return (
          <li
            key={message.id}
            className={`thread__message thread__message--${side}${perspective === 'staff' ? ' thread__message--inbox' : ''}`}
            data-testid="thread-message"
            data-role={message.role}
          >
            <p className="thread__meta">
              <span className="thread__author">{authorOf(message, perspective, customerName)}</span>
              {message.created_at ? (
                <>
                  {' · '}
                  <time dateTime={message.created_at}>{formatDateTime(message.created_at)}</time>
                </>
              ) : null}
              {showChannel ? <> · via {channelLabel(message.channel)}</> : null}
              {note ? <> · <span className="thread__note">{note}</span></> : null}
            </p>
            <div className="thread__content">{message.content}</div>
          </li>
        );
      })}
    </ol>
  );
}
