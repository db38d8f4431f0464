/**
 * A client's file that Bitrix24 could not take: it downloads our signed link
 * itself (spec §9), and when that fails — the bridge's public URL unreachable
 * from the portal, the link expired while the line was paused — the item comes
 * back `SUCCESS:false`, caption included. Nothing the client wrote may be lost:
 * the item is sent again without its files, its text followed by a note per
 * file with the link, so the operator can still open it.
 */
type Json = Record<string, unknown>;

interface LineFile {
  url: string;
  name: string;
}

function filesOf(item: Json): LineFile[] {
  const files = (item.message as Json | undefined)?.files;
  return Array.isArray(files) ? (files as Array<Partial<LineFile>>).map((f) => ({ url: String(f.url ?? ''), name: String(f.name ?? '') })) : [];
}

/** The item carries files for Bitrix24 to fetch. */
export function hasFiles(item: Json): boolean {
  return filesOf(item).length > 0;
}

/** The operator's note for one file the portal could not fetch (Russian, as every text in the line). */
export function unfetchedFileNote(file: LineFile): string {
  return `Файл «${file.name || 'без имени'}» не удалось передать в Битрикс24, ссылка: ${file.url}`;
}

/** The same item as text only (its text, then a note per file), or null if it has no files. */
export function withoutFiles(item: Json): Json | null {
  const files = filesOf(item);
  if (files.length === 0) return null;
  const message = { ...(item.message as Json) };
  delete message.files;
  const text = typeof message.text === 'string' ? message.text.trim() : '';
  message.text = [text, ...files.map(unfetchedFileNote)].filter(Boolean).join('\n');
  return { ...item, message };
}
