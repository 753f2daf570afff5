/** Human wording for values the API sends as codes. Unknown codes fall back to a readable form. */

export const COMPANY_NAME = 'Northwind Cloud';
export const AGENT_NAME = 'Northwind Cloud Support';

function humanise(code: string): string {
  const words = code.replace(/[_-]+/g, ' ').trim();
  return words === '' ? code : words.charAt(0).toUpperCase() + words.slice(1);
}

const CATEGORY_LABELS: Record<string, string> = {
  general: 'General question',
  technical: 'Technical problem',
  billing: 'Billing and payments',
  account: 'Account and login',
  feedback: 'Feedback',
};

const PRIORITY_LABELS: Record<string, string> = {
  low: 'Low',
  medium: 'Medium',
  high: 'High — it is blocking my work',
};

const PRIORITY_SHORT_LABELS: Record<string, string> = {
  low: 'Low',
  medium: 'Medium',
  high: 'High',
};

export interface StatusInfo {
  label: string;
  description: string;
  tone: 'neutral' | 'progress' | 'success' | 'attention' | 'danger';
}

const STATUS_INFO: Record<string, StatusInfo> = {
  received: {
    label: 'Received',
    description: 'We have your message and our assistant is reading it now.',
    tone: 'neutral',
  },
  open: {
    label: 'Being worked on',
    description: 'Our assistant is working on your request.',
    tone: 'progress',
  },
  answered: {
    label: 'Answered',
    description: 'We have replied below. Add a reply if you need anything else.',
    tone: 'success',
  },
  escalated: {
    label: 'Passed to a person on our team',
    description: 'A member of our support team will pick this up and reply here.',
    tone: 'attention',
  },
  resolved: {
    label: 'Resolved',
    description: 'This request is resolved. Add a reply if you still need help.',
    tone: 'success',
  },
  failed: {
    label: 'Delayed',
    description:
      'Something went wrong while we were handling this request. You can add a reply below, or send a new request.',
    tone: 'danger',
  },
};

const CHANNEL_LABELS: Record<string, string> = {
  web_form: 'Web form',
  web: 'Web form',
  email: 'Email',
  gmail: 'Email',
  whatsapp: 'WhatsApp',
};

export function categoryLabel(code: string): string {
  return CATEGORY_LABELS[code] ?? humanise(code);
}

/** Option text in the form's Priority select. */
export function priorityOptionLabel(code: string): string {
  return PRIORITY_LABELS[code] ?? humanise(code);
}

export function priorityLabel(code: string): string {
  return PRIORITY_SHORT_LABELS[code] ?? humanise(code);
}

export function statusInfo(status: string): StatusInfo {
  return STATUS_INFO[status] ?? { label: humanise(status), description: '', tone: 'neutral' };
}

export function channelLabel(code: string): string {
  return CHANNEL_LABELS[code] ?? humanise(code);
}

export function isWebChannel(code: string): boolean {
  return code === '' || CHANNEL_LABELS[code] === 'Web form';
}

export function formatDateTime(iso: string): string {
  if (iso === '') return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}
