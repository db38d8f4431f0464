/** A list method's page: the result plus `total` and, when more exist, `next` (spec §1). */
export interface ListPage<T> {
  __list: true;
  result: T[];
  total: number;
  next?: number;
}

export function listPage<T>(all: T[], start: number, pageSize: number): ListPage<T> {
  const from = Number.isInteger(start) && start > 0 ? start : 0;
  const page: ListPage<T> = { __list: true, result: all.slice(from, from + pageSize), total: all.length };
  if (from + pageSize < all.length) page.next = from + pageSize;
  return page;
}

export function isListPage(value: unknown): value is ListPage<unknown> {
  return typeof value === 'object' && value !== null && (value as { __list?: boolean }).__list === true;
}
