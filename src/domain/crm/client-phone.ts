/**
 * The client's phone for CRM matching (`crm.duplicate.findbycomm`): only a number the client
 * shared as their own, never one of the business's own numbers (a client forwarding the
 * company's card must not be matched to every other client who did the same).
 */

/** Digits only, the last ten (Russian numbers compare without +7 / 8): spec §6 ignores formatting. */
export function phoneKey(phone: string): string {
  return phone.replace(/\D/g, '').slice(-10);
}

/** A phone for the CRM: +digits as written, or null when it has too few digits to be a phone. */
export function normalizedPhone(phone: string): string | null {
  const digits = phone.replace(/\D/g, '');
  if (digits.length < 10 || digits.length > 15) return null;
  // 8XXXXXXXXXX is the domestic form of +7XXXXXXXXXX.
  return digits.length === 11 && digits.startsWith('8') ? `+7${digits.slice(1)}` : `+${digits}`;
}

/** Whether `phone` is one of the business's own numbers (`crm.own_phones`). */
export function isOwnPhone(phone: string, ownPhones: readonly string[]): boolean {
  const key = phoneKey(phone);
  return ownPhones.some((own) => phoneKey(own) === key);
}
