import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { ConversationThread, type ThreadMessage } from './ConversationThread';

function message(overrides: Partial<ThreadMessage>): ThreadMessage {
  return {
    id: 'm1',
    role: 'customer',
    channel: 'web_form',
    content: 'Hello',
    created_at: '2025-03-02T10:00:00Z',
    delivery_status: 'received',
    ...overrides,
  };
}

describe('ConversationThread', () => {
  it('marks each message with its role and author', () => {
    render(
      <ConversationThread
        messages={[message({ id: 'a' }), message({ id: 'b', role: 'agent', content: 'Hi!', delivery_status: 'delivered' })]}
      />,
    );
    const items = screen.getAllByTestId('thread-message');
    expect(items.map((item) => item.dataset.role)).toEqual(['customer', 'agent']);
    expect(items[0]).toHaveTextContent('You');
    expect(items[1]).toHaveTextContent('Northwind Cloud Support');
    expect(items[0]?.querySelector('time')).toHaveAttribute('dateTime', '2025-03-02T10:00:00Z');
  });

  it('shows text as text, keeping line breaks and never rendering HTML', () => {
    render(<ConversationThread messages={[message({ content: '<b>bold</b>\nline two' })]} />);
    const item = screen.getByTestId('thread-message');
    expect(item.querySelector('b')).toBeNull();
    expect(item).toHaveTextContent('<b>bold</b> line two');
  });

  it('names the channel of messages that came by email or WhatsApp', () => {
    render(
      <ConversationThread
        messages={[message({ id: 'a', channel: 'email' }), message({ id: 'b', channel: 'whatsapp' }), message({ id: 'c' })]}
      />,
    );
    const items = screen.getAllByTestId('thread-message');
    expect(items[0]).toHaveTextContent('via Email');
    expect(items[1]).toHaveTextContent('via WhatsApp');
    expect(items[2]).not.toHaveTextContent('via');
  });

  it('tells the customer when an email copy of a reply could not be delivered', () => {
    render(
      <ConversationThread
        messages={[
          message({ id: 'a', role: 'agent', channel: 'email', delivery_status: 'failed' }),
          message({ id: 'b', role: 'agent', channel: 'web_form', delivery_status: 'pending' }),
        ]}
      />,
    );
    const items = screen.getAllByTestId('thread-message');
    expect(items[0]).toHaveTextContent('Not delivered by email');
    expect(items[1]).not.toHaveTextContent(/Sending|Not delivered/);
  });

  it('shows how far each WhatsApp reply got: queued, sent, delivered, read or not delivered', () => {
    const statuses = ['queued', 'sent', 'delivered', 'read', 'failed', 'undelivered'];
    render(
      <ConversationThread
        messages={statuses.map((status) =>
          message({ id: status, role: 'agent', channel: 'whatsapp', delivery_status: status }),
        )}
      />,
    );
    const notes = screen.getAllByTestId('thread-message').map((item) => item.textContent);
    expect(notes[0]).toContain('Queued on WhatsApp');
    expect(notes[1]).toContain('Sent on WhatsApp');
    expect(notes[2]).toContain('Delivered on WhatsApp');
    expect(notes[3]).toContain('Read on WhatsApp');
    expect(notes[4]).toContain('Not delivered by whatsapp');
    expect(notes[5]).toContain('Not delivered by whatsapp');
  });

  it('shows a person’s answer to the customer as from the support team, or by first name', () => {
    render(
      <ConversationThread
        messages={[
          message({ id: 'a', role: 'staff', content: 'A person here.' }),
          message({ id: 'b', role: 'staff', content: 'Sam here.', author: { id: 'u1', name: 'Sam Lee' } }),
        ]}
      />,
    );
    const items = screen.getAllByTestId('thread-message');
    expect(items.map((item) => item.dataset.role)).toEqual(['staff', 'staff']);
    expect(items[0]?.querySelector('.thread__author')).toHaveTextContent(/^Support team$/);
    expect(items[1]?.querySelector('.thread__author')).toHaveTextContent(/^Sam$/);
    expect(items[1]).not.toHaveTextContent('Lee');
  });

  it('names everyone for staff: the customer, the AI agent, colleagues in full, and every channel', () => {
    render(
      <ConversationThread
        perspective="staff"
        customerName="Ada Lovelace"
        messages={[
          message({ id: 'a' }),
          message({ id: 'b', role: 'agent' }),
          message({ id: 'c', role: 'staff', author: { name: 'Sam Lee' } }),
        ]}
      />,
    );
    const authors = screen.getAllByTestId('thread-message').map((item) => item.querySelector('.thread__author')?.textContent);
    expect(authors).toEqual(['Ada Lovelace', 'AI agent', 'Sam Lee']);
    expect(screen.getAllByTestId('thread-message')[0]).toHaveTextContent('via Web form');
  });

  it('says when there are no messages yet', () => {
    render(<ConversationThread messages={[]} />);
    expect(screen.getByText('No messages yet.')).toBeInTheDocument();
  });
});
