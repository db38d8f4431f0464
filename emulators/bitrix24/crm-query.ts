/**
 * Filter, order and select of CRM list methods (b24restdocs crm-lead-list,
 * crm-item-list). A filter key is a field with an optional operation prefix:
 * none or `=` equal (an array value: in the list), `!` / `!=` not equal,
 * `@` in / `!@` not in a list, `>` `>=` `<` `<=` numeric (else textual)
 * comparison, `%` contains / `!%` does not, `=%` / `%=` LIKE with `%`
 * wildcards / `!=%` / `!%=` not LIKE. A numeric key holding an object is a
 * nested filter, `logic: 'OR'` joins its conditions with OR. A multifield
 * (array of `{VALUE}`) or a list of values matches when any element does.
 */

type Row = Record<string, unknown>;

const OPERATIONS = ['!=%', '!%=', '>=', '<=', '!=', '!@', '=%', '%=', '!%', '>', '<', '=', '!', '@', '%'] as const;
type Operation = (typeof OPERATIONS)[number] | '';

export function parseFilterKey(key: string): { op: Operation; field: string } {
  const op = OPERATIONS.find((o) => key.startsWith(o)) ?? '';
  return { op, field: key.slice(op.length) };
}

/** The values a field holds for matching: a multifield's VALUEs, a list's items, or the one value ('' for none). */
function valuesOf(value: unknown): string[] {
  if (Array.isArray(value)) {
    return value.map((v) => (v && typeof v === 'object' ? String((v as Row).VALUE ?? '') : String(v ?? '')));
  }
  return [value === null || value === undefined ? '' : String(value)];
}

function listOf(value: unknown): string[] {
  const list = Array.isArray(value) ? value : value && typeof value === 'object' ? Object.values(value) : String(value ?? '').split(',');
  return list.map((v) => String(v));
}

function compare(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  if (a !== '' && b !== '' && Number.isFinite(x) && Number.isFinite(y)) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
}

function like(value: string, pattern: string): boolean {
  const source = pattern.split('%').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${source}$`, 'i').test(value);
}

function condition(values: string[], op: Operation, wanted: unknown): boolean {
  const any = (test: (v: string) => boolean) => values.some(test);
  const text = wanted === null || wanted === undefined ? '' : String(wanted);
  switch (op) {
    case '':
    case '=':
      return Array.isArray(wanted) ? any((v) => listOf(wanted).includes(v)) : any((v) => v === text);
    case '!':
    case '!=':
      return Array.isArray(wanted) ? !any((v) => listOf(wanted).includes(v)) : !any((v) => v === text);
    case '@':
      return any((v) => listOf(wanted).includes(v));
    case '!@':
      return !any((v) => listOf(wanted).includes(v));
    case '>':
      return any((v) => v !== '' && compare(v, text) > 0);
    case '>=':
      return any((v) => v !== '' && compare(v, text) >= 0);
    case '<':
      return any((v) => v !== '' && compare(v, text) < 0);
    case '<=':
      return any((v) => v !== '' && compare(v, text) <= 0);
    case '%':
      return any((v) => v.toLowerCase().includes(text.toLowerCase()));
    case '!%':
      return !any((v) => v.toLowerCase().includes(text.toLowerCase()));
    case '=%':
    case '%=':
      return any((v) => like(v, text));
    case '!=%':
    case '!%=':
      return !any((v) => like(v, text));
  }
}

export function matchesFilter(row: Row, filter: Row): boolean {
  const or = String(filter.logic ?? filter.LOGIC ?? 'AND').toUpperCase() === 'OR';
  const results: boolean[] = [];
  for (const [key, wanted] of Object.entries(filter)) {
    if (key === 'logic' || key === 'LOGIC') continue;
    if (/^\d+$/.test(key) && wanted && typeof wanted === 'object' && !Array.isArray(wanted)) {
      results.push(matchesFilter(row, wanted as Row));
      continue;
    }
    const { op, field } = parseFilterKey(key);
    results.push(condition(valuesOf(row[field]), op, wanted));
  }
  return or ? results.length === 0 || results.some(Boolean) : results.every(Boolean);
}

/** Sorts by `{FIELD: 'ASC'|'DESC', …}`; ties keep the given order (by ID when `fallback` is). */
export function orderRows<T extends Row>(rows: T[], order: unknown, fallback: string): T[] {
  const keys = order && typeof order === 'object' && !Array.isArray(order) ? Object.entries(order as Row) : [];
  const sorts = [...keys, [fallback, 'ASC'] as [string, unknown]];
  return [...rows].sort((a, b) => {
    for (const [field, dir] of sorts) {
      const c = compare(valuesOf(a[field])[0] ?? '', valuesOf(b[field])[0] ?? '');
      if (c !== 0) return String(dir).toUpperCase() === 'DESC' ? -c : c;
    }
    return 0;
  });
}

export function filterOf(value: unknown): Row {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Row) : {};
}

export function selectOf(value: unknown): string[] | null {
  if (Array.isArray(value)) return value.length ? value.map(String) : null;
  if (value && typeof value === 'object') {
    const list = Object.values(value).map(String);
    return list.length ? list : null;
  }
  return null;
}
