/**
 * openStore: the one entry point to storage. Opens SQLite or PostgreSQL from
 * DATABASE_URL, runs migrations, and returns the repositories.
 */
import type { Clock } from '../domain/clock.ts';
import { CryptoBox } from './crypto-box.ts';
import { openDatabase, type Engine, type OpenedDatabase, type StoreTransaction } from './db.ts';
import { migrate } from './migrations.ts';
import { readMigrationPlan, type MigrationPlan } from './migration-plan.ts';
import { AnalyticsRepo } from './repos/analytics-repo.ts';
import { BotRepo } from './repos/bot-repo.ts';
import { ConversationRepo } from './repos/conversation-repo.ts';
import { DeadLetterRepo } from './repos/dead-letter-repo.ts';
import { EventRepo } from './repos/event-repo.ts';
import { GaugeRepo } from './repos/gauge-repo.ts';
import { JobRepo } from './repos/job-repo.ts';
import { JournalRepo } from './repos/journal-repo.ts';
import { LeaseRepo } from './repos/lease-repo.ts';
import { LineRepo } from './repos/line-repo.ts';
import { MediaRepo } from './repos/media-repo.ts';
import { MetaRepo } from './repos/meta-repo.ts';
import { OperatorNoticeRepo } from './repos/operator-notice-repo.ts';
import { ClientNoticeRepo } from './repos/client-notice-repo.ts';
import { CrmLinkRepo } from './repos/crm-link-repo.ts';
import { HookRepo } from './repos/hook-repo.ts';
import { OutboundPartRepo } from './repos/outbound-part-repo.ts';
import { OutboundUploadRepo } from './repos/outbound-upload-repo.ts';
import { OutboxRepo } from './repos/outbox-repo.ts';
import { PortalRepo } from './repos/portal-repo.ts';
import { SkippedUpdateRepo } from './repos/skipped-update-repo.ts';
import { ReadinessRepo } from './repos/readiness-repo.ts';
import { RetentionRepo } from './repos/retention-repo.ts';
import { ErasureRepo } from './repos/erasure-repo.ts';
import { ExportRepo } from './repos/export-repo.ts';
import { AdminUserRepo } from './repos/admin-user-repo.ts';
import { OverviewRepo } from './repos/overview-repo.ts';
import { ConversationListRepo } from './repos/conversation-list-repo.ts';
import { privacyHashKey } from '../journal/hash-key.ts';
import { SqliteDirect } from './sqlite-direct.ts';

export interface StoreOptions {
  /** SQLite file path (default) or postgres://… */
  databaseUrl: string;
  /** BRIDGE_SECRET_KEY: encrypts tokens and secrets at rest. */
  secretKey: string;
  /** BRIDGE_SECRET_KEY_PREVIOUS: keys that only decrypt, while values sealed under them are rotated (`rotate-key`). */
  previousSecretKeys?: readonly string[];
  clock: Clock;
  poolSize?: number;
  /**
   * Called with the migrations about to run, before they run (not when there are none):
   * the start's backup reminder (src/runtime/start-bridge.ts). Read outside the migrations'
   * lock, so two processes starting at once may both be told; one of them applies them.
   */
  beforeMigrate?: (plan: MigrationPlan, engine: Engine) => void;
  /**
   * Apply pending migrations (default true). `doctor` opens the store with false: it reports a
   * database behind or ahead of this version instead of changing it (src/doctor/checks/database.ts).
   */
  migrate?: boolean;
}

export interface Store {
  engine: Engine;
  /**
   * The database, for the repositories and for tests. Nothing outside src/store/ builds a query
   * with it (test/unit/architecture.test.ts): code elsewhere calls a repository method.
   */
  db: OpenedDatabase['db'];
  /**
   * Runs `fn` in one transaction: repository methods given the transaction run inside it, so
   * writes of several repositories commit together, or none of them.
   */
  transaction<T>(fn: (trx: StoreTransaction) => Promise<T>): Promise<T>;
  events: EventRepo;
  jobs: JobRepo;
  deadLetters: DeadLetterRepo;
  leases: LeaseRepo;
  portals: PortalRepo;
  journal: JournalRepo;
  conversations: ConversationRepo;
  outbox: OutboxRepo;
  meta: MetaRepo;
  media: MediaRepo;
  skipped: SkippedUpdateRepo;
  /** Read-only aggregates for the metrics gauges and the /ready check. */
  gauges: GaugeRepo;
  readiness: ReadinessRepo;
  lines: LineRepo;
  bots: BotRepo;
  outboundParts: OutboundPartRepo;
  operatorNotices: OperatorNoticeRepo;
  clientNotices: ClientNoticeRepo;
  crmLinks: CrmLinkRepo;
  /** Hook events, webhook deliveries, check verdicts and gates (docs/hooks.md). */
  hooks: HookRepo;
  outboundUploads: OutboundUploadRepo;
  /** What a purge would delete and the purge itself, per the retention rules (retention-repo.ts). */
  retention: RetentionRepo;
  /** Erasure of one client (152-ФЗ): the plan, the erasure, its records (erasure-repo.ts). */
  erasure: ErasureRepo;
  /** Exports for a DWH, a page at a time, and the SQL views for BI tools (export-repo.ts, docs/exports.md). */
  exports: ExportRepo;
  /** The admin web UI's users and sessions (src/admin/, docs/admin-ui.md). */
  adminUsers: AdminUserRepo;
  /** Read-only facts for the admin UI's overview (portals, last updates, recent errors). */
  overview: OverviewRepo;
  /** The admin UI's list of conversations with their last messages (read only). */
  conversationList: ConversationListRepo;
  /** What the reports read: client messages, operator replies, conversations' cuts (analytics-repo.ts, docs/analytics.md). */
  analytics: AnalyticsRepo;
  box: CryptoBox;
  close(): Promise<void>;
}

export async function openStore(options: StoreOptions): Promise<Store> {
  const box = new CryptoBox(options.secretKey, options.previousSecretKeys);
  const opened = openDatabase(options.databaseUrl, { poolSize: options.poolSize });
  if (options.beforeMigrate && options.migrate !== false) {
    const plan = await readMigrationPlan(opened.db, opened.engine);
    if (plan.pending.length > 0) options.beforeMigrate(plan, opened.engine);
  }
  if (options.migrate !== false) await migrate(opened.db, opened.engine, options.clock.nowMs());
  const { db, engine } = opened;
  const direct = opened.sqlite ? new SqliteDirect(db, opened.sqlite) : undefined;
  return {
    engine,
    db,
    transaction: (fn) => db.transaction().execute(fn),
    events: new EventRepo(db, options.clock, direct),
    jobs: new JobRepo(db, engine, options.clock),
    deadLetters: new DeadLetterRepo(db, options.clock),
    leases: new LeaseRepo(db, options.clock),
    portals: new PortalRepo(db, engine, box, options.clock),
    journal: new JournalRepo(db, direct),
    conversations: new ConversationRepo(db, options.clock),
    outbox: new OutboxRepo(db, engine, options.clock),
    meta: new MetaRepo(db, options.clock),
    media: new MediaRepo(db, options.clock),
    skipped: new SkippedUpdateRepo(db, options.clock),
    gauges: new GaugeRepo(db),
    readiness: new ReadinessRepo(db),
    lines: new LineRepo(db, options.clock),
    bots: new BotRepo(db, box, options.clock),
    outboundParts: new OutboundPartRepo(db, options.clock),
    operatorNotices: new OperatorNoticeRepo(db, options.clock),
    clientNotices: new ClientNoticeRepo(db, options.clock),
    crmLinks: new CrmLinkRepo(db, options.clock),
    hooks: new HookRepo(db, options.clock),
    outboundUploads: new OutboundUploadRepo(db),
    retention: new RetentionRepo(db),
    erasure: new ErasureRepo(db, engine, options.clock, [options.secretKey, ...(options.previousSecretKeys ?? [])].map((key) => privacyHashKey(key))),
    exports: new ExportRepo(db, engine),
    analytics: new AnalyticsRepo(db),
    adminUsers: new AdminUserRepo(db, options.clock),
    overview: new OverviewRepo(db),
    conversationList: new ConversationListRepo(db),
    box,
    close: () => opened.close(),
  };
}
