/**
 * What the chaos run counts, per direction: every message carries its
 * conversation and its number within it; the receiving side's order is what
 * the client or operator sees.
 * - delivered: distinct messages that arrived; lost = sent − delivered;
 * - duplicated: arrivals beyond the first of a message;
 * - reordered: messages that arrived after a later message of their conversation.
 */
export interface DeliveryCount {
  sent: number;
  delivered: number;
  lost: number;
  duplicated: number;
  reordered: number;
}

export function countDelivery(sent: Map<string, number>, observed: Map<string, number[]>): DeliveryCount {
  let total = 0;
  let delivered = 0;
  let duplicated = 0;
  let reordered = 0;
  for (const [conversation, count] of sent) {
    total += count;
    const seen = new Set<number>();
    let highest = -1;
    for (const k of observed.get(conversation) ?? []) {
      if (k < 0 || k >= count) continue;
      if (seen.has(k)) {
        duplicated++;
        continue;
      }
      seen.add(k);
      if (k < highest) reordered++;
      highest = Math.max(highest, k);
    }
    delivered += seen.size;
  }
  return { sent: total, delivered, lost: total - delivered, duplicated, reordered };
}

export function addCounts(a: DeliveryCount, b: DeliveryCount): DeliveryCount {
  return {
    sent: a.sent + b.sent, delivered: a.delivered + b.delivered, lost: a.lost + b.lost,
    duplicated: a.duplicated + b.duplicated, reordered: a.reordered + b.reordered,
  };
}

export function countLine(label: string, c: DeliveryCount): string {
  return `${label}: sent=${c.sent} delivered=${c.delivered} lost=${c.lost} duplicated=${c.duplicated} reordered=${c.reordered}`;
}
