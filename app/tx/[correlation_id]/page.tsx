// One transaction end to end, as it stood at `at`: where it is now (status, SLA, exception state), its
// spans across systems as a waterfall, every posting attempt with its error, document number and
// payload, and what people did since (acknowledge, assign, resolve, replay) — one timeline.
import Link from 'next/link';
import { getReadStore } from '@/clickhouse/shared';
import { getTransaction, type TransactionAction, type TransactionEvent } from '@/queries/getTransaction';
import { resolveView, type PageSearchParams } from '@/components/view';
import { pageAccess, returnPath } from '@/components/viewer';
import { Card, CsvLink, Empty, FilterProblems, MaybeLink } from '@/components/Card';
import { SlaBadge, StatusBadge } from '@/components/StatusBadge';
import { ActionPanel } from '@/components/ActionPanel';
import { outstandingReplay } from '@/lib/actions';
import { Waterfall } from '@/components/Waterfall';
import { categoryLabel, flowLabel, fmtDuration, fmtQty, fmtSigned, fmtUtc } from '@/components/format';

export const dynamic = 'force-dynamic';

export async function generateMetadata({ params }: { params: Promise<{ correlation_id: string }> }) {
  return { title: `Transaction ${decodeURIComponent((await params).correlation_id)}` };
}

type Entry = { at: string; kind: 'event'; event: TransactionEvent } | { at: string; kind: 'action'; action: TransactionAction };

const ACTION_TEXT: Record<string, string> = {
  acknowledge: 'Acknowledged',
  assign: 'Assigned',
  comment: 'Comment',
  resolve: 'Resolved by hand',
  reopen: 'Reopened',
  replay: 'Replay requested',
};

export default async function TransactionPage({ params, searchParams }: { params: Promise<{ correlation_id: string }>; searchParams: Promise<PageSearchParams> }) {
  const id = decodeURIComponent((await params).correlation_id);
  const sp = await searchParams;
  const access = await pageAccess('view:transactions', returnPath(`/tx/${encodeURIComponent(id)}`, sp));
  const view = resolveView(sp);
  if (!view.ok) return <FilterProblems problems={view.problems} />;
  const f = view.filters;
  const payloads = access.can('view:payloads');
  const tx = await getTransaction(await getReadStore(), id, f, access.scope, { payloads });
  if (!tx) {
    return (
      <div className="card error-box" data-testid="tx-not-found">
        <h2>Transaction {id} not found</h2>
        <p>
          No posting result with this correlation id exists {view.live ? 'yet' : `as of ${fmtUtc(f.at, 'MMM d, yyyy HH:mm:ss')} UTC`}
          {access.scope.plants ? ` in your plants (${access.scope.plants.join(', ')})` : ''}. Search by order, material, lot, document or trace id instead:
        </p>
        <Link className="btn" href={view.href('/search', { q: id })}>Search for “{id}”</Link>
      </div>
    );
  }
  const s = tx.summary;
  // a replay still waiting for its outcome (live view only: `at` is now)
  const waiting = view.live ? outstandingReplay(tx, f.at) : null;
  // posted more than once: the target took the transaction twice (a duplicate document)
  const postedEvents = tx.events.filter((e) => e.status === 'posted');
  const first = tx.events[0];
  const latest = tx.events[tx.events.length - 1];
  const keys = (k: keyof TransactionEvent) => [...new Set(tx.events.map((e) => String(e[k] ?? '')).filter(Boolean))];
  const documents = keys('document_no');
  const traceIds = [...new Set([...keys('trace_id'), ...tx.spans.map((x) => x.trace_id)])];
  const traces = new Set(tx.spans.map((x) => x.trace_id)).size;
  const entries: Entry[] = [
    ...tx.events.map((event) => ({ at: event.reported_at, kind: 'event' as const, event })),
    ...tx.actions.map((action) => ({ at: action.at, kind: 'action' as const, action })),
  ].sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || (a.kind === 'event' ? -1 : 1));
  const ageMs = s.exception_since ? f.at.getTime() - Date.parse(s.exception_since) : null;

  return (
    <>
      <div className="page-head">
        <div>
          <div className="crumbs">
            <MaybeLink href={access.open(view.href(`/flows/${encodeURIComponent(s.plant)}`))}>Plant {s.plant}</MaybeLink> / {flowLabel(s.flow)} / transaction
          </div>
          <h1 style={{ display: 'flex', alignItems: 'center', gap: '0.6rem', flexWrap: 'wrap' }}>
            <span className="mono" data-testid="tx-id">{id}</span>
            <StatusBadge status={s.status} testId="tx-status" />
            {s.status === 'failed' && <StatusBadge status={s.state} />}
          </h1>
          <p>
            {flowLabel(s.flow)} at plant {s.plant}, {first.source_system} → {first.target_system} · as of {fmtUtc(f.at, 'MMM d, yyyy HH:mm:ss')} UTC
          </p>
        </div>
        <CsvLink href={view.csv(`/api/v1/transactions/${encodeURIComponent(id)}`)} label="Events as CSV" />
      </div>

      <Card title="Where it stands" testId="tx-summary">
        <div className="card-body">
          <dl className="tx-summary" style={{ margin: 0 }}>
            <div><dt>Status</dt><dd><StatusBadge status={s.status} /></dd></div>
            <div><dt>Occurred</dt><dd>{fmtUtc(s.occurred_at, 'MMM d, HH:mm:ss')} UTC</dd></div>
            <div><dt>First posted</dt><dd>{s.first_posted_at ? `${fmtUtc(s.first_posted_at, 'MMM d, HH:mm:ss')} UTC` : 'not yet'}</dd></div>
            <div><dt>Latency</dt><dd>{s.latency_ms === null ? (s.status === 'posted' ? '—' : `waiting ${fmtDuration(f.at.getTime() - Date.parse(s.occurred_at))}`) : fmtDuration(s.latency_ms)}</dd></div>
            <div><dt>SLA ({s.threshold_minutes} min)</dt><dd><SlaBadge state={s.sla_state} /></dd></div>
            <div><dt>Attempts</dt><dd>{s.attempts} ({tx.events.length} event{tx.events.length === 1 ? '' : 's'})</dd></div>
            {s.exception_since && (
              <div><dt>Failing since</dt><dd>{fmtUtc(s.exception_since, 'MMM d, HH:mm:ss')} UTC · {fmtDuration(ageMs)}</dd></div>
            )}
            {s.status === 'failed' && (
              <div><dt>Exception</dt><dd><StatusBadge status={s.state} />{s.assignee ? ` ${s.assignee}` : ''}</dd></div>
            )}
            <div><dt>Order</dt><dd className="mono">{keys('order_no').join(', ') || '—'}</dd></div>
            <div><dt>Material · lot</dt><dd>{[...keys('material'), ...keys('lot')].join(' · ') || '—'}</dd></div>
            <div><dt>ERP document</dt><dd className="mono" data-testid="tx-documents">{documents.join(', ') || '—'}</dd></div>
            <div><dt>Trace</dt><dd className="mono" title={traceIds.join('\n')}>{traceIds.map((t) => `${t.slice(0, 8)}…${t.slice(-4)}`).join(', ') || '—'}</dd></div>
          </dl>
          {postedEvents.length > 1 && (
            <div className="tl-error" style={{ marginTop: '1rem' }} data-testid="tx-posted-twice">
              <strong>Posted {postedEvents.length} times</strong> into {first.target_system}
              {documents.length ? ` (documents ${documents.join(', ')})` : ''}: the target took this transaction more than once. Check for a duplicate
              document; the inventory variance counts the extra postings as duplicates.
            </div>
          )}
          {latest.status === 'failed' && latest.error_message && (
            <div className="tl-error" style={{ marginTop: '1rem' }}>
              <span className="code">{latest.error_code}</span>
              {categoryLabel(latest.error_category)}: {latest.error_message}
              {latest.error_recoverable === false && <strong> — not recoverable by retrying: fix the cause, then replay.</strong>}
            </div>
          )}
        </div>
      </Card>

      {(access.can('act:exceptions') || access.can('act:replay')) && (
        <div className="section">
          {view.live ? (
            <Card title="Act" sub={s.status === 'failed' ? 'on this exception' : 'comments only: it is not an exception'} testId="tx-act">
              <div className="card-body">
                <ActionPanel
                  // a new status, attempt or waiting replay: Replay is offered again once the outcome is in
                  // (the panel itself stays, with the answer it showed)
                  generation={`${s.status}-${s.attempts}-${waiting?.attempt ?? ''}`}
                  correlationId={id}
                  status={s.status}
                  state={s.state}
                  canAct={access.can('act:exceptions')}
                  canReplay={access.can('act:replay')}
                  replayWaiting={waiting ? `A replay (attempt ${waiting.attempt}) was requested at ${fmtUtc(waiting.at, 'HH:mm:ss')} UTC by ${waiting.actor}: waiting for its outcome.` : null}
                />
              </div>
            </Card>
          ) : (
            <Card title="Act" sub="not on a past view" testId="tx-act">
              <p className="card-body" data-testid="tx-act-pinned">
                This is the transaction as of {fmtUtc(f.at, 'MMM d, yyyy HH:mm:ss')} UTC. Actions and replay act on it as it is now:{' '}
                <Link href={view.href(`/tx/${encodeURIComponent(id)}`, { at: null })}>open it now</Link>.
              </p>
            </Card>
          )}
        </div>
      )}

      <div className="section">
        <Card title="Across systems" sub={tx.spans.length ? `${tx.spans.length} spans in ${traces} trace${traces === 1 ? '' : 's'}` : undefined} testId="tx-spans">
          {tx.spans.length === 0 ? <Empty title="No spans for this transaction">No OpenTelemetry span carries its correlation id or trace id (yet).</Empty> : <Waterfall spans={tx.spans} />}
        </Card>
      </div>

      <div className="section">
        <Card title="Timeline" sub={`${tx.events.length} posting result${tx.events.length === 1 ? '' : 's'}${tx.actions.length ? ` · ${tx.actions.length} action${tx.actions.length === 1 ? '' : 's'}` : ''}`} testId="tx-timeline">
          <div className="card-body">
            <ol className="timeline">
              {entries.map((en) =>
                en.kind === 'event' ? <EventEntry key={en.event.event_id} e={en.event} payloads={payloads} /> : <ActionEntry key={en.action.action_id} a={en.action} />,
              )}
            </ol>
          </div>
        </Card>
      </div>
    </>
  );
}

function EventEntry({ e, payloads }: { e: TransactionEvent; payloads: boolean }) {
  return (
    <li data-testid={`attempt-${e.event_id}`}>
      <span className={`tl-dot ${e.status}`} />
      <div className="tl-head">
        <span className="tl-time">{fmtUtc(e.reported_at, 'MMM d, HH:mm:ss.SSS')}</span>
        <span className="tl-title">
          Attempt {e.attempt} · <StatusBadge status={e.status} />
        </span>
        <span className="fb-meta">
          {e.source_system} → {e.target_system}
          {e.replay_of ? ` · replay of ${e.replay_of}` : ''}
        </span>
      </div>
      <div className="tl-body">
        {e.status === 'failed' && (
          <div className="tl-error" data-testid="attempt-error">
            <span className="code">{e.error_code || 'no code'}</span>
            <span className="tag tag-red">{categoryLabel(e.error_category)}</span>
            {e.error_message}
            {e.error_recoverable !== null && <span className="sub">{e.error_recoverable ? 'recoverable: a retry may work' : 'not recoverable: needs a fix first'}</span>}
          </div>
        )}
        <div className="kv">
          {e.document_no && (
            <span>document <b className="mono">{e.document_no}</b></span>
          )}
          {e.quantity !== null && (
            <span>quantity <b>{fmtQty(e.quantity)} {e.uom}</b></span>
          )}
          {e.stock_delta !== null && (
            <span>stock change <b>{fmtSigned(e.stock_delta)} {e.uom}</b>{e.storage_location ? ` in ${e.storage_location}` : ''}</span>
          )}
          {e.operation && <span>operation <b>{e.operation}</b></span>}
          {e.posting_period && <span>period <b>{e.posting_period}</b></span>}
          <span>event <b className="mono">{e.event_id}</b></span>
          <span>via <b>{e.source}</b></span>
        </div>
        {payloads && e.payload !== null && e.payload !== undefined && e.payload !== '' ? (
          <details className="payload">
            <summary>Payload</summary>
            <pre>{JSON.stringify(e.payload, null, 2)}</pre>
          </details>
        ) : null}
      </div>
    </li>
  );
}

function ActionEntry({ a }: { a: TransactionAction }) {
  return (
    <li data-testid={`action-${a.action_id}`}>
      <span className="tl-dot action" />
      <div className="tl-head">
        <span className="tl-time">{fmtUtc(a.at, 'MMM d, HH:mm:ss.SSS')}</span>
        <span className="tl-title">{ACTION_TEXT[a.action] ?? a.action}</span>
        <span className="fb-meta">
          by {a.actor}
          {a.assignee ? ` → ${a.assignee}` : ''}
        </span>
      </div>
      {a.comment || a.details ? (
        <div className="tl-body">
          {a.comment && <div>{a.comment}</div>}
          {a.details ? (
            <details className="payload">
              <summary>Details</summary>
              <pre>{JSON.stringify(a.details, null, 2)}</pre>
            </details>
          ) : null}
        </div>
      ) : null}
    </li>
  );
}
