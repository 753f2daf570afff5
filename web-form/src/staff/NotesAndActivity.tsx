import { formatDateTime } from '../labels';
import type { SignedOutHandler } from './problems';
import type { Note, StaffAction } from './staffApi';
import { describeAction } from './staffLabels';
import { TextForm } from './TextForm';

interface NotesAndActivityProps {
  notes: Note[];
  actions: StaffAction[];
  /** A colleague's name from their id (the log records whom a ticket was assigned to by id). */
  nameOf: (id: string) => string | undefined;
  idPrefix: string;
  onAddNote: (text: string, isPrivate: boolean) => Promise<void>;
  onSignedOut: SignedOutHandler;
}

/** A ticket's internal notes (private ones marked), the note box, and the log of staff actions. */
export function NotesAndActivity({ notes, actions, nameOf, idPrefix, onAddNote, onSignedOut }: NotesAndActivityProps) {
  const sectionId = (name: string) => `${idPrefix}-${name}`;
  return (
    <>
      <h2 className="section-title" id={sectionId('notes')}>
        Internal notes
      </h2>
      <p className="muted">The customer never sees these.</p>
      {notes.length === 0 ? (
        <p className="muted">No notes yet.</p>
      ) : (
        <ul className="notes" aria-labelledby={sectionId('notes')}>
          {notes.map((item) => (
            <li key={item.id} className={`note${item.private ? ' note--private' : ''}`} data-testid="note" data-private={item.private}>
              <p className="thread__meta">
                <span className="thread__author">{item.author.name || 'Someone'}</span>
                {item.created_at ? (
                  <>
                    {' · '}
                    <time dateTime={item.created_at}>{formatDateTime(item.created_at)}</time>
                  </>
                ) : null}
                {item.private ? (
                  <>
                    {' · '}
                    <span className="badge badge--private">Private</span>
                  </>
                ) : null}
              </p>
              <div className="thread__content">{item.body}</div>
            </li>
          ))}
        </ul>
      )}
      <TextForm
        testId="note-form"
        label="Add a note"
        hint="For the team only. Ctrl+Enter adds it."
        submitLabel="Add note"
        busyLabel="Adding…"
        emptyMessage="Write the note first."
        checkbox={{ label: 'Private', hint: 'Only you will see a private note.' }}
        onSubmit={onAddNote}
        onSignedOut={onSignedOut}
      />

      <h2 className="section-title" id={sectionId('log')}>
        Activity
      </h2>
      {actions.length === 0 ? (
        <p className="muted">No one on the team has acted on this ticket yet.</p>
      ) : (
        <ol className="action-log" aria-labelledby={sectionId('log')}>
          {actions.map((entry, index) => (
            <li key={`${entry.created_at}-${index}`} data-testid="action">
              <span className="thread__author">{entry.staff.name || 'Someone'}</span> {describeAction(entry, nameOf)}
              {entry.created_at ? (
                <>
                  {' · '}
                  <time dateTime={entry.created_at}>{formatDateTime(entry.created_at)}</time>
                </>
              ) : null}
            </li>
          ))}
        </ol>
      )}
    </>
  );
}
