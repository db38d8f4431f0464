/**
 * The `analytics` configuration compiled for the reports: the zone, the working hours in it,
 * and the SLA targets in milliseconds.
 */
import type { AnalyticsConfig } from '../config/analytics-schema.ts';
import { parseWorkingHours, type WorkingHours } from '../domain/routing/working-hours.ts';
import type { SlaTargets } from './report-aggregator.ts';
import { WorkingTime } from './working-time.ts';

export interface AnalyticsSettings {
  timeZone: string;
  workingHours: WorkingHours;
  sla: SlaTargets;
}

/** The settings of a validated configuration (the schema refused hours that do not parse). */
export function analyticsSettingsOf(config: AnalyticsConfig): AnalyticsSettings {
  const parsed = parseWorkingHours({ ...config.working_hours, time_zone: config.time_zone });
  if (!parsed.ok) throw new Error(`analytics.working_hours: ${parsed.problems.map((p) => `${p.path.join('.')} ${p.message}`).join('; ')}`);
  return {
    timeZone: config.time_zone, workingHours: parsed.hours,
    sla: { firstResponseMs: config.sla.first_response_seconds * 1_000, responseMs: config.sla.response_seconds * 1_000 },
  };
}

/** A fresh working-time calculator (its caches live as long as one report). */
export function workingTimeOf(settings: AnalyticsSettings): WorkingTime {
  return new WorkingTime(settings.workingHours);
}
