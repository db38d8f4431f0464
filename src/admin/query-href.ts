/**
 * Links that keep a page's filters: `hrefOf('/admin/ui/journal', {side: 'max', before: '120'})`
 * → `/admin/ui/journal?side=max&before=120`; empty and undefined values are left out, so a
 * cleared filter disappears from the link.
 */
export function hrefOf(path: string, params: Readonly<Record<string, string | number | undefined | null>>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    search.set(name, String(value));
  }
  const text = search.toString();
  return text === '' ? path : `${path}?${text}`;
}

/** The page's own filters from its query: only the named ones, trimmed, at most `maxChars` each (longer: left out). */
export function filtersOf<K extends string>(query: Readonly<Record<string, string>>, names: readonly K[], maxChars = 200): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {};
  for (const name of names) {
    const value = query[name]?.trim();
    if (value !== undefined && value !== '' && value.length <= maxChars) out[name] = value;
  }
  return out;
}
