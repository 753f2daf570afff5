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
  if (message.role === 'agent' && message.channel === 'whatsapp') {
    return WHATSAPP_PROGRESS[status];
  }
  return undefined;
}

interface ConversationThreadProps {
  messages: ThreadMessage[];
  labelledBy?: string;
}

export function ConversationThread({ messages, labelledBy }: ConversationThreadProps) {
  if (messages.length === 0) {
    return <p className="thread__empty">No messages yet.</p>;
  }
  return (
    <ol className="thread" aria-labelledby={labelledBy}>
      {messages.map((message) => {
        const fromAgent = message.role === 'agent';
        const note = noteFor(message);
        return (
          <li
            key={message.id}
            className={`thread__message thread__message--${fromAgent ? 'agent' : 'customer'}`}
            data-testid="thread-message"
            data-role={message.role}
          >
            <p className="thread__meta">
              <span className="thread__author">{fromAgent ? AGENT_NAME : 'You'}</span>
              {message.created_at ? (
                <>
                  {' · '}
                  <time dateTime={message.created_at}>{formatDateTime(message.created_at)}</time>
                </>
              ) : null}
              {!isWebChannel(message.channel) ? <> · via {channelLabel(message.channel)}</> : null}
              {note ? <> · <span className="thread__note">{note}</span></> : null}
            </p>
            <div className="thread__content">{message.content}</div>
          </li>
        );
      })}
    </ol>
  );
}
