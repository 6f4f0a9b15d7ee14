'use client';
// Controls for a page's own URL parameters (error category, age bucket, breach state, cut-off…): a
// change rewrites the URL, the server renders the new view, and the link stays shareable.
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useEffect, useRef, useState, useTransition } from 'react';
import { fromInputValue, toInputValue } from './format';

function useParamSetter() {
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const [pending, startTransition] = useTransition();
  const set = (name: string, value: string | null) => {
    const next = new URLSearchParams(params.toString());
    if (value === null || value === '') next.delete(name);
    else next.set(name, value);
    next.delete('cursor');
    const qs = next.toString();
    startTransition(() => router.push(qs ? `${pathname}?${qs}` : pathname, { scroll: false }));
  };
  return { params, set, pending };
}

/**
 * A choice from a list. Picked with the mouse it applies at once; browsed with the keyboard (arrow keys
 * on the closed list change its value in Chromium) it applies on Enter or on leaving the list, so
 * going through the options does not load a page for each one.
 */
export function ParamSelect({ name, label, options, allLabel = 'All' }: { name: string; label: string; options: { value: string; label: string }[]; allLabel?: string }) {
  const { params, set, pending } = useParamSetter();
  const given = params.get(name) ?? '';
  // several values in another order than a choice's (`failed,posted`) are that choice
  const sameSet = (a: string, b: string) => a.split(',').sort().join(',') === b.split(',').sort().join(',');
  const current = options.find((o) => o.value === given)?.value ?? options.find((o) => sameSet(o.value, given))?.value ?? given;
  const [choice, setChoice] = useState(current);
  const keyed = useRef(false);
  useEffect(() => setChoice(current), [current]);
  const apply = (value: string) => value !== current && set(name, value);
  return (
    <label>
      {label}
      <select
        value={choice}
        onKeyDown={(e) => {
          if (e.key === 'Enter') apply(choice);
          else if (e.key !== 'Tab') keyed.current = true;
        }}
        onMouseDown={() => (keyed.current = false)}
        onChange={(e) => {
          setChoice(e.target.value);
          if (!keyed.current) apply(e.target.value);
          keyed.current = false;
        }}
        onBlur={() => apply(choice)}
        aria-busy={pending}
        data-testid={`param-${name}`}
      >
        <option value="">{allLabel}</option>
        {/* a value the link set that is none of the choices (several at once): shown as it is, not as "All" */}
        {current && !options.some((o) => o.value === current) && <option value={current}>{current}</option>}
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
}

/** An instant (UTC) for a parameter such as the inventory cut-off `as_of`; empty = the page's default. */
export function ParamDateTime({ name, label, placeholder }: { name: string; label: string; placeholder?: string }) {
  const { params, set } = useParamSetter();
  const current = params.get(name);
  const [value, setValue] = useState(toInputValue(current));
  return (
    <label>
      {label}
      <input
        type="datetime-local"
        value={value}
        onChange={(e) => setValue(e.target.value)}
        onBlur={() => value !== toInputValue(current) && set(name, value ? fromInputValue(value) : null)}
        onKeyDown={(e) => e.key === 'Enter' && set(name, value ? fromInputValue(value) : null)}
        data-testid={`param-${name}`}
      />
      <span className="fb-meta">UTC</span>
      {current ? (
        <button type="button" className="btn btn-quiet" onClick={() => (setValue(''), set(name, null))}>
          clear
        </button>
      ) : (
        placeholder && <span className="fb-meta">{placeholder}</span>
      )}
    </label>
  );
}

export function ParamText({ name, label, placeholder }: { name: string; label: string; placeholder?: string }) {
  const { params, set } = useParamSetter();
  const [value, setValue] = useState(params.get(name) ?? '');
  return (
    <label>
      {label}
      <input
        type="text"
        value={value}
        placeholder={placeholder}
        onChange={(e) => setValue(e.target.value)}
        onKeyDown={(e) => e.key === 'Enter' && set(name, value.trim() || null)}
        onBlur={() => value.trim() !== (params.get(name) ?? '') && set(name, value.trim() || null)}
        data-testid={`param-${name}`}
        style={{ width: '9rem' }}
      />
    </label>
  );
}
