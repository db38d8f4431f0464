/** A list method's page: the result plus `total` and, when more exist, `next` (spec §1). */
export interface ListPage<R = unknown> {
  __list: true;
  /** The page: an array for most list methods, `{items: […]}` for crm.item.list. */
  result: R;
  total: number;
  next?: number;
}

export function listPage<T>(all: T[], start: number, pageSize: number): ListPage<T[]> {
  const from = Number.isInteger(start) && start > 0 ? start : 0;
  const page: ListPage<T[]> = { __list: true, result: all.slice(from, from + pageSize), total: all.length };
  if (from + pageSize < all.length) page.next = from + pageSize;
  return page;
}

export function isListPage(value: unknown): value is ListPage {
  return typeof value === 'object' && value !== null && (value as { __list?: boolean }).__list === true;
}
