'use client';
// The filter bar every page shares, all of it kept in the URL: time range (1h/24h/7d/30d or a custom
// from/to), the as-of instant (`at`: the view as it stood then; none = live), plants and flows. A live
// view refreshes itself every 30 s (pausable; the choice is remembered in this browser).
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useEffect, useRef, useState, useTransition, type ReactNode } from 'react';
import { FLOWS } from '@/lib/contract';
import { DEFAULT_RANGE, RANGE_PRESETS, listParam } from './links';
import { flowLabel, fmtUtc, fromInputValue, toInputValue } from './format';
import { cursorInstant, parseInstant } from '@/lib/instant';

const REFRESH_MS = 30_000;
const PAUSE_KEY = 'plantline.autorefresh.paused';

export function FilterBar({ plants, renderedAt }: { plants: string[]; renderedAt: string }) {
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const [navigating, startTransition] = useTransition();

  const go = (mutate: (p: URLSearchParams) => void) => {
    const next = new URLSearchParams(params.toString());
    mutate(next);
    next.delete('cursor');
    const qs = next.toString();
    startTransition(() => router.push(qs ? `${pathname}?${qs}` : pathname, { scroll: false }));
  };

  const custom = params.has('from') || params.has('to');
  // search looks back 90 days unless a range is picked: there, no preset is the default
  const defaultRange = pathname === '/search' ? null : DEFAULT_RANGE;
  const range = custom ? 'custom' : (params.get('range') ?? defaultRange);
  // pinned by `at`, or by a later page's cursor (the list as its first page read it)
  const at = params.get('at') ?? cursorInstant(params.get('cursor'))?.toISOString() ?? null;
  const selectedPlants = listParam(params, 'plant');
  const unknownPlants = selectedPlants.filter((p) => !plants.includes(p));
  const selectedFlows = listParam(params, 'flow');
  // when this page's numbers were read: the layout's render time on a refresh, else when a navigation
  // (to another page, or other filters: the layout is kept and not rendered again) arrived
  const [readAt, setReadAt] = useState(renderedAt);
  const query = params.toString();
  const firstRender = useRef(true);
  useEffect(() => setReadAt(renderedAt), [renderedAt]);
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    setReadAt(new Date().toISOString());
  }, [pathname, query]);

  // the inventory variance is per plant and key at a cut-off: the time range and flows do not apply there
  // (they stay in the URL for the other pages)
  const perKeyAtCutoff = pathname === '/inventory';

  return (
    <div className="filter-bar" data-testid="filter-bar" aria-busy={navigating}>
      {!perKeyAtCutoff && (
      <div className="fb-group">
        <span className="fb-label">Range</span>
        <div className="seg" role="group" aria-label="Time range">
          {RANGE_PRESETS.map((p) => (
            <button
              key={p.key}
              type="button"
              aria-pressed={range === p.key}
              data-testid={`range-${p.key}`}
              onClick={() =>
                go((n) => {
                  n.delete('from');
                  n.delete('to');
                  if (p.key === defaultRange) n.delete('range');
                  else n.set('range', p.key);
                })
              }
            >
              {p.label}
            </button>
          ))}
          <CustomRange
            active={custom}
            from={params.get('from')}
            to={params.get('to')}
            onApply={(from, to) =>
              go((n) => {
                n.delete('range');
                n.set('from', from);
                if (to) n.set('to', to);
                else n.delete('to');
              })
            }
          />
        </div>
      </div>
      )}

      <div className="fb-group">
        <span className="fb-label">Plants</span>
        <MultiSelect
          testId="plant-filter"
          allLabel="All plants"
          options={[...new Set([...plants, ...selectedPlants])].map((p) => ({ value: p, label: p }))}
          selected={selectedPlants}
          onChange={(values) => go((n) => (n.delete('plant'), values.forEach((v) => n.append('plant', v))))}
        />
        {/* a link naming a plant that has sent nothing (mistyped, retired, or not the viewer's) shows zeros: say why */}
        {unknownPlants.length > 0 && (
          <span className="fb-meta fb-warn" role="note" data-testid="unknown-plants">
            {unknownPlants.length === 1 ? `No postings from plant ${unknownPlants[0]}` : `No postings from plants ${unknownPlants.join(', ')}`} (none received, or not one of your plants)
          </span>
        )}
      </div>

      {!perKeyAtCutoff && (
        <div className="fb-group">
          <span className="fb-label">Flows</span>
          <MultiSelect
            testId="flow-filter"
            allLabel="All flows"
            options={FLOWS.map((f) => ({ value: f, label: flowLabel(f) }))}
            selected={selectedFlows}
            onChange={(values) => go((n) => (n.delete('flow'), values.forEach((v) => n.append('flow', v))))}
          />
        </div>
      )}

      <div className="fb-group">
        <span className="fb-label">As of</span>
        <AsOf at={at} onChange={(value) => go((n) => (value ? n.set('at', value) : n.delete('at')))} />
      </div>

      <div className="fb-spacer" />
      <AutoRefresh live={!at} renderedAt={readAt} onRefresh={() => startTransition(() => router.refresh())} busy={navigating} />
    </div>
  );
}

/** Close a <details> dropdown on a click outside it or on Escape. */
function useDismiss(ref: React.RefObject<HTMLDetailsElement | null>) {
  useEffect(() => {
    // closed by Escape, a click elsewhere, or the keyboard focus moving out of it (Tab past its end)
    const close = (e: Event) => {
      const el = ref.current;
      if (!el || !el.open) return;
      if (e instanceof KeyboardEvent ? e.key === 'Escape' : !el.contains(e.target as Node)) el.open = false;
    };
    document.addEventListener('mousedown', close);
    document.addEventListener('keydown', close);
    document.addEventListener('focusin', close);
    return () => {
      document.removeEventListener('mousedown', close);
      document.removeEventListener('keydown', close);
      document.removeEventListener('focusin', close);
    };
  }, [ref]);
}

function Dropdown({ summary, children, testId, active }: { summary: ReactNode; children: ReactNode; testId?: string; active?: boolean }) {
  const ref = useRef<HTMLDetailsElement>(null);
  useDismiss(ref);
  return (
    <details ref={ref} className="multi" data-testid={testId}>
      <summary className="btn" aria-pressed={active} style={active ? { borderColor: 'var(--accent)', color: 'var(--accent)' } : undefined}>
        {summary}
      </summary>
      <div className="multi-menu">{children}</div>
    </details>
  );
}

function MultiSelect({ options, selected: fromUrl, onChange, allLabel, testId }: { options: { value: string; label: string }[]; selected: string[]; onChange: (v: string[]) => void; allLabel: string; testId: string }) {
  // the boxes answer at once; the URL (and so the page) follows
  const [selected, setSelected] = useState(fromUrl);
  const urlKey = fromUrl.join(',');
  useEffect(() => setSelected(urlKey ? urlKey.split(',') : []), [urlKey]);
  const change = (values: string[]) => {
    setSelected(values);
    onChange(values);
  };
  const summary = selected.length === 0 ? allLabel : selected.length <= 2 ? selected.map((s) => options.find((o) => o.value === s)?.label ?? s).join(', ') : `${selected.length} selected`;
  return (
    <Dropdown summary={summary} testId={testId} active={selected.length > 0}>
      {options.length === 0 && <div className="fb-meta" style={{ padding: '0.3rem 0.45rem' }}>nothing received yet</div>}
      {options.map((o) => (
        <label key={o.value}>
          <input
            type="checkbox"
            checked={selected.includes(o.value)}
            data-testid={`${testId}-${o.value}`}
            onChange={(e) => change(e.target.checked ? [...selected, o.value] : selected.filter((s) => s !== o.value))}
          />
          {o.label}
        </label>
      ))}
      <div className="menu-actions">
        <button type="button" className="btn btn-quiet" onClick={() => change([])} disabled={selected.length === 0}>
          {allLabel}
        </button>
      </div>
    </Dropdown>
  );
}

function CustomRange({ active, from, to, onApply }: { active: boolean; from: string | null; to: string | null; onApply: (from: string, to: string | null) => void }) {
  const [f, setF] = useState(toInputValue(from));
  const [t, setT] = useState(toInputValue(to));
  const ref = useRef<HTMLDetailsElement>(null);
  useDismiss(ref);
  const label = active && from ? `${fmtUtc(from, 'MMM d HH:mm')} – ${to ? fmtUtc(to, 'MMM d HH:mm') : 'as of'}` : 'Custom';
  return (
    <details ref={ref} className="multi" style={{ display: 'inline-block' }} data-testid="range-custom">
      <summary aria-pressed={active} style={{ padding: '0.28rem 0.65rem', cursor: 'pointer', background: active ? 'var(--accent)' : undefined, color: active ? '#fff' : undefined }}>
        {label}
      </summary>
      <form
        className="multi-menu"
        style={{ display: 'grid', gap: '0.5rem', padding: '0.75rem', minWidth: '16rem' }}
        onSubmit={(e) => {
          e.preventDefault();
          if (!f) return;
          ref.current!.open = false;
          onApply(fromInputValue(f), t ? fromInputValue(t) : null);
        }}
      >
        <label style={{ display: 'grid', gap: '0.2rem' }}>
          <span className="fb-label">From (UTC, occurred at)</span>
          <input type="datetime-local" value={f} onChange={(e) => setF(e.target.value)} required />
        </label>
        <label style={{ display: 'grid', gap: '0.2rem' }}>
          <span className="fb-label">To (UTC; empty = as of)</span>
          <input type="datetime-local" value={t} onChange={(e) => setT(e.target.value)} />
        </label>
        <button type="submit" className="btn btn-primary">Apply</button>
      </form>
    </details>
  );
}

function AsOf({ at, onChange }: { at: string | null; onChange: (v: string | null) => void }) {
  const [value, setValue] = useState(toInputValue(at));
  const ref = useRef<HTMLDetailsElement>(null);
  useDismiss(ref);
  useEffect(() => setValue(toInputValue(at)), [at]);
  const pinned = at ? parseInstant(at) : null;
  // said after hydration (the server's and the browser's clocks need not agree on the edge)
  const [future, setFuture] = useState(false);
  useEffect(() => setFuture(pinned instanceof Date && pinned.getTime() > Date.now() + 60_000), [pinned instanceof Date ? pinned.getTime() : null]);
  return (
    <>
      {at ? (
        <span className="pinned" data-testid="as-of" title="The view as it stood at this instant: later events do not exist yet">
          {fmtUtc(pinned instanceof Date ? pinned.toISOString() : at, 'MMM d, yyyy HH:mm:ss')} UTC
          {future && <strong className="num-pending" data-testid="as-of-future"> · in the future: nothing after now is known yet</strong>}
        </span>
      ) : (
        <span className="fb-meta" data-testid="as-of">now</span>
      )}
      <details ref={ref} className="multi">
        <summary className="btn btn-quiet" title="Show the view as it stood at an earlier instant">{at ? 'change as-of' : 'view an earlier instant…'}</summary>
        <form
          className="multi-menu"
          style={{ display: 'grid', gap: '0.5rem', padding: '0.75rem', minWidth: '15rem' }}
          onSubmit={(e) => {
            e.preventDefault();
            ref.current!.open = false;
            onChange(value ? fromInputValue(value) : null);
          }}
        >
          <label style={{ display: 'grid', gap: '0.2rem' }}>
            <span className="fb-label">Show the view as it stood at (UTC)</span>
            <input type="datetime-local" step={1} value={value} onChange={(e) => setValue(e.target.value)} />
          </label>
          <button type="submit" className="btn btn-primary">Apply</button>
        </form>
      </details>
      {at && (
        <button type="button" className="btn" onClick={() => onChange(null)} data-testid="back-to-live" title="Back to the live view">
          Live
        </button>
      )}
    </>
  );
}

function AutoRefresh({ live, renderedAt, onRefresh, busy }: { live: boolean; renderedAt: string; onRefresh: () => void; busy: boolean }) {
  const [paused, setPaused] = useState(false);
  const refresh = useRef(onRefresh);
  useEffect(() => {
    refresh.current = onRefresh;
  });
  useEffect(() => setPaused(window.localStorage.getItem(PAUSE_KEY) === '1'), []);
  useEffect(() => {
    if (!live || paused) return;
    const timer = window.setInterval(() => {
      // a wall screen in another tab or asleep does not need to query
      if (document.visibilityState === 'visible') refresh.current();
    }, REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [live, paused]);
  const toggle = () => {
    window.localStorage.setItem(PAUSE_KEY, paused ? '0' : '1');
    setPaused(!paused);
  };
  return (
    <div className="fb-group" data-testid="auto-refresh">
      <span className="fb-meta" title="When the numbers on this page were read">
        {busy ? 'Updating…' : `Read ${fmtUtc(renderedAt, 'HH:mm:ss')} UTC`}
      </span>
      {live && (
        <>
          <span className="fb-meta">
            <span className={`live-dot${paused ? ' paused' : ''}`} /> {paused ? 'Auto-refresh paused' : 'Auto-refresh 30 s'}
          </span>
          <button type="button" className="btn" onClick={toggle} data-testid="refresh-toggle">
            {paused ? 'Resume' : 'Pause'}
          </button>
        </>
      )}
      <button type="button" className="btn" onClick={onRefresh} title="Read the numbers again now" aria-label="Refresh">
        ↻
      </button>
    </div>
  );
}
