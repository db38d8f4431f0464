/**
 * The configuration schema (zod 4). Every key has a default, a reason and a
 * "when to change" in config/example.yaml; docs/configuration.md lists them.
 * Env variables and the YAML file (CONFIG_FILE) merge in src/config/load.ts.
 */
import { z } from 'zod';
import { checkServiceUrl } from './url-rules.ts';

const serviceUrl = z.string().superRefine((value, ctx) => {
  const problem = checkServiceUrl(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const id = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'use 1–63 lowercase letters, digits, "-" or "_"');

export const botSchema = z.object({
  id,
  token: z.string().min(10, 'looks too short for a MAX bot token (copy it from MAX for business)'),
  /** Sent back by MAX in X-Max-Bot-Api-Secret; generated when absent. */
  webhook_secret: z.string().regex(/^[A-Za-z0-9_-]{5,256}$/, 'MAX accepts 5–256 of A–Z a–z 0–9 _ -').optional(),
  updates: z.enum(['webhook', 'polling']).default('webhook'),
  api_url: serviceUrl.default('https://platform-api2.max.ru'),
}).strict();

export const PLAN_LIMITS = {
  standard: { drain_per_second: 2, burst: 50 },
  enterprise: { drain_per_second: 5, burst: 250 },
} as const;

export const portalSchema = z.object({
  id,
  client_id: z.string().min(1),
  client_secret: z.string().min(1),
  plan: z.enum(['standard', 'enterprise']).default('standard'),
  limits: z.object({ drain_per_second: z.number().positive().max(100), burst: z.number().int().positive().max(10_000) }).strict().optional(),
  /** The Open Line to use; when absent a line named "MAX" is found or created. */
  line_id: z.number().int().positive().optional(),
}).strict();

export const routeSchema = z.object({
  bot: z.union([id, z.literal('*')]).default('*'),
  portal: id,
  line_id: z.number().int().positive().optional(),
}).strict();

export const configSchema = z.object({
  server: z.object({
    port: z.number().int().min(1).max(65_535).default(3000),
    public_url: serviceUrl.optional(),
    body_limit_bytes: z.number().int().min(1_024).max(16 * 1024 * 1024).default(1_048_576),
  }).strict().default({ port: 3000, body_limit_bytes: 1_048_576 }),
  database: z.object({ url: z.string().min(1).default('.data/bridge.sqlite') }).strict().default({ url: '.data/bridge.sqlite' }),
  security: z.object({
    secret_key: z.string().min(16, 'at least 16 characters; make one with `openssl rand -hex 32`').optional(),
    admin_token: z.string().min(16, 'at least 16 characters; make one with `openssl rand -hex 24`').optional(),
  }).strict().default({}),
  workers: z.object({ concurrency: z.number().int().min(1).max(256).default(8) }).strict().default({ concurrency: 8 }),
  messages: z.object({
    system_messages: z.enum(['forward', 'rewrite', 'drop']).default('rewrite'),
    operator_name: z.enum(['keep', 'strip']).default('keep'),
  }).strict().default({ system_messages: 'rewrite', operator_name: 'keep' }),
  journal: z.object({ retention_days: z.number().int().min(1).max(3650).default(90) }).strict().default({ retention_days: 90 }),
  log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
  bots: z.array(botSchema).default([]),
  portals: z.array(portalSchema).default([]),
  routes: z.array(routeSchema).default([]),
}).strict();

export type BridgeConfigInput = z.input<typeof configSchema>;
export type BridgeConfigData = z.output<typeof configSchema>;
