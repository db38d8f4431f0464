// PLACEHOLDER while the trail page is written (helper task).
import type { Trail } from './trail.ts';
export function renderTrailHtml(trail: Trail, _lang: 'ru' | 'en'): string {
  return `<!doctype html><title>${trail.conversationId}</title>`;
}
