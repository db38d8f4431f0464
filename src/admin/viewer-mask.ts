/**
 * What a page shows of personal data (PageContext.mask): everything to an admin; to a viewer,
 * phones, emails, names and files masked the journal's way (src/journal/masking.ts: a phone as
 * `+7 *** ***-**-67`, a name as `И*** П***`), texts by the privacy policy's `text` mode (kept
 * by default, phones and emails inside still masked). Where the policy is stricter for a class
 * (`hashed`, `drop`), the viewer gets that.
 */
import { createMasker, type FieldClass, type MaskingPolicy, type MaskMode } from '../journal/masking.ts';
import type { AdminRole, PageContext } from './page.ts';

const CLASSES: readonly FieldClass[] = ['phone', 'email', 'name', 'text', 'file'];
/** What stays where a dropped value was. */
const DROPPED = '[…]';

/** The policy a viewer's pages are masked by. */
export function viewerPolicy(policy: MaskingPolicy): MaskingPolicy {
  const mode = (cls: FieldClass): MaskMode => {
    const own = policy[cls];
    if (own === 'hashed' || own === 'drop') return own;
    return cls === 'text' ? own : 'masked';
  };
  return { phone: mode('phone'), email: mode('email'), name: mode('name'), text: mode('text'), file: mode('file') };
}

const isClass = (cls: string): cls is FieldClass => (CLASSES as readonly string[]).includes(cls);

export function pageMask(role: AdminRole, policy: MaskingPolicy, hashKey: Buffer): PageContext['mask'] {
  if (role === 'admin') {
    return { phone: (v) => v ?? '', name: (v) => v ?? '', text: (v) => v ?? '', value: (_cls, v) => v };
  }
  const masker = createMasker(viewerPolicy(policy), hashKey);
  const field = (cls: FieldClass, v: string | null): string => (v === null || v === '' ? '' : masker.field(cls, v) ?? DROPPED);
  return {
    phone: (v) => field('phone', v),
    name: (v) => field('name', v),
    text: (v) => (v === null ? '' : masker.text(v)),
    value: (cls, v) => (isClass(cls) && typeof v === 'string' ? field(cls, v) : masker.value(v)),
  };
}
