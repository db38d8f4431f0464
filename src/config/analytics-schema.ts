/**
 * The `analytics` section of the configuration (docs/analytics.md): the time zone the days and
 * hours of the reports are counted in, the working hours the SLA counts waiting time within,
 * and the SLA targets. Optional as a whole: the defaults are a Moscow working week.
 *
 * ```yaml
 * analytics:
 *   time_zone: Europe/Moscow
 *   working_hours: { days: mon-fri, from: "09:00", to: "18:00", holidays: ["2027-01-01"] }
 *   sla: { first_response_seconds: 300, response_seconds: 900 }
 * ```
 */
import { z } from 'zod';
import { DEFAULT_TIME_ZONE, isKnownTimeZone, parseWorkingHours } from '../domain/routing/working-hours.ts';

const notAnObject = (message: string) => ({ error: (issue: { code?: string }) => (issue.code === 'invalid_type' ? message : undefined) });

const dayItem = z.string({ error: 'must be text such as "mon-fri" or a list such as [mon, wed, fri]' });

/** A week of SLA targets at most: a longer target is a typo (minutes written as seconds the other way round). */
const MAX_TARGET_SECONDS = 7 * 86_400;

const targetSeconds = (example: string) => z.number({ error: `must be a number of seconds, e.g. ${example}` }).int().min(1).max(MAX_TARGET_SECONDS);

export const DEFAULT_WORKING_HOURS = { days: 'mon-fri', from: '09:00', to: '18:00' } as const;

/** The hours as the routes write them (route-schema.ts), without their own zone: the section's `time_zone` applies. */
const workingHoursSchema = z.object({
  days: z.union([dayItem, z.array(dayItem)], { error: 'must be text such as "mon-fri" or a list such as [mon, wed, fri]' }),
  from: z.string({ error: 'must be a time in quotes, e.g. from: "09:00"' }),
  to: z.string({ error: 'must be a time in quotes, e.g. to: "18:00"' }),
  holidays: z.array(z.string({ error: 'must be a date in quotes, e.g. "2027-01-01"' }), { error: 'must be a list such as ["2027-01-01", "2027-01-07"]' }).optional(),
}, notAnObject('must be hours such as { days: mon-fri, from: "09:00", to: "18:00" }')).strict().superRefine((hours, ctx) => {
  const parsed = parseWorkingHours({ ...hours, time_zone: 'UTC' });
  if (!parsed.ok) for (const problem of parsed.problems) ctx.addIssue({ code: 'custom', message: problem.message, path: problem.path });
});

export const analyticsSchema = z.object({
  /** The IANA zone of the reports' days and hours of day, and of the working hours. */
  time_zone: z.string({ error: 'must be an IANA time zone name in text, e.g. time_zone: Europe/Moscow' }).default(DEFAULT_TIME_ZONE).superRefine((zone, ctx) => {
    if (!isKnownTimeZone(zone)) ctx.addIssue({ code: 'custom', message: `"${zone}" is not a time zone; write an IANA zone name such as Europe/Moscow, Asia/Yekaterinburg or UTC` });
  }),
  /** The hours the SLA counts waiting time within (a message at 17:55 answered at 09:10 the next working day waited 15 minutes). */
  working_hours: workingHoursSchema.default({ ...DEFAULT_WORKING_HOURS }),
  sla: z.object({
    /** The longest a new conversation's first client message may wait for an operator, in working time. */
    first_response_seconds: targetSeconds('first_response_seconds: 300').default(300),
    /** The longest any client message may wait for the operator's next reply, in working time. */
    response_seconds: targetSeconds('response_seconds: 900').default(900),
  }, notAnObject('must be targets such as { first_response_seconds: 300, response_seconds: 900 }')).strict().prefault({}),
}, notAnObject('must be a section such as { time_zone: Europe/Moscow, sla: { first_response_seconds: 300 } }')).strict().prefault({});

export type AnalyticsConfig = z.output<typeof analyticsSchema>;
