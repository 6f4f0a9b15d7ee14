'use client';
// What ERP support and plant IT can do with one transaction: acknowledge, assign, comment, resolve or
// reopen an exception, and replay a failed posting. Each call goes to /api/v1/transactions/{id}/…,
// is appended with who and why, and shows in the timeline after the refresh.
import { useRouter } from 'next/navigation';
import { useEffect, useRef, useState } from 'react';

type Props = {
  correlationId: string;
  /** changes with the transaction's status, attempts and waiting replay (a replay's outcome came in) */
  generation: string;
  status: string;
  state: string;
  canAct: boolean;
  canReplay: boolean;
  /** a replay still waiting for its outcome (the server refuses another meanwhile), in words */
  replayWaiting: string | null;
};

export function ActionPanel({ correlationId, generation, status, state, canAct, canReplay, replayWaiting }: Props) {
  const router = useRouter();
  const [text, setText] = useState('');
  const [assignee, setAssignee] = useState('');
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  // one request at a time; the buttons stay enabled meanwhile (a disabled button would drop the
  // keyboard focus to the page), a second press is ignored
  const inFlight = useRef(false);
  const statusRef = useRef<HTMLParagraphElement>(null);
  const alertRef = useRef<HTMLParagraphElement>(null);
  // after an answer (once it is rendered, with the buttons it leaves available), a keyboard user whose
  // button just became unavailable (a comment sent clears the text) is taken to the answer, not left on
  // the page's body
  useEffect(() => {
    if (!message) return;
    const active = document.activeElement as HTMLButtonElement | null;
    if (!active || active === document.body || active.disabled) (message.ok ? statusRef : alertRef).current?.focus();
  }, [message]);
  // requested from this page: not offered again before the refresh shows it waiting, and offered again
  // once the transaction has moved on (a new status, attempt or waiting replay)
  const [replayed, setReplayed] = useState(false);
  useEffect(() => setReplayed(false), [generation]);
  const base = `/api/v1/transactions/${encodeURIComponent(correlationId)}`;

  async function send(path: string, body: Record<string, unknown>, done: string): Promise<boolean> {
    if (inFlight.current) return false;
    inFlight.current = true;
    setBusy(true);
    setMessage(null);
    try {
      const res = await fetch(`${base}/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const data = (await res.json().catch(() => ({}))) as { error?: string; problems?: string[] };
      if (!res.ok) {
        setMessage({ ok: false, text: data.problems?.join('; ') ?? data.error ?? `failed (${res.status})` });
        return false;
      }
      setMessage({ ok: true, text: done });
      setText('');
      router.refresh();
      return true;
    } catch {
      // the request may or may not have reached Plantline: the timeline tells, after a refresh
      setMessage({ ok: false, text: 'No answer from Plantline (network error). Refresh the page and check the timeline before trying again.' });
      return false;
    } finally {
      inFlight.current = false;
      setBusy(false);
    }
  }

  const exception = status === 'failed';
  const needsText = !text.trim();
  const hint = 'action-hint';
  return (
    <div className="admin-form action-panel" data-testid="tx-actions" aria-busy={busy}>
      <label style={{ flex: '1 1 22rem' }}>
        Comment / reason
        <textarea rows={2} value={text} onChange={(e) => setText(e.target.value)} placeholder="What was done, or why" />
      </label>
      {canAct && exception && (
        <>
          <button className="btn" disabled={state === 'acknowledged'} title={state === 'acknowledged' ? 'Already acknowledged' : undefined} onClick={() => send('actions', { action: 'acknowledge', comment: text || undefined }, 'Acknowledged.')}>
            Acknowledge
          </button>
          <label>
            Assign to
            <input value={assignee} onChange={(e) => setAssignee(e.target.value)} placeholder="name" />
          </label>
          <button className="btn" disabled={!assignee.trim()} aria-describedby={hint} onClick={() => send('actions', { action: 'assign', assignee, comment: text || undefined }, `Assigned to ${assignee}.`)}>
            Assign
          </button>
          {state === 'resolved' ? (
            <button className="btn" disabled={needsText} aria-describedby={hint} onClick={() => send('actions', { action: 'reopen', comment: text }, 'Reopened.')}>
              Reopen
            </button>
          ) : (
            <button className="btn" disabled={needsText} aria-describedby={hint} onClick={() => send('actions', { action: 'resolve', comment: text }, 'Resolved by hand.')}>
              Resolve by hand
            </button>
          )}
        </>
      )}
      {canAct && (
        <button className="btn" disabled={needsText} aria-describedby={hint} onClick={() => send('actions', { action: 'comment', comment: text }, 'Comment added.')}>
          Comment
        </button>
      )}
      {canReplay && exception && (
        <button
          className="btn btn-primary"
          disabled={replayed || replayWaiting !== null || text.trim().length < 3}
          aria-describedby={hint}
          data-testid="replay-button"
          onClick={async () => setReplayed(await send('replay', { reason: text }, 'Replay requested: the middleware posts it again with the original idempotency key.'))}
        >
          Replay
        </button>
      )}
      {/* why a button is not available, in words (not only in a tooltip) */}
      <p className="fb-meta wrap" id={hint} style={{ flexBasis: '100%', margin: 0 }} data-testid={replayWaiting && canReplay && exception ? 'replay-waiting' : 'action-hint'}>
        {canReplay && exception && replayWaiting
          ? replayWaiting
          : [
              canAct && exception && !assignee.trim() ? 'Assign needs a name.' : '',
              canAct && needsText ? `${exception ? (state === 'resolved' ? 'Reopen' : 'Resolve') + ' and comment need' : 'A comment needs'} a comment.` : '',
              canReplay && exception && !replayed && text.trim().length < 3 ? 'Replay needs a reason of at least 3 characters: it posts the failed attempt again with its original idempotency key.' : '',
            ].filter(Boolean).join(' ')}
      </p>
      {/* live regions present from the start, so the text put in them is announced */}
      <p role="status" ref={statusRef} tabIndex={-1} style={{ flexBasis: '100%', margin: 0 }} data-testid="action-result">{message?.ok ? message.text : ''}</p>
      <p role="alert" ref={alertRef} tabIndex={-1} className="form-error" style={{ flexBasis: '100%', margin: 0 }} data-testid="action-error">{message && !message.ok ? message.text : ''}</p>
    </div>
  );
}
