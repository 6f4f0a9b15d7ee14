'use client';
// What ERP support and plant IT can do with one transaction: acknowledge, assign, comment, resolve or
// reopen an exception, and replay a failed posting. Each call goes to /api/v1/transactions/{id}/…,
// is appended with who and why, and shows in the timeline after the refresh.
import { useRouter } from 'next/navigation';
import { useState } from 'react';

type Props = {
  correlationId: string;
  status: string;
  state: string;
  canAct: boolean;
  canReplay: boolean;
  /** a replay still waiting for its outcome (the server refuses another meanwhile), in words */
  replayWaiting: string | null;
};

export function ActionPanel({ correlationId, status, state, canAct, canReplay, replayWaiting }: Props) {
  const router = useRouter();
  const [text, setText] = useState('');
  const [assignee, setAssignee] = useState('');
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  // requested from this page: not offered again before the refresh shows it waiting (the page gives the
  // panel a new key when the status, the attempts or the waiting replay change, which starts it afresh)
  const [replayed, setReplayed] = useState(false);
  const base = `/api/v1/transactions/${encodeURIComponent(correlationId)}`;

  async function send(path: string, body: Record<string, unknown>, done: string): Promise<boolean> {
    setBusy(true);
    setMessage(null);
    const res = await fetch(`${base}/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const data = (await res.json().catch(() => ({}))) as { error?: string; problems?: string[] };
    setBusy(false);
    if (!res.ok) {
      setMessage({ ok: false, text: data.problems?.join('; ') ?? data.error ?? `failed (${res.status})` });
      return false;
    }
    setMessage({ ok: true, text: done });
    setText('');
    router.refresh();
    return true;
  }

  const exception = status === 'failed';
  return (
    <div className="admin-form action-panel" data-testid="tx-actions">
      <label style={{ flex: '1 1 22rem' }}>
        Comment / reason
        <textarea rows={2} value={text} onChange={(e) => setText(e.target.value)} placeholder="What was done, or why" />
      </label>
      {canAct && exception && (
        <>
          <button className="btn" disabled={busy || state === 'acknowledged'} onClick={() => send('actions', { action: 'acknowledge', comment: text || undefined }, 'Acknowledged.')}>
            Acknowledge
          </button>
          <label>
            Assign to
            <input value={assignee} onChange={(e) => setAssignee(e.target.value)} placeholder="name" />
          </label>
          <button className="btn" disabled={busy || !assignee} onClick={() => send('actions', { action: 'assign', assignee, comment: text || undefined }, `Assigned to ${assignee}.`)}>
            Assign
          </button>
          {state === 'resolved' ? (
            <button className="btn" disabled={busy || !text} onClick={() => send('actions', { action: 'reopen', comment: text }, 'Reopened.')}>
              Reopen
            </button>
          ) : (
            <button className="btn" disabled={busy || !text} title="Say what was done in the comment" onClick={() => send('actions', { action: 'resolve', comment: text }, 'Resolved by hand.')}>
              Resolve by hand
            </button>
          )}
        </>
      )}
      {canAct && (
        <button className="btn" disabled={busy || !text} onClick={() => send('actions', { action: 'comment', comment: text }, 'Comment added.')}>
          Comment
        </button>
      )}
      {canReplay && exception && (
        <button
          className="btn btn-primary"
          disabled={busy || replayed || replayWaiting !== null || text.trim().length < 3}
          title={replayWaiting ?? 'Post the failed attempt again, with its original idempotency key; give the reason'}
          data-testid="replay-button"
          onClick={async () => setReplayed(await send('replay', { reason: text }, 'Replay requested: the middleware posts it again with the original idempotency key.'))}
        >
          Replay
        </button>
      )}
      {canReplay && exception && replayWaiting && (
        <p className="fb-meta" style={{ flexBasis: '100%', margin: 0 }} data-testid="replay-waiting">
          {replayWaiting}
        </p>
      )}
      {message && (
        <p role={message.ok ? 'status' : 'alert'} className={message.ok ? undefined : 'form-error'} style={{ flexBasis: '100%', margin: 0 }}>
          {message.text}
        </p>
      )}
    </div>
  );
}
